"""Counts remembered under the catalogue's revision are reused until a write, and never after.

Each write-path test reads the initiatives' counts through the API (which fills the cache), writes
the catalogue one way, and reads them again: the new answer must be what the database says now,
the same as counting with an empty cache.
"""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from catalogue import history, revision
from catalogue.filters import InitiativeFilterSet
from catalogue.imports import import_rows
from catalogue.models import Initiative, Revision, Theme, Version
from catalogue.tabular import Row
from tests.catalogue.counting import database_counts
from tests.catalogue.test_history import form_data, token_client
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

COUNTED = "/api/v1/initiatives/?facets=status,theme,lead_kind,start_year&per_page=1"


def counts() -> dict:
    """The initiatives' number and facets as the API gives them now."""
    body = APIClient().get(COUNTED).json()
    facets = {
        name: {value["value"]: (value["label"], value["count"]) for value in values}
        for name, values in body["facets"].items()
    }
    return {"count": body["count"], **facets}


def counted_afresh() -> dict:
    """The same with nothing remembered."""
    cache.clear()
    return counts()


def database_said() -> dict:
    """The same counts as the database gives them."""
    published = Initiative.objects.published()
    facets = {facet.param: facet for facet in InitiativeFilterSet.facets}
    return {
        "count": published.count(),
        **{
            name: {
                value: count
                for value, count in database_counts(facets[name], published).items()
                if count
            }
            for name in ("status", "theme", "lead_kind", "start_year")
        },
    }


def assert_current(before: dict) -> None:
    after = counts()
    assert after != before, "the write changed nothing counted"
    assert after == counted_afresh()
    assert {
        name: value if name == "count" else {key: count for key, (_label, count) in value.items()}
        for name, value in after.items()
    } == database_said()


@pytest.fixture
def before() -> dict:
    return counts()


def test_counts_asked_again_are_not_counted_again():
    first = counts()
    with CaptureQueriesContext(connection) as queries:
        again = counts()
    assert again == first
    # The token, and the page's row with what its representation shows: nothing grouped.
    assert not [query for query in queries if "COUNT(" in query["sql"].upper()]


def test_a_new_token_in_the_database_retires_what_every_process_remembered(before):
    # Another process's write: the rows change and so does the token, which is all this one sees.
    Initiative.objects.filter(status="active").update(status="suspended")
    Revision.objects.update_or_create(pk=1, defaults={"token": "drawn-by-another-process"})
    assert_current(before)


def test_a_model_save_outside_any_recording(before):
    InitiativeFactory(publication="published", status="planned")
    assert_current(before)


def test_a_deletion(before):
    with history.recording():
        Initiative.objects.published().filter(children__isnull=True).first().delete()
    assert_current(before)


def test_a_many_to_many_change_from_the_other_side(before):
    theme = Theme.objects.get(slug="polar-regions")
    theme.initiatives.add(*Initiative.objects.published().exclude(themes=theme)[:2])
    assert_current(before)


def test_renaming_a_theme_changes_its_label(before):
    theme = Theme.objects.filter(initiatives__publication="published").first()
    theme.name = "Renamed theme"
    theme.save()
    assert_current(before)


def test_an_admin_change(curator_client, before):
    initiative = Initiative.objects.published().filter(status="active").first()
    url = reverse("admin:catalogue_initiative_change", args=[initiative.pk])
    data = form_data(curator_client.get(url), "initiative")
    data.update({"status": ["suspended"], "_save": ["Save"]})
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert_current(before)


def test_an_api_write_with_a_curators_token(curator, before):
    initiative = Initiative.objects.published().filter(status="active").first()
    response = token_client(curator).patch(
        f"/api/v1/initiatives/{initiative.slug}/", {"status": "completed"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert_current(before)


def test_a_bulk_import(curator, before):
    row = {"slug": "sea-kale-fund", "name": "Sea kale fund", "kind": "fund", "status": "planned"}
    rows = [Row(2, {**row, "level": "city", "publication": "published"})]
    result = import_rows(Initiative, rows, user=curator, dry_run=False, file_name="funds.csv")
    assert result.imported, result.error_rows
    assert_current(before)


def test_a_revert(curator):
    initiative = Initiative.objects.published().filter(status="active").first()
    first = Version.objects.of(initiative).first()
    with history.recording(user=curator):
        initiative.status = "suspended"
        initiative.save()
    before = counts()
    history.revert(initiative, first, user=curator)
    assert_current(before)


def test_a_write_rolled_back_keeps_the_token_and_the_counts():
    token = revision.current()
    counted = counts()
    with transaction.atomic():
        InitiativeFactory(publication="published", status="planned")
        transaction.set_rollback(True)
    assert revision.current() == token
    assert counts() == counted == counted_afresh()


def test_a_transaction_draws_one_token_however_many_rows_it_writes(curator):
    fund = {"kind": "fund", "status": "planned", "level": "city"}
    rows = [Row(n + 2, {"slug": f"fund-{n}", "name": f"Fund {n}", **fund}) for n in range(20)]
    with CaptureQueriesContext(connection) as queries:
        result = import_rows(Initiative, rows, user=curator, dry_run=False, file_name="f.csv")
    assert result.imported, result.error_rows
    table = Revision._meta.db_table
    updates = [query for query in queries if query["sql"].startswith(f'UPDATE "{table}"')]
    assert len(updates) == 1


def test_each_write_of_a_transaction_retires_what_its_process_derived_before_it():
    with transaction.atomic():
        InitiativeFactory(publication="published", status="planned")
        first = counts()
        InitiativeFactory(publication="published", status="planned")
        assert counts()["count"] == first["count"] + 1
        assert counts() == counted_afresh()


def test_a_token_drawn_in_a_savepoint_rolled_back_is_drawn_again_by_the_next_write():
    token = Revision.objects.get(pk=1).token
    with transaction.atomic():
        InitiativeFactory(publication="published")
        transaction.set_rollback(True)
    assert Revision.objects.get(pk=1).token == token
    InitiativeFactory(publication="published")
    assert Revision.objects.get(pk=1).token != token


def test_writes_a_reader_does_not_count_leave_the_token():
    token = revision.current()
    initiative = Initiative.objects.published().first()
    Version.objects.filter(pk=Version.objects.of(initiative).first().pk).update(message="Noted.")
    Version.objects.of(initiative).first().save()
    assert revision.current() == token


def test_a_request_reads_the_token_once():
    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(COUNTED).status_code == 200
    reads = [query for query in queries if Revision._meta.db_table in query["sql"]]
    assert len(reads) == 1


@pytest.mark.parametrize(
    "path", ["/api/v1/initiatives/?facets=status", "/initiatives/", "/api/v1/themes/"]
)
def test_an_anonymous_answer_is_remembered_until_a_write(client, path):
    first = client.get(path)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(path)
    assert again.content == first.content
    assert len(queries) == 1  # the revision token
    InitiativeFactory(publication="published", name="Zostera marina watch")
    Theme.objects.create(slug="seagrass", name="Seagrass")
    assert client.get(path).content != first.content


def test_a_record_page_shows_a_write_at_once(client):
    initiative = Initiative.objects.published().first()
    for path in (initiative.get_absolute_url(), f"/api/v1/initiatives/{initiative.slug}/"):
        client.get(path)
    initiative.name = "Renamed initiative"
    initiative.save()
    for path in (initiative.get_absolute_url(), f"/api/v1/initiatives/{initiative.slug}/"):
        assert "Renamed initiative" in client.get(path).content.decode()


def test_a_curator_never_gets_what_an_anonymous_reader_was_answered(client, curator):
    draft = InitiativeFactory(publication="draft", name="Draft tidal survey")
    anonymous = client.get("/api/v1/initiatives/?per_page=500").json()
    assert draft.slug not in {record["slug"] for record in anonymous["results"]}
    seen = token_client(curator).get("/api/v1/initiatives/?per_page=500").json()
    assert draft.slug in {record["slug"] for record in seen["results"]}
    client.force_login(curator)
    assert client.get(draft.get_absolute_url()).status_code == 200
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_an_export_and_an_error_are_not_remembered(client):
    for path in ("/initiatives/?format=csv", "/api/v1/initiatives/?format=csv"):
        b"".join(client.get(path).streaming_content)
        assert client.get(path).streaming, path
    client.get("/api/v1/initiatives/nowhere/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/initiatives/nowhere/").status_code == 404
    assert len(queries) > 1
