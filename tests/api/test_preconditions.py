"""A write through the API never undoes a change its client has not seen: a record's ETag names
how many times it was saved, a write with `If-Match` is made only if that is still so (412), and
a server may require `If-Match` (428). Every record route is checked the same way."""

import pytest

from catalogue import workflow
from catalogue.models import Publication
from tests.api.conftest import token_client
from tests.api.test_writes import RECORD_ROUTES
from tests.factories import RECORD_FACTORIES

pytestmark = pytest.mark.django_db


def url_of(prefix: str, record) -> str:
    return f"/api/v1/{prefix}/{record.slug}/"


def stored(record):
    return type(record).objects.get(pk=record.pk)


@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_a_record_s_etag_names_its_count_of_saves(curator_api, api, prefix, model):
    record = RECORD_FACTORIES[model]()
    for client in (curator_api, api, api):  # The anonymous read again, as remembered.
        etag = client.get(url_of(prefix, record))["ETag"]
        assert etag.startswith(f'"{record.lock_version}-'), etag


@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_a_write_with_a_stale_etag_is_refused_and_a_current_one_is_made(curator_api, prefix, model):
    record = RECORD_FACTORIES[model](summary="As read.")
    url = url_of(prefix, record)
    read = curator_api.get(url)["ETag"]
    first = curator_api.patch(url, {"summary": "First."}, format="json", headers={"If-Match": read})
    assert first.status_code == 200, first.content
    assert first["ETag"].startswith(f'"{record.lock_version + 1}-')
    assert first["ETag"] == curator_api.get(url)["ETag"]
    # A second client that read before the first wrote.
    second = curator_api.patch(url, {"name": "Second"}, format="json", headers={"If-Match": read})
    assert second.status_code == 412
    assert second.json()["error"]["code"] == "precondition_failed"
    assert (stored(record).name, stored(record).summary) == (record.name, "First.")
    third = curator_api.patch(
        url, {"name": "Third"}, format="json", headers={"If-Match": f'"x", {first["ETag"]}'}
    )
    assert third.status_code == 200, third.content
    assert (stored(record).name, stored(record).summary) == ("Third", "First.")


@pytest.mark.parametrize(
    "if_match",
    [
        pytest.param(lambda etag: f"W/{etag}", id="weak"),
        pytest.param(lambda etag: '"not-a-version"', id="foreign"),
        pytest.param(lambda etag: etag.strip('"'), id="unquoted"),
        pytest.param(lambda etag: "", id="empty"),
    ],
)
@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_an_if_match_naming_no_current_save_is_refused(curator_api, prefix, model, if_match):
    record = RECORD_FACTORIES[model](summary="As read.")
    url = url_of(prefix, record)
    etag = curator_api.get(url)["ETag"]
    for method, payload in (("put", None), ("patch", {"summary": "Changed."}), ("delete", None)):
        if method == "put":
            payload = {**curator_api.get(url).json(), "summary": "Changed."}
        response = getattr(curator_api, method)(
            url, payload, format="json", headers={"If-Match": if_match(etag)}
        )
        assert response.status_code == 412, (method, response.content)
    assert stored(record).summary == "As read."


@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_if_match_star_and_a_current_etag_let_a_delete_through(curator_api, prefix, model):
    record, other = RECORD_FACTORIES[model](), RECORD_FACTORIES[model]()
    etag = curator_api.get(url_of(prefix, record))["ETag"]
    assert curator_api.delete(url_of(prefix, record), headers={"If-Match": etag}).status_code == 204
    assert curator_api.delete(url_of(prefix, other), headers={"If-Match": "*"}).status_code == 204
    assert not type(record).objects.filter(pk__in=[record.pk, other.pk]).exists()


@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_a_server_may_require_if_match(curator_api, settings, prefix, model):
    settings.API_REQUIRE_IF_MATCH = True
    record = RECORD_FACTORIES[model](summary="As read.")
    url = url_of(prefix, record)
    for method in ("patch", "delete"):
        response = getattr(curator_api, method)(url, {"summary": "Blind."}, format="json")
        assert response.status_code == 428, response.content
        assert response.json()["error"]["code"] == "precondition_required"
    assert stored(record).summary == "As read."
    etag = curator_api.get(url)["ETag"]
    response = curator_api.patch(
        url, {"summary": "Seen."}, format="json", headers={"If-Match": etag}
    )
    assert response.status_code == 200
    assert stored(record).summary == "Seen."


def test_a_contributor_s_write_to_a_draft_published_meanwhile_is_refused(contributor, curator):
    draft = RECORD_FACTORIES[RECORD_ROUTES[0][1]](publication=Publication.DRAFT)
    url = url_of(RECORD_ROUTES[0][0], draft)
    contributor_api = token_client(contributor)
    etag = contributor_api.get(url)["ETag"]
    workflow.transition(draft, "publish", user=curator)
    for headers in ({}, {"If-Match": etag}):
        response = contributor_api.patch(
            url, {"publication": "draft", "summary": "Late."}, format="json", headers=headers
        )
        assert response.status_code in (403, 412), response.content
    assert (stored(draft).publication, stored(draft).summary) == (Publication.PUBLISHED, "")
