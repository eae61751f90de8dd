"""The synthetic catalogue generator: its sizes and relations, skew, validity, determinism, and
its refusal to write where it should not. Each test empties the seed catalogue inside its own
transaction first, as the generator only fills an empty catalogue."""

import hashlib
import io
import statistics

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Exists, OuterRef

from catalogue.documents import documents
from catalogue.dumps import RECORD_SECTIONS, delete_catalogue
from catalogue.models import (
    SDG,
    Actor,
    ActorCitation,
    Agreement,
    AgreementParty,
    City,
    Course,
    CourseProvider,
    Initiative,
    InitiativeCitation,
    Participation,
    Source,
    Theme,
    Version,
)
from synthetic.generator import CatalogueSize, generate_catalogue

pytestmark = pytest.mark.django_db

INITIATIVES = 500
SAMPLE = 200


@pytest.fixture
def generated(empty_catalogue) -> dict[str, int]:
    return generate_catalogue(initiatives=INITIATIVES, seed=7)


def fingerprint() -> str:
    """A hash of every record's document (names, slugs, fields, relations by slug) and every
    source."""
    digest = hashlib.sha256()
    for model in RECORD_SECTIONS.values():
        for document in documents(model.objects.order_by("slug")):
            digest.update(repr(sorted(document.items())).encode())
    for source in Source.objects.order_by("slug").values_list():
        digest.update(repr(source).encode())
    return digest.hexdigest()


def test_the_catalogue_has_the_sizes_of_the_formulas(generated):
    assert Initiative.objects.count() == INITIATIVES
    assert Actor.objects.count() == INITIATIVES // 5
    assert City.objects.count() == max(200, INITIATIVES // 20)
    assert Course.objects.count() == INITIATIVES // 10
    assert Agreement.objects.count() == INITIATIVES // 10
    assert 100 <= Source.objects.count() < 1000
    assert CatalogueSize.for_initiatives(100_000) == CatalogueSize(
        initiatives=100_000,
        actors=20_000,
        cities=5_000,
        courses=10_000,
        agreements=10_000,
        sources=300,
    )
    assert generated["catalogue.Initiative"] == INITIATIVES
    assert generated["catalogue.Participation"] == Participation.objects.count()


def test_every_initiative_has_relations_in_their_ranges(generated):
    counts = Initiative.objects.annotate(
        n_cities=Count("cities", distinct=True),
        n_themes=Count("themes", distinct=True),
        n_sdgs=Count("sdgs", distinct=True),
        n_participations=Count("participations", distinct=True),
        n_actors=Count("participations__actor", distinct=True),
    ).values_list("n_cities", "n_themes", "n_sdgs", "n_participations", "n_actors")
    for cities, themes, sdgs, participations, actors in counts:
        assert 1 <= cities <= 3
        assert 1 <= themes <= 3
        assert 1 <= sdgs <= 4
        assert 2 <= participations <= 6
        assert actors == participations  # distinct actors, so distinct actor and role
    # Every count in each range occurs.
    assert {row[0] for row in counts} == {1, 2, 3}
    assert {row[3] for row in counts} == {2, 3, 4, 5, 6}


def test_a_few_themes_and_cities_are_popular(generated):
    themes = sorted(
        Theme.objects.annotate(n=Count("initiatives")).values_list("n", flat=True), reverse=True
    )
    assert themes[0] > 3 * statistics.median(themes)
    cities = sorted(
        City.objects.annotate(n=Count("initiatives")).values_list("n", flat=True), reverse=True
    )
    assert cities[0] > 10 * max(1, statistics.median(cities))


def test_most_records_are_published_and_some_are_not(generated):
    publications = dict(
        Initiative.objects.values_list("publication").annotate(n=Count("pk")).order_by()
    )
    assert publications["published"] > 0.85 * INITIATIVES
    assert set(publications) == {"published", "draft", "in_review", "archived"}


def test_a_sample_of_every_kind_keeps_the_models_rules(generated):
    models = (
        Source,
        City,
        Actor,
        Initiative,
        Course,
        Agreement,
        Participation,
        CourseProvider,
        AgreementParty,
        InitiativeCitation,
        ActorCitation,
    )
    problems = []
    for model in models:
        sample = model.objects.order_by("pk")[:SAMPLE]
        assert sample.exists(), model
        for instance in sample:
            try:
                instance.full_clean()
            except ValidationError as error:
                problems.append(f"{model.__name__} {instance.pk}: {error.message_dict}")
    for initiative in Initiative.objects.prefetch_related("cities", "countries")[:SAMPLE]:
        problems += [f"initiative {initiative.pk}: {p}" for p in initiative.relation_problems()]
    assert problems == []


def test_every_initiative_is_in_its_cities_countries(generated):
    own_country = Initiative.countries.through.objects.filter(
        initiative_id=OuterRef("initiative_id"), country_id=OuterRef("city__country_id")
    )
    assert not Initiative.cities.through.objects.exclude(Exists(own_country)).exists()


def test_it_writes_no_history(generated):
    assert not Version.objects.exists()


@pytest.mark.slow
def test_the_same_seed_gives_the_same_catalogue_and_another_seed_another(empty_catalogue):
    generate_catalogue(initiatives=200, seed=1, batch_size=50)
    first = fingerprint()
    sample = list(documents(Initiative.objects.order_by("slug")[:20]))
    delete_catalogue()

    generate_catalogue(initiatives=200, seed=1, batch_size=999)
    assert fingerprint() == first
    assert list(documents(Initiative.objects.order_by("slug")[:20])) == sample
    delete_catalogue()

    generate_catalogue(initiatives=200, seed=2)
    assert fingerprint() != first


def test_the_command_refuses_a_catalogue_that_holds_records():
    held = Initiative.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("generate_catalogue", "--initiatives", "10", stdout=io.StringIO())
    assert f"{held} initiatives" in str(refused.value)
    assert "only into an empty database" in str(refused.value)
    assert Initiative.objects.count() == held


def test_the_command_refuses_a_database_without_reference_data(empty_catalogue):
    SDG.objects.all().delete()
    with pytest.raises(CommandError, match=r"no sdgs\): run manage.py load_reference_data"):
        call_command("generate_catalogue", "--initiatives", "10", stdout=io.StringIO())
    assert not Initiative.objects.exists()


def test_the_command_reports_progress_unless_quiet(empty_catalogue):
    out = io.StringIO()
    call_command("generate_catalogue", "--initiatives", "100", "--seed", "3", stdout=out)
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("initiatives: ") for line in lines) == 10
    assert "initiatives: 100 of 100" in out.getvalue()
    assert lines[-1].startswith("Generated ")

    delete_catalogue()
    quiet = io.StringIO()
    call_command("generate_catalogue", "--initiatives", "100", "--verbosity", "0", stdout=quiet)
    assert quiet.getvalue() == ""
    assert Initiative.objects.count() == 100


def indexes_and_foreign_keys() -> set[tuple[str, str]]:
    """The definitions of the catalogue tables' indexes and foreign keys, by name."""
    tables = [
        model._meta.db_table
        for model in apps.get_app_config("catalogue").get_models(include_auto_created=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indrelid = ANY(%s::regclass[])
            UNION ALL
            SELECT conname, pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE
            ' NOT VALID' END FROM pg_constraint
            WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            """,
            [tables, tables],
        )
        return set(cursor.fetchall())


def indexes_while_writing(**options) -> list[set]:
    """The indexes and foreign keys there were while a catalogue's initiatives went in."""
    seen = []
    generate_catalogue(
        progress=lambda message: (
            seen.append(indexes_and_foreign_keys()) if message.startswith("initiatives: ") else None
        ),
        **options,
    )
    return seen


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Only PostgreSQL's indexes are made afterwards."
)
def test_the_indexes_and_foreign_keys_are_made_again_as_they_were(empty_catalogue):
    before = indexes_and_foreign_keys()
    while_writing = indexes_while_writing(initiatives=50, drop_indexes=True)
    assert indexes_and_foreign_keys() == before
    # Only unique indexes were there while the rows went in.
    assert while_writing and all(during < before for during in while_writing)
    assert all("UNIQUE" in definition for _name, definition in while_writing[0])


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Only PostgreSQL's indexes are made afterwards."
)
def test_unless_asked_the_indexes_and_foreign_keys_stay_while_writing(empty_catalogue):
    before = indexes_and_foreign_keys()
    while_writing = indexes_while_writing(initiatives=20)
    assert while_writing and all(during == before for during in while_writing)
