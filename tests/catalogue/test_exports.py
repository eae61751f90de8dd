"""Whole-result exports: a row names its record's to-many relations as the lists show them
(published records only, each once, by name), and an export costs the same queries however many
rows it holds; a spreadsheet never runs a cell of one as a formula."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue.dumps import delete_catalogue
from catalogue.exports import CHUNK_SIZE, Names, columns_of, header_of, rows
from catalogue.models import (
    Agreement,
    AgreementParty,
    Course,
    CourseProvider,
    Initiative,
    Publication,
    Theme,
)
from synthetic.generator import generate_catalogue

# A fixture, for the tests that generate a catalogue in place of the seed.
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
)

pytestmark = pytest.mark.django_db

MODELS_WITH_TO_MANY_COLUMNS = (Initiative, Course, Agreement)


def exported(queryset) -> dict[str, dict[str, object]]:
    """The export rows of `queryset`, by slug."""
    ids = list(queryset.values_list("pk", flat=True))
    header = header_of(queryset.model)
    found = rows("http://testserver", queryset.model, ids, using=queryset.db)
    return {
        row["slug"]: row for row in (dict(zip(header, values, strict=True)) for values in found)
    }


def to_many_columns(model) -> list[str]:
    return [name for name, value in columns_of(model) if isinstance(value, Names)]


def as_the_lists_prefetch(record, relation: str) -> str:
    """A to-many column as a list page's prefetch gives it: the way exports named relations
    before the database computed the names."""
    return "; ".join(str(related) for related in getattr(record, relation).all())


def assert_named_as_the_lists_prefetch(model) -> None:
    records = model.objects.for_list()
    exported_rows = exported(model.objects.all())
    assert len(exported_rows) == len(records)
    for record in records:
        for relation in to_many_columns(model):
            expected = as_the_lists_prefetch(record, relation)
            assert exported_rows[record.slug][relation] == expected, (record.slug, relation)


@pytest.mark.parametrize("model", MODELS_WITH_TO_MANY_COLUMNS, ids=lambda model: model.__name__)
def test_every_seed_record_names_what_its_list_row_prefetches(model):
    assert to_many_columns(model)
    assert_named_as_the_lists_prefetch(model)


@pytest.mark.usefixtures("id_sequences_kept")
def test_every_generated_record_names_what_its_list_row_prefetches():
    """A generated catalogue links drafts and archived records too."""
    delete_catalogue()
    generate_catalogue(initiatives=300, seed=5)
    for model in MODELS_WITH_TO_MANY_COLUMNS:
        assert_named_as_the_lists_prefetch(model)


def test_an_initiative_names_its_published_cities_and_every_theme_by_name():
    initiative = InitiativeFactory()
    initiative.cities.add(
        CityFactory(name="Zurich"),
        CityFactory(name="Aarau"),
        CityFactory(name="Basel", publication=Publication.DRAFT),
        CityFactory(name="Bern", publication=Publication.ARCHIVED),
    )
    themes = Theme.objects.order_by("-name")[:3]
    initiative.themes.add(*themes)
    row = exported(Initiative.objects.filter(pk=initiative.pk))[initiative.slug]
    assert row["cities"] == "Aarau; Zurich"
    assert row["themes"] == "; ".join(sorted(theme.name for theme in themes))
    bare = InitiativeFactory()
    assert exported(Initiative.objects.filter(pk=bare.pk))[bare.slug]["cities"] == ""


def test_a_course_names_each_published_provider_once_with_its_acronym():
    course = CourseFactory()
    academy = ActorFactory(name="Zenith Academy", acronym="ZA")
    for role in ("organiser", "host"):
        CourseProvider.objects.create(course=course, actor=academy, role=role)
    CourseProvider.objects.create(course=course, actor=ActorFactory(name="Atlas"), role="partner")
    draft = ActorFactory(name="Boreal", publication=Publication.DRAFT)
    CourseProvider.objects.create(course=course, actor=draft, role="funder")
    row = exported(Course.objects.filter(pk=course.pk))[course.slug]
    assert row["providers"] == "Atlas; Zenith Academy (ZA)"


def test_an_agreement_names_its_published_parties_and_cities():
    agreement = AgreementFactory()
    parties = (
        ActorFactory(name="Zeta Council"),
        ActorFactory(name="Alpha Union", acronym="AU"),
        ActorFactory(name="Beta Office", publication=Publication.ARCHIVED),
    )
    for party in parties:
        AgreementParty.objects.create(agreement=agreement, actor=party)
    agreement.cities.add(CityFactory(name="Lyon"), CityFactory(name="Geneva"))
    row = exported(Agreement.objects.filter(pk=agreement.pk))[agreement.slug]
    assert row["parties"] == "Alpha Union (AU); Zeta Council"
    assert row["cities"] == "Geneva; Lyon"


EXPORTS = [
    *(
        (reverse(f"catalogue:{name}-list"), {"format": file_format})
        for name in ("initiative", "actor", "course", "agreement", "city")
        for file_format in ("csv", "json")
    ),
    ("/api/v1/initiatives/", {"format": "csv"}),
    ("/api/v1/courses/", {"format": "csv", "sort": "-updated"}),
    ("/api/v1/agreements/", {"format": "csv", "q": "science"}),
]


def queries_of_exports(client) -> dict[str, int]:
    counts = {}
    for url, query in EXPORTS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query)
            assert response.status_code == 200
            b"".join(response.streaming_content)
        counts[f"{url} {query}"] = len(queries)
    return counts


@pytest.mark.usefixtures("id_sequences_kept")
def test_an_export_costs_the_same_queries_for_a_large_catalogue(client):
    seed = queries_of_exports(client)
    delete_catalogue()
    generate_catalogue(initiatives=1_200, seed=3)
    large = queries_of_exports(client)
    published = Initiative.objects.published()
    # More rows than are read, and written out, at a time.
    count = published.count()
    assert count > CHUNK_SIZE
    assert large == seed
    with CaptureQueriesContext(connection) as queries:
        assert len(exported(published)) == count
    # The ids; the temporary table made, emptied, filled and dropped; the rows; the names of each
    # to-many column.
    assert len(queries) == 6 + len(to_many_columns(Initiative))


# What begins a formula in a spreadsheet (OWASP, "CSV Injection").
FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
CSV_EXPORTS = ["/initiatives/?format=csv", "/api/v1/initiatives/?format=csv"]


def csv_export_rows(client, path: str) -> dict[str, dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    return {row["slug"]: row for row in csv.DictReader(io.StringIO(content, newline=""))}


@pytest.mark.parametrize("path", CSV_EXPORTS)
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES, ids=repr)
def test_a_csv_export_writes_a_formula_as_text(client, path, prefix):
    city = CityFactory(name=f"{prefix}1+1", latitude=-33.92, longitude=-70.65)
    initiative = InitiativeFactory(name=f'{prefix}HYPERLINK("http://example.org")')
    initiative.cities.add(city)

    row = csv_export_rows(client, path)[initiative.slug]

    assert row["name"] == f"'{initiative.name}"
    # A related record's name is one cell of names: it begins with the formula, marked.
    assert row["cities"] == f"'{city.name}"
    cities = csv_export_rows(client, path.replace("initiatives", "cities"))
    assert cities[city.slug]["name"] == f"'{city.name}"
    # A negative number is a number, not a formula.
    assert (cities[city.slug]["latitude"], cities[city.slug]["longitude"]) == ("-33.92", "-70.65")


@pytest.mark.parametrize("path", ["/initiatives/?format=csv", "/agreements/?format=csv"])
def test_a_csv_export_gives_the_year_of_the_status(client, path):
    factory = InitiativeFactory if "initiatives" in path else AgreementFactory
    dated, undated = factory(status_as_of=2022), factory(status_as_of=None)
    rows = csv_export_rows(client, path)
    assert rows[dated.slug]["status_as_of"] == "2022"
    assert rows[undated.slug]["status_as_of"] == ""
