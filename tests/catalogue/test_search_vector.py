"""The stored search documents stay current on every write path, on either database.

Each test writes the catalogue one way and checks that a search finds the record by its new words
and no longer by the old ones, and that its stored document equals the document built afresh from
the record and its relations (and, on PostgreSQL, its terms the words of that document, each
scored as `ts_rank` scores it).
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from catalogue import history
from catalogue.dumps import export_catalogue, import_catalogue
from catalogue.imports import import_rows
from catalogue.models import (
    Actor,
    City,
    Country,
    Initiative,
    InitiativeSearch,
    InitiativeSearchTerm,
    Participation,
    SynonymGroup,
    Version,
)
from catalogue.search import (
    SEARCH_CONFIG,
    document_rows,
    document_texts,
    highlighted,
    read_search,
    search_model,
    search_ranks,
    searched_models,
    term_scores,
    terms_model,
)
from catalogue.tabular import Row
from tests.catalogue.test_history import form_data, token_client
from tests.factories import ActorFactory, CityFactory, InitiativeFactory

pytestmark = pytest.mark.django_db
POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def no_synonym_groups():
    """Searches as they read without the synonym groups the reference data ships, which
    curators edit; a test of synonyms makes its own."""
    SynonymGroup.objects.all().delete()


def finds(record, word: str) -> bool:
    """Whether a search for `word` finds `record`, as the lists search."""
    ids, _ranks = search_ranks(type(record), word, ranked=False, using=connection.alias)
    return record.pk in ids


def stored_count(model) -> int:
    """How many of `model`'s records have their words stored."""
    with_terms = terms_model(model).objects.values("record_id").distinct().count()
    if not POSTGRESQL:
        return with_terms
    return min(with_terms, model.objects.filter(search_document__isnull=False).count())


def stored_terms(record) -> dict[str, float]:
    return dict(
        terms_model(type(record)).objects.filter(record_id=record.pk).values_list("lexeme", "score")
    )


def is_current(record) -> bool:
    """Whether the stored words of `record` are those its fields and relations give now."""
    model = type(record)
    if not POSTGRESQL:
        texts = document_texts(model, [record.pk], using=connection.alias)[record.pk]
        fresh = term_scores(texts)
        terms = stored_terms(record)
        return bool(terms) and terms == pytest.approx(fresh, rel=1e-12)
    sql, params = document_rows(model, model.objects.filter(pk=record.pk))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        [(_pk, fresh)] = cursor.fetchall()
        # Each word of the stored document, as ts_rank scores a search for it alone.
        cursor.execute(
            "SELECT word, ts_rank(vector, quote_literal(word)::tsquery) "
            f"FROM {search_model(model)._meta.db_table}, unnest(tsvector_to_array(vector)) AS word "
            "WHERE record_id = %s",
            [record.pk],
        )
        scored = dict(cursor.fetchall())
    terms = stored_terms(record)
    stored = model.objects.values_list("search_document__vector", flat=True).get(pk=record.pk)
    return (
        fresh == stored
        and terms.keys() == scored.keys()
        and all(terms[word] == pytest.approx(scored[word], rel=1e-6) for word in terms)
    )


@pytest.fixture
def hub(curator) -> Initiative:
    with history.recording(user=curator):
        hub = InitiativeFactory(name="Quillwort hub", slug="quillwort-hub", summary="Estuaries.")
        Participation.objects.create(
            initiative=hub, actor=ActorFactory(name="Marram institute", acronym="MARI"), role="lead"
        )
        hub.cities.set([CityFactory(name="Saltmarsh")])
    return hub


def test_every_seed_record_has_its_current_document():
    for model in searched_models():
        records = model.objects.all()
        assert stored_count(model) == records.count(), model
        assert all(is_current(record) for record in records), model


def test_the_document_holds_the_record_its_actors_and_cities(hub):
    for word in ("quillwort", "estuaries", "marram", "mari", "saltmarsh"):
        assert finds(hub, word), word
    assert is_current(hub)


def test_a_model_save_outside_any_recording(hub):
    hub.name = "Samphire hub"
    hub.save()
    assert finds(hub, "samphire") and not finds(hub, "quillwort")
    assert is_current(hub)


def test_a_new_record_outside_any_recording_has_its_document():
    record = InitiativeFactory(name="Glasswort network")
    assert finds(record, "glasswort") and is_current(record)


def test_an_admin_change(curator_client, hub):
    url = reverse("admin:catalogue_initiative_change", args=[hub.pk])
    data = form_data(curator_client.get(url), "initiative")
    data.update({"name": ["Samphire hub"], "_save": ["Save"]})
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert finds(hub, "samphire") and not finds(hub, "quillwort")
    assert is_current(hub)


def test_an_api_patch_with_a_curators_token(curator, hub):
    other = ActorFactory(name="Eelgrass trust")
    response = token_client(curator).patch(
        f"/api/v1/initiatives/{hub.slug}/",
        {"summary": "Seagrass meadows.", "participations": [{"actor": other.slug, "role": "lead"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert finds(hub, "seagrass") and finds(hub, "eelgrass")
    assert not finds(hub, "estuaries") and not finds(hub, "marram")
    assert is_current(hub)


def test_a_bulk_import(curator, hub):
    new = {"slug": "sea-kale-fund", "name": "Sea kale fund", "kind": "fund", "status": "active"}
    rows = [
        Row(2, {"slug": hub.slug, "name": "Samphire hub"}),
        Row(3, {**new, "level": "city"}),
    ]
    result = import_rows(Initiative, rows, user=curator, dry_run=False, file_name="hubs.csv")
    assert result.imported, result.error_rows
    created = Initiative.objects.get(slug="sea-kale-fund")
    assert finds(hub, "samphire") and not finds(hub, "quillwort")
    assert finds(created, "kale") and is_current(created)


def test_a_revert(curator, hub):
    first = Version.objects.of(hub).first()
    with history.recording(user=curator):
        hub.name = "Samphire hub"
        hub.save()
    history.revert(hub, first, user=curator)
    assert finds(hub, "quillwort") and not finds(hub, "samphire")
    assert is_current(hub)


def test_renaming_an_actor_changes_its_initiatives_documents(curator, hub):
    actor = Actor.objects.get(name="Marram institute")
    with history.recording(user=curator):
        actor.name = "Sea holly institute"
        actor.acronym = "SHI"
        actor.save()
    assert finds(hub, "holly") and finds(hub, "shi")
    assert not finds(hub, "marram") and not finds(hub, "mari")
    assert is_current(hub) and is_current(actor)


def test_renaming_a_city_outside_any_recording_changes_its_initiatives_documents(hub):
    city = City.objects.get(name="Saltmarsh")
    city.name = "Mudflat"
    city.save()
    assert finds(hub, "mudflat") and not finds(hub, "saltmarsh")


def test_adding_a_participation(curator, hub):
    with history.recording(user=curator):
        Participation.objects.create(
            initiative=hub, actor=ActorFactory(name="Samphire society"), role="partner"
        )
    assert finds(hub, "samphire") and is_current(hub)


def test_a_city_added_from_its_own_side(curator, hub):
    with history.recording(user=curator):
        CityFactory(name="Shingle bay").initiatives.add(hub)
    assert finds(hub, "shingle") and is_current(hub)


def test_deleting_a_city_takes_its_name_out_of_its_initiatives_documents(curator, hub):
    with history.recording(user=curator):
        City.objects.get(name="Saltmarsh").delete()
    assert not finds(hub, "saltmarsh") and is_current(hub)


def test_deleting_a_record_forgets_its_words(curator, hub):
    pk = hub.pk
    assert stored_terms(hub)
    with history.recording(user=curator):
        hub.delete()
    assert not terms_model(Initiative).objects.filter(record_id=pk).exists()


def test_a_write_rolled_back_leaves_the_document_as_it_was(curator, hub):
    with history.recording(user=curator) as state, state.savepoint():
        hub.name = "Samphire hub"
        hub.save()
        transaction.set_rollback(True)
    assert finds(hub, "quillwort") and not finds(hub, "samphire")


def test_a_dump_loaded_with_its_history_has_every_document():
    pieces = []
    export_catalogue(pieces.append, with_history=True)
    import_catalogue("".join(pieces).encode(), origin="catalogue.json", replace=True)
    for model in searched_models():
        assert model.objects.exists(), model
        assert stored_count(model) == model.objects.count(), model
    assert all(is_current(record) for record in Initiative.objects.all())


def test_the_command_rebuilds_documents_written_without_signals(hub):
    InitiativeSearch.objects.all().delete()
    InitiativeSearchTerm.objects.all().delete()
    call_command("update_search_vectors", "--missing", stdout=io.StringIO())
    assert finds(hub, "quillwort") and is_current(hub)
    Initiative.objects.filter(pk=hub.pk).update(summary="Reed beds.")
    call_command("update_search_vectors", stdout=io.StringIO())
    assert finds(hub, "reed") and not finds(hub, "estuaries")


@pytest.mark.skipif(POSTGRESQL, reason="SQLite's page cache")
def test_writing_sqlite_terms_leaves_the_page_cache_as_it_was():
    station = InitiativeFactory(name="Polar Research Station")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -3000")
        call_command("update_search_vectors", stdout=io.StringIO())
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -3000
    assert finds(station, "polar")


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL's own ts_rank and @@ are the reference")
@pytest.mark.parametrize(
    "text",
    [
        "estuar",
        "Estuaries",
        "marsh estuaries",
        "salt marsh reed",
        "the marsh",
        "the",
        "zzz",
        "mari",
    ],
)
def test_a_search_finds_and_ranks_as_postgresql_does_with_the_documents(text):
    words = ["estuary", "estuaries", "salt", "marsh", "saltmarsh", "reed", "reeds", "marine"]
    for number in range(30):
        InitiativeFactory(
            name=" ".join(words[(number + k) % len(words)] for k in range(1 + number % 3)),
            summary=" ".join(words[(number * 3 + k) % len(words)] for k in range(number % 5)),
        )
    ids, ranks = search_ranks(Initiative, text, ranked=True, using=connection.alias)
    prefixes = [f"{word}:*" for word in text.split()]
    with connection.cursor() as cursor:
        # Every word matched, as `&` does; ranked as ts_rank ranks the words joined by `|`.
        cursor.execute(
            f"SELECT record_id, ts_rank(vector, to_tsquery('{SEARCH_CONFIG}', %s)) "
            f"FROM catalogue_initiativesearch WHERE vector @@ to_tsquery('{SEARCH_CONFIG}', %s)",
            [" | ".join(prefixes), " & ".join(prefixes)],
        )
        expected = dict(cursor.fetchall())
    found = dict(zip(ids.tolist(), ranks.tolist(), strict=True))
    assert found.keys() == expected.keys()
    assert all(found[pk] == pytest.approx(expected[pk], rel=1e-6) for pk in found)
    # "the" is a word like any other (no stop words), and none of these documents holds it.
    if text in ("the marsh", "the", "zzz"):
        assert not found
    else:
        assert len(set(found.values())) > 1


@pytest.mark.skipif(not POSTGRESQL, reason="PostgreSQL's own ts_rank is the reference")
@pytest.mark.parametrize(
    "texts",
    [
        ["ocean", "", "", ""],
        ["ocean policy", "oceans of science", "the ocean", ""],
        ["", "salt marsh", "marsh marsh marsh reed", "marsh"],
        ["reed", "", "reeds and more reeds", "reed"],
    ],
)
def test_sqlite_scores_a_word_as_ts_rank_scores_it(texts):
    # The same places and weights as a document of these texts, one weight after another.
    document = " || ".join(
        f"setweight(to_tsvector('{SEARCH_CONFIG}', %s), '{weight}')" for weight in "ABCD"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT word, ts_rank(document, quote_literal(word)::tsquery) FROM (SELECT "
            f"{document} AS document) AS built, unnest(tsvector_to_array(document)) AS word",
            texts,
        )
        expected = dict(cursor.fetchall())
    scores = term_scores(texts)
    assert {word: scores[word] for word in expected} == pytest.approx(expected, rel=1e-6)


def test_a_search_stems_its_words_as_the_documents_are_stemmed():
    station = InitiativeFactory(name="Saint-Paul-lès-Durance Observatories", summary="")
    # A word some record holds, so that it is not taken for a typing error.
    InitiativeFactory(name="Observatorium Berlin", summary="")
    assert finds(station, "observatory") and finds(station, "Observ") and finds(station, "lès")
    assert not finds(station, "observatorium")


@pytest.mark.parametrize(
    ("name", "searched"),
    [
        ("Saint-Paul-lès-Durance Observatories", "Saint-Paul-les-Durance"),
        ("Observatoire de Genève", "geneve observatoire"),
        ("Geneva Science Forum", "Genèva"),
        ("São Paulo Research Foundation", "sao paulo"),
        ("Zürich Polar Network", "ZURICH"),
    ],
)
def test_accents_count_for_nothing_in_documents_or_searches(name, searched):
    """On either database, a word is found with its accents or without them, in the record or
    in the search."""
    record = InitiativeFactory(name=name, summary="")
    assert finds(record, searched)
    assert not finds(record, searched + " xylophone")


@pytest.mark.parametrize(
    ("searched", "found", "missed"),
    [
        # Two letters, capitals, digits: whole words only.
        ("EU", ["EU research office"], ["European research office", "Eureka network"]),
        ("eu", ["EU research office"], ["European research office"]),
        ("MIT", ["MIT climate portal"], ["Mitigation portal"]),
        ("13", ["Goal 13 network"], ["Goal 130 network", "1300 network"]),
        # A longer word in small letters still starts words, stemmed.
        ("mit", ["MIT climate portal", "Mitigation portal"], []),
        ("europ", ["European research office"], ["EU research office"]),
        # Stop words are words: "US" is not dropped as "us" would be.
        ("US", ["US science envoy"], ["Usual science envoy", "Science envoy of Chile"]),
        ("WHO", ["WHO health office"], ["Whole health office"]),
    ],
)
def test_short_and_capitalised_words_match_whole_words(searched, found, missed):
    """On either database, "EU" finds the EU and not Europe: a word of one or two characters,
    in capitals or in digits names something and matches only that word."""
    records = {name: InitiativeFactory(name=name, summary="") for name in [*found, *missed]}
    for name in found:
        assert finds(records[name], searched), (searched, name)
    for name in missed:
        assert not finds(records[name], searched), (searched, name)


def test_countries_and_sdgs_are_searched():
    """A record is found by the names and codes of its countries (an actor by its own, an
    initiative by those it involves), and an initiative by the SDGs it is tagged with, however
    a reader writes them."""
    netherlands = Country.objects.get(code="NL")
    ministry = ActorFactory(name="Ministry of Infrastructure", summary="", country=netherlands)
    initiative = InitiativeFactory(name="Adaptation office", summary="")
    initiative.countries.add(netherlands)
    initiative.sdgs.add(13)
    other = InitiativeFactory(name="Goal 130 network", summary="")
    other.sdgs.add(1, 3)
    for searched in ("Netherlands", "netherlands ministry", "NL"):
        assert finds(ministry, searched), searched
    for searched in ("Netherlands", "NL adaptation", "SDG 13", "sdg13", "Goal 13", "SDG-13"):
        assert finds(initiative, searched), searched
    for searched in ("SDG 13", "SDG 1", "SDG 3"):
        assert finds(other, searched) == (searched != "SDG 13"), searched


@pytest.mark.parametrize(
    ("text", "query", "marked"),
    [
        (
            "Oceans & the <Adaptation> Centre",
            "ocean adapt",
            "<mark>Oceans</mark> &amp; the &lt;<mark>Adaptation</mark>&gt; Centre",
        ),
        ("EU and European offices", "EU", "<mark>EU</mark> and European offices"),
        ("Observatoire de Genève", "geneve", "Observatoire de <mark>Genève</mark>"),
        ("Goal 13 and 130", "SDG 13", "Goal <mark>13</mark> and 130"),
        ("Nothing here", "", "Nothing here"),
    ],
)
def test_results_mark_the_words_the_search_matched(text, query, marked):
    assert highlighted(text, read_search(query) if query else None) == marked


def test_results_mark_the_synonyms_the_search_matched():
    SynonymGroup.objects.create(slug="centre", terms="centre\ncenter")
    SynonymGroup.objects.create(slug="eu", terms="EU\nEuropean Union")
    assert highlighted("A Centre in the European Union", read_search("center EU")) == (
        "A <mark>Centre</mark> in the <mark>European</mark> <mark>Union</mark>"
    )


@pytest.mark.usefixtures("empty_catalogue")
def test_a_word_no_record_holds_is_searched_as_the_most_alike_word_of_the_names(client):
    """A misspelt word is searched as the most alike word of the published names (pg_trgm on
    PostgreSQL, difflib on SQLite), and every search box says so, linking to the search by the
    word searched instead, with the list's other filters kept; words that match stay as they
    are, and gibberish is searched as it is, finding nothing."""
    anticipator = InitiativeFactory(name="Geneva Science Anticipator", summary="")
    InitiativeFactory(name="Hidden Anticipatory Draft", summary="", publication="draft")
    assert read_search("anticpator geneva").corrected_text == "anticipator geneva"
    assert read_search("geneva").corrected_text is None
    assert read_search("qxzvwk").corrected_text is None
    assert finds(anticipator, "anticpator geneva")
    assert not finds(anticipator, "anticpator qxzvwk")

    page = client.get("/search/", {"q": "Anticpator"})
    assert [group["records"] for group in page.context["groups"] if group["total"]] == [
        [anticipator]
    ]
    assert (
        'No record holds “Anticpator”, so these are the results of <a href="?q=anticipator">'
        "anticipator</a>." in page.content.decode()
    )
    listed = client.get("/initiatives/", {"q": "sciense", "status": "active"})
    assert list(listed.context["page"].object_list) == [anticipator]
    assert listed.context["corrected_url"] == "?q=science&status=active"
    assert "No record holds “sciense”" in listed.content.decode()
    assert "No record holds" not in client.get("/initiatives/", {"q": "science"}).content.decode()
    api = client.get("/api/v1/initiatives/", {"q": "sciense"}).json()
    assert (api["count"], api["suggestion"]) == (1, "science")
    assert "suggestion" not in client.get("/api/v1/initiatives/", {"q": "science"}).json()
    assert client.get("/api/v1/initiatives/", {"q": "qxzvwk"}).json()["count"] == 0


@pytest.mark.usefixtures("empty_catalogue")
def test_the_names_endpoint_offers_the_best_few_of_each_kind(client):
    """What the global search box offers while a reader types: the records the site's search
    finds, best first, a few of each kind, published only; a text too long is refused by name."""
    for number in range(5):
        InitiativeFactory(name=f"Quillwort initiative {number}", acronym=f"QI{number}")
    ActorFactory(name="Quillwort society")
    InitiativeFactory(name="Quillwort draft", publication="draft")
    found = client.get("/api/v1/names/", {"q": "quillw"}).json()["results"]
    assert [item["type"] for item in found] == ["initiative"] * 3 + ["actor"]
    assert found[-1]["name"] == "Quillwort society"
    assert found[0]["url"].startswith("http://testserver/initiatives/")
    assert all("draft" not in item["name"] for item in found)
    assert client.get("/api/v1/names/", {"q": ""}).json() == {"results": []}
    refused = client.get("/api/v1/names/", {"q": "x" * 201})
    assert refused.status_code == 400 and "q" in refused.json()["error"]["fields"]
