"""Every list page, checked the same way: results, filters, facets, chips, sorting, paging,
exports and query budget; then counts checked by hand against the seed catalogue."""

import csv
import datetime
import io
import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from catalogue import filters
from catalogue.facets import DecadeFacet
from catalogue.models import Actor, Agreement, City, Course, Initiative, Publication, Theme
from catalogue.partial_dates import DatePrecision, PartialDateField
from catalogue.views import lists
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class ListPage:
    url_name: str
    model: type
    factory: type
    # The page's queries whatever its size: the revision token, its rows and what they show
    # (`list_prefetch_related`); the count and the facets come from the list index. Once the
    # whole page is remembered, the token alone.
    queries: int


LIST_PAGES = [
    ListPage("catalogue:initiative-list", Initiative, InitiativeFactory, 4),
    ListPage("catalogue:actor-list", Actor, ActorFactory, 2),
    ListPage("catalogue:course-list", Course, CourseFactory, 3),
    ListPage("catalogue:agreement-list", Agreement, AgreementFactory, 4),
    ListPage("catalogue:city-list", City, CityFactory, 2),
]
IDS = [page.model.__name__ for page in LIST_PAGES]


def page_totals(response) -> int:
    return response.context["total"]


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_lists_every_published_record_and_no_draft(client, page):
    page.factory(name="Draft that must not show", publication=Publication.DRAFT)
    page.factory(name="Archived that must not show", publication=Publication.ARCHIVED)
    response = client.get(reverse(page.url_name), {"per_page": 100})
    assert response.status_code == 200
    assert page_totals(response) == page.model.objects.published().count()
    content = response.content.decode()
    assert "Draft that must not show" not in content
    assert "Archived that must not show" not in content
    for record in page.model.objects.published()[:5]:
        assert record.get_absolute_url() in content


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_every_facet_count_is_what_clicking_it_gives(client, page):
    """Following any value's link gives exactly the count shown beside it; so does following a
    further value from there, in the same facet (OR) or another (AND)."""
    url = reverse(page.url_name)
    response = client.get(url)
    assert response.context["facets"], "every list page offers facets"
    for facet_position, (_facet, values) in enumerate(response.context["facets"]):
        for position, value in enumerate(values):
            clicked = client.get(f"{url}?{value.url}")
            assert page_totals(clicked) == value.count, (value.label, value.url)
            if position or facet_position > 2:
                continue
            for _second_facet, second_values in clicked.context["facets"]:
                # A chosen value's link removes it; its count is the results carrying it.
                for second in [v for v in second_values if not v.selected][:2]:
                    again = client.get(f"{url}?{second.url}")
                    assert page_totals(again) == second.count, (second.label, second.url)


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_chips_remove_one_filter_and_clear_all(client, page):
    url = reverse(page.url_name)
    facets = client.get(url).context["facets"]
    first_two = [(facet, values[0]) for facet, values in facets if values][:2]
    query = "&".join(value.url for _facet, value in first_two)
    response = client.get(f"{url}?{query}")
    chips = response.context["chips"]
    assert len(chips) == 2
    assert chips[0].label.startswith(first_two[0][0].title)
    without_first = client.get(url + chips[0].remove_url)
    assert len(without_first.context["chips"]) == 1
    assert 'href="?">Clear all' in response.content.decode()


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_search_sort_and_paging(client, page):
    page.factory.create_batch(30, summary="Zebra unique token")
    url = reverse(page.url_name)
    response = client.get(url, {"q": "zebra"})
    assert page_totals(response) == 30
    assert response.context["page"].paginator.num_pages == 2
    second = client.get(url, {"q": "zebra", "page": 2})
    assert len(second.context["page"].object_list) == 5
    names = [r.name for r in client.get(url, {"sort": "-name", "per_page": 100}).context["page"]]
    assert names == sorted(names, key=str.lower, reverse=True) or names == sorted(
        names, reverse=True
    )
    assert client.get(url, {"page": 99}).status_code == 404
    # The rows mark the words the search matched.
    assert "<mark>Zebra</mark> unique token" in response.content.decode()


def missing_or_value(field, rank: int) -> dict:
    """Field values for a record: none when `rank` is None, else the `rank`-th of a few."""
    if rank is None:
        values = {field.name: None}
    elif isinstance(field, models.DateField):
        values = {field.name: datetime.date(2001 + 4 * rank, 1, 1)}
    else:
        values = {field.name: 2001 + 4 * rank}
    if isinstance(field, PartialDateField):
        values[field.precision_attname] = "" if rank is None else DatePrecision.DAY
    return values


def filterset_of(page: ListPage):
    return resolve(reverse(page.url_name)).func.view_class.filterset_class


# Each list's sorts by a field a record may lack.
SORTS_BY_OPTIONAL_FIELDS = [
    (page, sort, page.model._meta.get_field(fields[0].removeprefix("-")))
    for page in LIST_PAGES
    for sort, (_label, fields) in filterset_of(page).sort_options.items()
    if page.model._meta.get_field(fields[0].removeprefix("-")).null
]


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.parametrize(
    ("page", "sort", "field"),
    SORTS_BY_OPTIONAL_FIELDS,
    ids=[f"{page.model.__name__}-{sort}" for page, sort, _field in SORTS_BY_OPTIONAL_FIELDS],
)
def test_records_without_a_value_come_last_in_every_sort_both_ways(client, page, sort, field):
    """Undated records are neither the oldest nor the newest: in every sort by a field a record
    may lack, on the page, in the API and in the FilterSet's own queryset, they come after
    those with a value, ascending and descending."""
    # Named against the order, so that a missing value sorted as the smallest or the largest,
    # or by name, shows.
    made = {
        rank: page.factory(name=name, **missing_or_value(field, rank))
        for rank, name in ((None, "Aardvark"), (0, "Middle"), (1, "Zulu"), (2, "Bee"))
    }
    descending = sort.startswith("-")
    expected = [made[rank].slug for rank in ((2, 1, 0) if descending else (0, 1, 2))]
    expected.append(made[None].slug)
    on_page = client.get(reverse(page.url_name), {"sort": sort}).context["page"]
    assert [record.slug for record in on_page] == expected
    plural = page.model._meta.verbose_name_plural
    api = client.get(f"/api/v1/{plural}/", {"sort": sort}).json()
    assert [record["slug"] for record in api["results"]] == expected
    filterset = filterset_of(page)({"sort": sort}, queryset=page.model.objects.published())
    assert [record.slug for record in filterset.qs] == expected


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_bad_filter_values_are_reported_by_name(client, page):
    url = reverse(page.url_name)
    facets = client.get(url).context["facets"]
    param = facets[0][0].params[0]
    response = client.get(url, {param: "no-such-value", "sort": "sideways"})
    assert response.status_code == 400
    errors = response.context["filterset"].errors
    assert param in errors and "sort" in errors
    assert f"<strong>{param}</strong>" in response.content.decode()


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_exports_hold_the_whole_filtered_result(client, page):
    page.factory.create_batch(30, summary="Export marker")
    url = reverse(page.url_name)
    csv_response = client.get(url, {"q": "export marker", "format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert len(rows) == 30
    assert rows[0]["url"].startswith("http://testserver/")
    assert {"slug", "name", "summary"} <= set(rows[0])
    json_response = client.get(url, {"q": "export marker", "format": "json"})
    records = json.loads(b"".join(json_response.streaming_content))
    assert len(records) == 30
    assert {record["slug"] for record in records} == {row["slug"] for row in rows}


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_query_count_is_pinned_and_independent_of_page_size(client, page):
    page.factory.create_batch(40)
    url = reverse(page.url_name)
    # The list index is built by the first request after a write (test_index.py counts it).
    client.get(url, {"per_page": 50})
    counts = []
    # Afresh; another page size afresh; the same page remembered; afresh again.
    for per_page in (25, 100, 100, None):
        if per_page is None:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"per_page": per_page or 100}).status_code == 200
        counts.append(len(queries))
    assert counts == [page.queries, page.queries, 1, page.queries]


def test_themes_list_what_each_touches(client):
    response = client.get(reverse("catalogue:theme-list"))
    themes = {theme.slug: theme for theme in response.context["themes"]}
    assert themes["science-policy-interface"].initiative_count == 8
    assert themes["polar-regions"].initiative_count == 3
    assert (
        themes["polar-regions"].agreement_count
        == Agreement.objects.published().filter(themes__slug="polar-regions").count()
    )
    assert Theme.objects.count() == len(themes)
    page = client.get(reverse("catalogue:theme-detail", args=["polar-regions"]))
    assert "European-Russian Centre" in page.content.decode()


# Counts below are counted by hand in fixtures/seed/initiatives.yaml.
INITIATIVES = "/initiatives/"


def facet_counts(response, param: str) -> dict[str, int]:
    for facet, values in response.context["facets"]:
        if facet.param == param:
            return {value.value: value.count for value in values}
    raise AssertionError(f"no facet {param}")


def test_initiative_facets_on_the_seed(client):
    response = client.get(INITIATIVES)
    assert page_totals(response) == 27
    levels = {"city": 11, "regional": 9, "global": 4, "national": 3}
    assert facet_counts(response, "level") == levels
    assert facet_counts(response, "status") == {"active": 22, "completed": 3, "planned": 2}
    kinds = facet_counts(response, "kind")
    assert kinds["programme"] == 13 and kinds["network"] == 4 and kinds["office"] == 1
    themes = facet_counts(response, "theme")
    assert themes["innovation-and-entrepreneurship"] == 8
    assert themes["talent-and-mobility"] == 4
    assert themes["science-policy-interface"] == 8
    assert facet_counts(response, "city")["geneva"] == 3


def test_values_within_a_facet_combine_with_or(client):
    response = client.get(
        INITIATIVES, {"theme": ["innovation-and-entrepreneurship", "talent-and-mobility"]}
    )
    assert page_totals(response) == 9


def test_facets_combine_with_and(client):
    response = client.get(INITIATIVES, {"level": "city", "theme": "science-policy-interface"})
    assert page_totals(response) == 6
    response = client.get(
        INITIATIVES, {"city": "geneva", "theme": "innovation-and-entrepreneurship"}
    )
    assert [record.slug for record in response.context["page"]] == ["gesda"]


def test_count_beside_an_unchosen_value_adds_to_the_chosen_ones(client):
    response = client.get(INITIATIVES, {"theme": "innovation-and-entrepreneurship"})
    assert page_totals(response) == 8
    themes = facet_counts(response, "theme")
    assert themes["innovation-and-entrepreneurship"] == 8
    assert themes["talent-and-mobility"] == 9  # 8 chosen + brain-city-berlin
    assert facet_counts(response, "level") == {"city": 6, "regional": 2}


def test_initiative_found_by_its_lead_actors_acronym(client):
    response = client.get(INITIATIVES, {"q": "GCA"})
    assert "gca-miami-office" in [record.slug for record in response.context["page"]]


def test_start_year_range(client):
    response = client.get(INITIATIVES, {"start_year_min": 2018, "start_year_max": 2019})
    assert page_totals(response) == 5  # three launched in 2018, two in 2019
    decades = facet_counts(client.get(INITIATIVES), "start_year")
    assert decades == {"2010": 8, "2020": 1}


def test_filters_without_a_facet(client):
    agreements = "/agreements/"
    by_initiative = client.get(agreements, {"initiative": "iter"})
    assert [record.slug for record in by_initiative.context["page"]] == ["iter-agreement"]
    since_2019 = client.get(agreements, {"signed_year_min": 2019})
    assert page_totals(since_2019) == 3  # 2019 (Miami), late 2021 (UK-USA), July 2022 (UK-NZ)
    until_2006 = client.get(agreements, {"signed_year_max": 2006})
    assert [record.slug for record in until_2006.context["page"]] == ["iter-agreement"]
    ended = client.get("/initiatives/", {"start_year_min": 2019, "start_year_max": 2020})
    assert page_totals(ended) == 2


def test_courses_open_for_application(client):
    today = timezone.localdate()
    open_course = CourseFactory(
        starts_on=today + datetime.timedelta(days=60),
        application_deadline=today + datetime.timedelta(days=10),
    )
    CourseFactory(
        starts_on=today + datetime.timedelta(days=60),
        application_deadline=today - datetime.timedelta(days=1),
    )
    response = client.get("/courses/", {"state": "open"})
    assert [record.slug for record in response.context["page"]] == [open_course.slug]
    states = facet_counts(client.get("/courses/"), "state")
    assert states["open"] == 1 and states["upcoming"] == 1


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # The revision token (are the list indexes current?), the synonym groups and the words
        # no record holds (the search's reading), the search of each kind, a page of each kind
        # that matches (3).
        ("/search/?q=geneva", 11),
        ("/themes/", 1),
        ("/themes/polar-regions/", 7),
    ],
)
def test_other_pages_have_a_fixed_query_budget(client, url, queries):
    InitiativeFactory.create_batch(5, summary="Geneva polar")
    # The list indexes the search reads are built by the first search after a write.
    client.get("/search/?q=polar")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert len(captured) == queries


def test_filters_on_a_records_own_fields_keep_each_record_once_without_distinct():
    """A DISTINCT over whole rows would make every count of a filtered list compare rows."""
    query = {"status": ["active", "planned"], "level": ["city", "global"], "kind": ["hub"]}
    filterset = filters.InitiativeFilterSet(query, queryset=Initiative.objects.published())
    expected = {
        initiative.pk
        for initiative in Initiative.objects.published()
        if initiative.status in query["status"]
        and initiative.level in query["level"]
        and initiative.kind in query["kind"]
    }
    assert not filterset.qs.query.distinct
    assert sorted(filterset.qs.values_list("pk", flat=True)) == sorted(expected)
    assert expected


def shown_values(response, param: str):
    """The values of the facet `param` as the page shows them."""
    return next(values for facet, values in response.context["facets"] if facet.param == param)


def test_a_facet_shows_its_most_frequent_values_and_links_to_all(client, monkeypatch):
    monkeypatch.setattr(lists, "FACET_VALUES_SHOWN", 3)
    every = client.get(INITIATIVES, {"facet_all": "theme"})
    themes = facet_counts(every, "theme")
    assert len(themes) > 3 and shown_values(every, "theme").hidden == 0

    response = client.get(INITIATIVES)
    shown = shown_values(response, "theme")
    assert [value.count for value in shown] == sorted(themes.values(), reverse=True)[:3]
    assert shown.hidden == len(themes) - 3
    assert f"All {len(themes)} values" in response.content.decode()
    cache.clear()  # for the page's context, which a remembered page has not
    assert facet_counts(client.get(f"{INITIATIVES}?{shown.all_url}"), "theme") == themes


def test_a_chosen_value_is_shown_however_rare(client, monkeypatch):
    monkeypatch.setattr(lists, "FACET_VALUES_SHOWN", 1)
    themes = facet_counts(client.get(INITIATIVES, {"facet_all": "theme"}), "theme")
    rarest = min(themes, key=themes.get)
    shown = shown_values(client.get(INITIATIVES, {"theme": rarest}), "theme")
    assert [value.value for value in shown] == [rarest]


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.parametrize(
    "page",
    [
        page
        for page in LIST_PAGES
        if any(isinstance(facet, DecadeFacet) for facet in filterset_of(page).facets)
    ],
    ids=lambda page: page.model.__name__,
)
def test_a_range_of_years_is_chosen_from_and_to_in_the_page(client, page):
    """Beside the decades, a form chooses any range of years, keeping the other filters; a
    year out of range is reported by the filter's name."""
    facet = next(f for f in filterset_of(page).facets if isinstance(f, DecadeFacet))
    low, high = facet.params
    field = page.model._meta.get_field(facet.path.split("__")[0])
    for rank in range(5):
        page.factory(name=f"Dated {rank}", **missing_or_value(field, rank))
    url = reverse(page.url_name)
    text = client.get(url, {"q": "dated", "sort": "name"}).content.decode()
    form = text[text.index('<form class="year-range"') :]
    form = form[: form.index("</form>")]
    assert f'name="{low}"' in form and f'name="{high}"' in form
    assert '<input type="hidden" name="q" value="dated">' in form
    assert '<input type="hidden" name="sort" value="name">' in form

    # 2005 to 2013, across two decades: the records of 2005, 2009 and 2013.
    response = client.get(url, {"q": "dated", "sort": "name", low: "2005", high: "2013"})
    assert [record.name for record in response.context["page"]] == [
        "Dated 1",
        "Dated 2",
        "Dated 3",
    ]
    assert 'value="2005"' in response.content.decode()

    response = client.get(url, {low: "abc", high: "99999"})
    assert response.status_code == 400
    errors = response.context["filterset"].errors
    assert low in errors and high in errors


@pytest.mark.parametrize("page", LIST_PAGES, ids=IDS)
def test_every_kind_has_an_acronym_and_other_names_shown_searched_and_exported(client, page):
    record = page.factory(
        name="Quillwort Observatory",
        acronym="QWO",
        alternative_names="Observatoire des Isoètes\nQuillwort Station",
    )
    url = reverse(page.url_name)
    for searched in ("QWO", "isoetes", "quillwort station"):
        found = client.get(url, {"q": searched}).context["page"]
        assert [row.slug for row in found] == [record.slug], searched
    text = client.get(record.get_absolute_url()).content.decode()
    assert "<dt>Acronym</dt><dd>QWO</dd>" in text
    assert "<dt>Also known as</dt><dd>Observatoire des Isoètes; Quillwort Station</dd>" in text
    listed = client.get(url, {"q": "QWO"}).content.decode()
    assert '<abbr class="acronym" title="Quillwort Observatory"><mark>QWO</mark></abbr>' in listed
    data = client.get(record.get_absolute_url(), {"format": "json"}).json()
    assert (data["acronym"], data["alternative_names"]) == ("QWO", record.alternative_names)
    plural = page.model._meta.verbose_name_plural
    api = client.get(f"/api/v1/{plural}/{record.slug}/").json()
    assert (api["acronym"], api["alternative_names"]) == ("QWO", record.alternative_names)
    exported = client.get(url, {"q": "QWO", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert (rows[0]["acronym"], rows[0]["alternative_names"]) == (
        "QWO",
        record.alternative_names,
    )
