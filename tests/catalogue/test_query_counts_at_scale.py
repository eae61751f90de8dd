"""No request's number of queries grows with the catalogue: every endpoint a reader reaches (list
pages, record pages and their JSON, the API's lists and records, the CSV exports) is counted on a
generated catalogue of each size and compared with one table of pinned numbers, the same for
every size."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from catalogue import filters, index
from catalogue.models import Actor, Agreement, City, Course, Initiative
from synthetic.generator import generate_catalogue

pytestmark = pytest.mark.django_db

SIZES = (40, 400)
SEED = 11
# A word of the generated descriptions and summaries that records of every kind use at every
# size: a search that finds nothing skips the page's rows and prefetches, and would be cheaper.
WORD = "research"

# Each endpoint's queries afresh (nothing remembered) and asked again (its whole answer remembered:
# the revision token alone). Addresses name records by kind: the published record of that kind
# with the most relations (`richest_records()`).
QUERIES = {
    # List pages: the revision token, the page's rows and what they show, and a search's
    # reading (the synonym groups, the words no record holds) and matches; the count and the
    # facets come from the list index.
    "/initiatives/": (4, 1),
    f"/initiatives/?q={WORD}&status=active&level=national": (7, 1),
    "/actors/": (2, 1),
    f"/actors/?q={WORD}&kind=research": (5, 1),
    "/courses/": (3, 1),
    f"/courses/?q={WORD}&kind=course": (6, 1),
    "/agreements/": (4, 1),
    f"/agreements/?q={WORD}&status=signed": (7, 1),
    "/cities/": (2, 1),
    f"/cities/?q={WORD}&strategy=none_known": (5, 1),
    # Record pages: the token, the record, its citations, one query per relation it shows, and
    # on the page, not in its JSON, the record's changes. An actor's agreements come with their
    # parties (two queries), which say whether each is bilateral.
    "/initiatives/{initiative}/": (14, 1),
    "/initiatives/{initiative}/?format=json": (13, 1),
    "/actors/{actor}/": (10, 1),
    "/actors/{actor}/?format=json": (9, 1),
    "/courses/{course}/": (6, 1),
    "/courses/{course}/?format=json": (5, 1),
    "/agreements/{agreement}/": (9, 1),
    "/agreements/{agreement}/?format=json": (8, 1),
    "/cities/{city}/": (12, 1),
    "/cities/{city}/?format=json": (11, 1),
    # API lists: the token, the page's rows, one query per relation of the representation
    # (catalogue/representations.py) and a search's matches; counts come from the list index.
    "/api/v1/initiatives/?per_page=50": (10, 1),
    "/api/v1/initiatives/?status=active&level=national&facets=status,kind,level": (10, 1),
    f"/api/v1/initiatives/?q={WORD}&facets=status,kind": (13, 1),
    "/api/v1/actors/?per_page=50": (3, 1),
    "/api/v1/courses/?per_page=50": (5, 1),
    "/api/v1/agreements/?per_page=50": (8, 1),
    "/api/v1/cities/?per_page=50": (3, 1),
    # API records: the token, the record's id, its row and one query per relation it shows.
    "/api/v1/initiatives/{initiative}/": (11, 1),
    "/api/v1/actors/{actor}/": (4, 1),
    "/api/v1/courses/{course}/": (6, 1),
    "/api/v1/agreements/{agreement}/": (9, 1),
    "/api/v1/cities/{city}/": (4, 1),
    # Exports: the token, the temporary table of the chosen ids (made, emptied, filled, dropped),
    # one query over every row and one per to-many column. Streamed, so never remembered.
    "/initiatives/?format=csv": (8, 8),
    "/api/v1/initiatives/?format=csv": (8, 8),
}


def richest_records() -> dict[str, str]:
    """The slug of the published record of each kind with the most relations of its main kind,
    the one with the most to show."""
    most = {
        "initiative": Initiative.objects.published().annotate(n=Count("participations")),
        "actor": Actor.objects.published().annotate(n=Count("participations")),
        "course": Course.objects.published().annotate(n=Count("provisions")),
        "agreement": Agreement.objects.published().annotate(n=Count("party_links")),
        "city": City.objects.published().annotate(n=Count("initiatives")),
    }
    return {
        kind: records.order_by("-n", "slug").values_list("slug", flat=True)[0]
        for kind, records in most.items()
    }


def results_found(client, address: str) -> int:
    """How many results the list at `address` (on the site or in the API) finds."""
    cache.clear()
    response = client.get(address)
    return response.context["total"] if response.context else response.json()["count"]


def queries_afresh_and_again(client, address: str) -> tuple[int, int]:
    """The queries of asking for `address` with nothing remembered, then of asking again. A list
    index, which the first list of its kind after a write builds, is built before counting:
    `test_a_list_index_costs_the_same_queries_at_every_size` counts it."""
    client.get(address)
    cache.clear()
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(address)
            assert response.status_code == 200, address
            if response.streaming:
                b"".join(response.streaming_content)
        counts.append(len(queries))
    return counts[0], counts[1]


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.parametrize("initiatives", SIZES)
def test_every_endpoint_costs_the_same_queries_at_every_size(client, initiatives):
    generate_catalogue(initiatives=initiatives, seed=SEED)
    records = richest_records()
    for search in [address for address in QUERIES if f"q={WORD}" in address]:
        assert results_found(client, search), search
    counts = {
        address: queries_afresh_and_again(client, address.format(**records)) for address in QUERIES
    }
    assert counts == QUERIES


# Building the list index of each kind: its records' own columns in one query, two per filter
# parameter over a relation (the related records, then the links), one per bucket of a computed
# facet, one per sort order.
INDEX_QUERIES = {
    filters.InitiativeFilterSet: 32,
    filters.ActorFilterSet: 19,
    filters.CourseFilterSet: 19,
    filters.AgreementFilterSet: 19,
    filters.CityFilterSet: 11,
}


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.parametrize("initiatives", SIZES)
def test_a_list_index_costs_the_same_queries_at_every_size(initiatives):
    generate_catalogue(initiatives=initiatives, seed=SEED)
    counts = {}
    for filterset_class in INDEX_QUERIES:
        index.forget()
        with CaptureQueriesContext(connection) as queries:
            index.index_for(filterset_class)
        counts[filterset_class] = len(queries)
    assert counts == INDEX_QUERIES
