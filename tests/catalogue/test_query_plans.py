"""The search and relation queries can use the indexes chosen for them (docs/performance.md).

PostgreSQL only: the indexes were chosen there from EXPLAIN ANALYZE at 100,000 initiatives, where
the planner prefers them. The test catalogue has a few dozen rows, on which every plan costs about
the same, so each test leaves the planner only the kinds of scan its index is meant to give (for
the test's transaction only, `SET LOCAL enable_…= off`) and checks that the plan names the index:
that the query's conditions imply the partial index's, and that the index holds the columns the
query reads. A change to the queries that the index no longer serves fails the test.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Initiative, Theme

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="The indexes are PostgreSQL's query plans."
    ),
]


def disable(*scans: str) -> None:
    """Makes the planner avoid `scans` (seqscan, indexscan …) unless it has no other way."""
    with connection.cursor() as cursor:
        for scan in scans:
            cursor.execute(f"SET LOCAL enable_{scan} = off")


def index_scans(sql: str, params=()) -> set[tuple[str, str]]:
    """(kind of scan, index name) of each index scan in the plan of `sql`."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    found = set()

    def visit(node):
        if "Index Name" in node:
            found.add((node["Node Type"], node["Index Name"]))
        for child in node.get("Plans", ()):
            visit(child)

    visit(plan[0]["Plan"])
    return found


def indexes_used(sql: str, params=()) -> set[str]:
    """The names of the indexes in the plan of `sql`."""
    return {name for _scan, name in index_scans(sql, params)}


def plan_of(queryset) -> set[str]:
    return indexes_used(*queryset.query.sql_with_params())


def request_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_a_search_reads_its_words_from_the_terms_index_alone(client):
    # A range of the index for each word, its records and scores read from the index without
    # visiting the table, not a pass over every term: both to find which words no record holds
    # (every kind's terms) and to find the records.
    disable("seqscan", "bitmapscan")
    queries = request_queries(client, "/api/v1/initiatives/?q=geneva+science")
    reading, search = [sql for sql in queries if "catalogue_initiativesearchterm" in sql]
    for model in ("city", "actor", "initiative", "course", "agreement"):
        assert ("Index Only Scan", f"{model}searchterm_lexeme") in index_scans(reading)
    assert ("Index Only Scan", "initiativesearchterm_lexeme") in index_scans(search)


def test_a_theme_page_reads_the_themes_initiatives_from_one_index(client):
    # In their order, as the composite index holds them: the theme_id index Django adds would
    # need a sort more, so the plan names the composite whatever the (tiny) table's statistics.
    disable("seqscan", "bitmapscan")
    health = Theme.objects.get(slug="health")
    themed = (
        Initiative.themes.through.objects.filter(theme=health)
        .order_by("initiative_id")
        .values("initiative_id")
    )
    assert "catalogue_initiative_themes_theme_id_initiative" in plan_of(themed)
