"""The duplicate guard: `likely_duplicates` on the seed catalogue, and admin refusing to add or
rename a record close to an existing one until the curator says it is not a duplicate."""

import difflib

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.urls import reverse

from catalogue.admin.forms import SAVE_DESPITE_DUPLICATES_LABEL
from catalogue.duplicates import (
    SIMILAR_NAME_THRESHOLD,
    MatchReason,
    is_acronym_of,
    likely_duplicates,
    normalise,
)
from catalogue.models import Actor, Agreement, City, Course, Initiative, Publication
from tests.factories import ActorFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

RECORD_MODELS = (City, Actor, Initiative, Course, Agreement)


def found(duplicates) -> list[tuple[str, MatchReason]]:
    return [(duplicate.record.slug, duplicate.reason) for duplicate in duplicates]


def test_names_are_normalised():
    assert normalise("  Geneva Science & Diplomacy\tAnticipator ") == (
        "geneva science and diplomacy anticipator"
    )
    assert normalise("Saint-Paul-lès-Durance") == "saint paul les durance"
    assert normalise("ŁÓDŹ, Øresund; Genève!") == "lodz oresund geneve"
    assert normalise("—") == ""


@pytest.mark.parametrize(
    ("acronym", "name"),
    [
        ("GESDA", "Geneva Science and Diplomacy Anticipator"),
        ("gesda", "Geneva Science & Diplomacy Anticipator"),
        ("TWAS", "The World Academy of Sciences"),
        ("AAAS", "American Association for the Advancement of Science"),
        ("ARIA", "Advanced Research and Invention Agency"),
        ("NIERSC", "Nansen International Environmental and Remote Sensing Centre"),
    ],
)
def test_an_acronym_spells_prefixes_of_the_significant_words(acronym, name):
    assert is_acronym_of(acronym, name)


@pytest.mark.parametrize(
    ("acronym", "name"),
    [
        ("GSDA", "Geneva Science and Diplomacy Anticipator x"),  # "x" gives nothing
        ("GESD", "Geneva Science and Diplomacy Anticipator"),  # "Anticipator" gives nothing
        ("GESDA", "Ocean Research Alliance"),
        ("GE", "Geneva"),  # one word: a prefix is not an acronym
        ("", "Geneva Science and Diplomacy Anticipator"),
    ],
)
def test_an_acronym_must_spell_every_significant_word(acronym, name):
    assert not is_acronym_of(acronym, name)


@pytest.mark.usefixtures("empty_catalogue")
def test_an_acronym_finds_the_name_it_stands_for_and_the_same_acronym():
    InitiativeFactory(slug="spelled", name="Geneva Science and Diplomacy Anticipator")
    assert found(likely_duplicates(Initiative, "GESDA")) == [
        ("spelled", MatchReason.ACRONYM_OF_ITS_NAME)
    ]
    Initiative.objects.filter(slug="spelled").update(acronym="GESDA")
    assert found(likely_duplicates(Initiative, "GESDA")) == [("spelled", MatchReason.SAME_ACRONYM)]


def test_a_name_finds_the_record_named_by_its_acronym():
    gesda = Initiative.objects.get(slug="gesda")
    InitiativeFactory(name="GESDA", slug="gesda-short")
    ActorFactory(name="The anticipator foundation", slug="anticipator", acronym="GESDA")
    name = "Geneva Science and Diplomacy Anticipator"
    assert found(likely_duplicates(Initiative, name, exclude_pk=gesda.pk)) == [
        ("gesda-short", MatchReason.ITS_NAME_IS_AN_ACRONYM)
    ]
    assert found(likely_duplicates(Actor, name)) == [
        ("anticipator", MatchReason.ITS_ACRONYM_STANDS_FOR_THIS_NAME)
    ]


def test_an_actors_acronym_finds_the_same_acronym_and_the_name_it_stands_for():
    ipcc = Actor.objects.get(acronym="IPCC")
    nansen = Actor.objects.get(slug="nansen-centre")
    assert found(likely_duplicates(Actor, "Climate panel", acronym="ipcc")) == [
        (ipcc.slug, MatchReason.SAME_ACRONYM)
    ]
    assert found(likely_duplicates(Actor, "IPCC")) == [(ipcc.slug, MatchReason.SAME_ACRONYM)]
    assert found(likely_duplicates(Actor, "Nansen Centre", acronym="NIERSC")) == [
        (nansen.slug, MatchReason.ACRONYM_OF_ITS_NAME)
    ]


@pytest.mark.parametrize(
    ("model", "name", "slug"),
    [
        (Initiative, "Geneva Science & Diplomacy Anticipator", "gesda"),
        (Initiative, "  GENEVA science and   DIPLOMACY anticipator ", "gesda"),
        (Initiative, "Gènèva Sciénce and Diplomacy Anticipator", "gesda"),
        (City, "Saint Paul les Durance", "saint-paul-les-durance"),
        (City, "SAINT PAUL LÈS DURANCE", "saint-paul-les-durance"),
    ],
)
def test_case_accents_ampersand_punctuation_and_spaces_do_not_count(model, name, slug):
    duplicates = likely_duplicates(model, name)
    assert [(d.record.slug, d.score, d.reason) for d in duplicates[:1]] == [
        (slug, 1.0, MatchReason.SIMILAR_NAME)
    ]


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Łódź & Øresund Science Hub", "Lodz and Oresund science hub"),
        ("Arctic & Antarctic Science Hub", "arctic and antarctic, science-hub"),
    ],
)
def test_stored_names_are_normalised_as_well(existing, typed):
    """On PostgreSQL the database normalises the names it holds, accented or not."""
    InitiativeFactory(name=existing, slug="existing")
    duplicates = likely_duplicates(Initiative, typed)
    assert [(d.record.slug, d.score) for d in duplicates] == [("existing", 1.0)]


def test_typos_articles_and_brackets_still_match():
    assert found(likely_duplicates(Actor, "Global Center on Adaptation"))[0][0] == (
        "global-centre-on-adaptation"
    )
    ipcc = Actor.objects.get(acronym="IPCC")
    assert found(likely_duplicates(Actor, "Intergovernmental Panel on Climate Change (IPCC)")) == [
        (ipcc.slug, MatchReason.SIMILAR_NAME)
    ]


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Initiative, "Quantum Computing Diplomacy Lab"),
        (Initiative, "GSA"),
        (Actor, "Government of Peru"),
        (City, "Genoa"),
    ],
)
def test_a_clearly_different_name_matches_nothing(model, name):
    assert likely_duplicates(model, name) == []


def test_an_unrelated_name_is_not_taken_for_an_acronym():
    assert "gesda" not in {
        slug for slug, _ in found(likely_duplicates(Initiative, "Ocean Research Alliance"))
    }
    assert "all-atlantic-ocean-research-alliance" not in {
        slug for slug, _ in found(likely_duplicates(Initiative, "GESDA"))
    }


@pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.__name__)
def test_no_two_records_of_the_seed_catalogue_look_like_duplicates(model):
    """The thresholds lie above the closest pair of distinct seed records, on either engine."""
    for record in model.objects.all():
        duplicates = likely_duplicates(
            model, record.name, acronym=getattr(record, "acronym", ""), exclude_pk=record.pk
        )
        assert duplicates == [], (record.name, found(duplicates))


def test_a_record_never_matches_itself():
    gesda = Initiative.objects.get(slug="gesda")
    assert found(likely_duplicates(Initiative, gesda.name)) == [("gesda", MatchReason.SIMILAR_NAME)]
    assert likely_duplicates(Initiative, gesda.name, exclude_pk=gesda.pk) == []
    assert likely_duplicates(Initiative, "GESDA", exclude_pk=gesda.pk) == []


def test_at_most_limit_duplicates_best_first():
    for number in range(1, 8):
        InitiativeFactory(
            name=f"Geneva Science and Diplomacy Anticipator {number}", slug=f"gesda-{number}"
        )
    duplicates = likely_duplicates(Initiative, "Geneva Science & Diplomacy Anticipator", limit=3)
    assert len(duplicates) == 3
    assert duplicates[0].record.slug == "gesda"
    scores = [duplicate.score for duplicate in duplicates]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert len(likely_duplicates(Initiative, "Geneva Science & Diplomacy Anticipator")) == 5


def test_the_check_costs_three_queries_however_many_match(django_assert_num_queries):
    """One to score names, one to try acronyms, one to load the records found."""
    name = "Geneva Science & Diplomacy Anticipator"
    with django_assert_num_queries(3) as captured:
        assert len(likely_duplicates(Initiative, name)) == 1
    name_query = captured.captured_queries[0]["sql"].upper()
    if connection.vendor == "postgresql":
        assert "SIMILARITY(" in name_query and "TRANSLATE(" in name_query
    else:
        assert "SIMILARITY(" not in name_query and " LIKE " in name_query
    for number in range(1, 11):
        InitiativeFactory(
            name=f"Geneva Science and Diplomacy Anticipator {number}", slug=f"gesda-{number}"
        )
        InitiativeFactory(name=f"GESDA{number}", slug=f"gesda-short-{number}")
    with django_assert_num_queries(3):
        assert len(likely_duplicates(Initiative, name, limit=20)) == 11
    with django_assert_num_queries(2):
        assert likely_duplicates(Initiative, "Quantum Computing Lab") == []


def test_each_engine_scores_names_its_own_way():
    """PostgreSQL's trigram similarity finds a name with a word more; difflib's stricter
    threshold on SQLite does not. Either way the score is that engine's measure."""
    typed, existing = "Ocean Research Alliance", "All-Atlantic Ocean Research Alliance"
    duplicates = likely_duplicates(Initiative, typed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT similarity(%s, %s)", [normalise(typed), normalise(existing)])
            (similarity,) = cursor.fetchone()
        assert similarity >= SIMILAR_NAME_THRESHOLD["postgresql"]
        assert [(d.record.name, d.score) for d in duplicates] == [
            (existing, pytest.approx(similarity))
        ]
    else:
        ratio = difflib.SequenceMatcher(
            None, normalise(existing), normalise(typed), autojunk=False
        ).ratio()
        assert 0.7 < ratio < SIMILAR_NAME_THRESHOLD["python"]
        assert duplicates == []
        near = likely_duplicates(Initiative, "Global Centre on Adaptation office at Miami")
        assert near[0].score == pytest.approx(
            difflib.SequenceMatcher(
                None,
                normalise("Global Centre on Adaptation office in Miami"),
                normalise("Global Centre on Adaptation office at Miami"),
                autojunk=False,
            ).ratio()
        )


# Admin


def add_url(model) -> str:
    return reverse(f"admin:catalogue_{model._meta.model_name}_add")


def change_url(record) -> str:
    return reverse(f"admin:catalogue_{record._meta.model_name}_change", args=[record.pk])


def initiative_form(**overrides) -> dict:
    data = {
        "name": "Geneva Science & Diplomacy Anticipator",
        "slug": "gesda-again",
        "kind": "hub",
        "status": "active",
        "level": "city",
        "publication": "draft",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def actor_form(**overrides) -> dict:
    data = {
        "name": "Climate panel",
        "slug": "climate-panel",
        "kind": "intergovernmental",
        "acronym": "IPCC",
        "publication": "draft",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_the_add_form_shows_no_checkbox_until_duplicates_are_found(curator_client):
    response = curator_client.get(add_url(Initiative))
    assert response.status_code == 200
    assert SAVE_DESPITE_DUPLICATES_LABEL not in response.content.decode()


def test_a_near_duplicate_is_not_added_but_its_duplicates_are_listed(curator_client):
    gesda = Initiative.objects.get(slug="gesda")
    response = curator_client.post(add_url(Initiative), initiative_form())
    assert response.status_code == 200
    assert not Initiative.objects.filter(slug="gesda-again").exists()
    form = response.context["adminform"].form
    assert [error.code for error in form.errors.as_data()["__all__"]] == ["likely_duplicates"]
    content = response.content.decode()
    assert "Likely duplicates" in content
    assert (
        f'<a href="{change_url(gesda)}" target="_blank" rel="noopener">'
        f"Geneva Science and Diplomacy Anticipator"
    ) in content
    assert "<td>similar name</td>" in content
    assert f"<td>{Publication(gesda.publication).label}</td>" in content
    assert '<input type="checkbox" name="save_despite_duplicates"' in content
    assert f'for="id_save_despite_duplicates">{SAVE_DESPITE_DUPLICATES_LABEL}</label>' in content


def test_ticking_save_anyway_saves_the_record(curator_client):
    response = curator_client.post(
        add_url(Initiative), initiative_form(save_despite_duplicates="on")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Initiative.objects.get(slug="gesda-again").name == (
        "Geneva Science & Diplomacy Anticipator"
    )


def test_an_unrelated_name_is_saved_at_once(curator_client):
    response = curator_client.post(
        add_url(Initiative), initiative_form(name="Quantum Diplomacy Lab", slug="quantum-lab")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Initiative.objects.filter(slug="quantum-lab").exists()


def test_an_actors_acronym_is_checked_too(curator_client):
    ipcc = Actor.objects.get(acronym="IPCC")
    response = curator_client.post(add_url(Actor), actor_form())
    assert response.status_code == 200
    assert not Actor.objects.filter(slug="climate-panel").exists()
    assert f'<a href="{change_url(ipcc)}"' in response.content.decode()
    assert "<td>same acronym</td>" in response.content.decode()
    response = curator_client.post(add_url(Actor), actor_form(acronym="CP"))
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_renaming_a_record_to_a_near_duplicate_is_warned(curator_client):
    record = InitiativeFactory(name="Quantum Diplomacy Lab", slug="quantum-lab")
    data = initiative_form(
        slug=record.slug, publication=record.publication, saves_when_opened=record.lock_version
    )
    response = curator_client.post(change_url(record), data)
    assert response.status_code == 200
    assert "Likely duplicates" in response.content.decode()
    record.refresh_from_db()
    assert record.name == "Quantum Diplomacy Lab"
    response = curator_client.post(change_url(record), {**data, "save_despite_duplicates": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    record.refresh_from_db()
    assert record.name == "Geneva Science & Diplomacy Anticipator"


def test_editing_a_record_without_renaming_it_is_not_checked(curator_client):
    near = InitiativeFactory(name="Geneva Science and Diplomacy Anticipators", slug="near")
    data = initiative_form(name=near.name, slug=near.slug, summary="A new summary.")
    data.update(publication=near.publication, saves_when_opened=near.lock_version)
    response = curator_client.post(change_url(near), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    near.refresh_from_db()
    assert near.summary == "A new summary."


@pytest.mark.parametrize(
    ("model", "name", "slug"),
    [
        (City, "Saint Paul les Durance", "saint-paul-les-durance"),
        (Actor, "the world academy of sciences", "twas"),
        (Initiative, "GESDA", "gesda"),
        (
            Course,
            "9th AAAS TWAS course on science diplomacy, 2022 virtual",
            "aaas-twas-science-diplomacy-course-2022",
        ),
        (Agreement, "ITER agreement", "iter-agreement"),
    ],
)
def test_every_record_admin_guards_against_duplicates(curator_client, model, name, slug):
    duplicate = model.objects.get(slug=slug)
    count = model.objects.count()
    response = curator_client.post(add_url(model), {"name": name})
    assert response.status_code == 200
    assert model.objects.count() == count
    assert f'<a href="{change_url(duplicate)}" target="_blank"' in response.content.decode()


# The hint while typing


def likely_duplicates_url(model) -> str:
    return reverse(f"admin:catalogue_{model._meta.model_name}_likely_duplicates")


def test_the_name_field_asks_for_likely_duplicates_while_typing(curator_client):
    content = curator_client.get(add_url(Initiative)).content.decode()
    assert f'data-likely-duplicates-url="{likely_duplicates_url(Initiative)}"' in content
    assert "catalogue/admin-likely-duplicates.js" in content
    gesda = Initiative.objects.get(slug="gesda")
    content = curator_client.get(change_url(gesda)).content.decode()
    assert f'data-record="{gesda.pk}"' in content


def test_the_hint_lists_likely_duplicates_as_json(curator_client, django_assert_num_queries):
    gesda = Initiative.objects.get(slug="gesda")
    url = likely_duplicates_url(Initiative)
    # The session, the user, the user's and groups' permissions, and the three of the check.
    with django_assert_num_queries(7):
        response = curator_client.get(url, {"name": "GESDA", "record": ""})
    assert response.json() == {
        "duplicates": [
            {
                "name": "Geneva Science and Diplomacy Anticipator",
                "reason": "same acronym",
                "publication": "published",
                "url": change_url(gesda),
            }
        ]
    }
    assert curator_client.get(url, {"name": "GESDA", "record": gesda.pk}).json() == {
        "duplicates": []
    }
    assert curator_client.get(url, {"name": ""}).json() == {"duplicates": []}
    actor_url = likely_duplicates_url(Actor)
    answer = curator_client.get(actor_url, {"name": "Climate panel", "acronym": "IPCC"}).json()
    assert [d["reason"] for d in answer["duplicates"]] == ["same acronym"]
    response = curator_client.get(url, {"name": "GESDA", "record": "gesda"})
    assert response.status_code == 400
    assert response.json() == {"error": {"record": "Give the id of a record."}}


def test_the_hint_is_for_those_who_may_add_or_change_records(client, contributor_client):
    url = likely_duplicates_url(Initiative)
    response = client.get(url, {"name": "GESDA"})
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert contributor_client.get(url, {"name": "GESDA"}).status_code == 200
    viewer = User.objects.create_user("viewer", password="a-long-passphrase-42", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_initiative"))
    client.force_login(viewer)
    assert client.get(url, {"name": "GESDA"}).status_code == 403
