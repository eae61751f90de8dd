"""The API's HTTP manners: conditional requests, caching, CORS, rate limits and one error body
for every failure, including those Django answers itself."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle

from api.views import InitiativeViewSet
from catalogue.models import Actor, Initiative
from catalogue.views.pages import HomeView
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

PRINT_RATES = (
    "from django.conf import settings; import json; "
    "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
)
RECORD = "/api/v1/initiatives/gesda/"
LIST = "/api/v1/initiatives/?level=city"


@pytest.fixture
def curator_token(curator) -> str:
    return f"Token {Token.objects.create(user=curator).key}"


@pytest.fixture
def reader_token() -> str:
    reader = User.objects.create_user("reader", "reader@example.org", "a-long-passphrase-42")
    return f"Token {Token.objects.create(user=reader).key}"


def assert_error(response, status: int, code: str) -> dict:
    """The one error body: status, code and message, and fields when some are named."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(response.json()) == {"error"}
    assert {"status", "code", "message"} <= set(error) <= {"status", "code", "message", "fields"}
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"]
    return error


class TestConditionalRequests:
    @pytest.fixture
    def gesda(self):
        # Saved a while ago, so that saving it now moves its date by more than HTTP's second.
        Initiative.objects.filter(slug="gesda").update(
            updated_at=timezone.now() - timedelta(days=1)
        )
        return Initiative.objects.get(slug="gesda")

    def test_a_record_has_an_etag_and_the_date_it_was_saved(self, client, gesda):
        response = client.get(RECORD)
        assert response.status_code == 200
        assert response["ETag"].startswith('"') and len(response["ETag"]) > 10
        assert response["Last-Modified"] == http_date(gesda.updated_at.timestamp())

    def test_its_etag_gets_a_304_without_a_body(self, client, gesda):
        etag = client.get(RECORD)["ETag"]
        response = client.get(RECORD, headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag
        assert response["Cache-Control"] == "public, max-age=60"

    def test_its_date_gets_a_304(self, client, gesda):
        last_modified = client.get(RECORD)["Last-Modified"]
        response = client.get(RECORD, headers={"If-Modified-Since": last_modified})
        assert response.status_code == 304

    def test_a_changed_record_is_sent_again_with_a_new_etag_and_date(self, client, gesda):
        before = client.get(RECORD)
        gesda.summary = "Anticipating science for diplomacy."
        gesda.save()
        for condition in (
            {"If-None-Match": before["ETag"]},
            {"If-Modified-Since": before["Last-Modified"]},
        ):
            response = client.get(RECORD, headers=condition)
            assert response.status_code == 200
            assert response.json()["summary"] == "Anticipating science for diplomacy."
            assert response["ETag"] != before["ETag"]
            assert response["Last-Modified"] != before["Last-Modified"]

    def test_the_etag_changes_with_a_record_shown_in_brief(self, client, gesda):
        before = client.get(RECORD)
        actor = Actor.objects.get(slug="swiss-federal-council")
        actor.name = "Federal Council of Switzerland"
        actor.save()
        response = client.get(RECORD, headers={"If-None-Match": before["ETag"]})
        assert response.status_code == 200
        assert response["ETag"] != before["ETag"]

    def test_a_list_has_an_etag_for_its_query_string_but_no_date(self, client):
        response = client.get(LIST)
        assert response.status_code == 200
        assert "Last-Modified" not in response
        assert client.get(LIST, headers={"If-None-Match": response["ETag"]}).status_code == 304
        assert client.get(f"{LIST}&per_page=2")["ETag"] != response["ETag"]

    def test_a_new_record_in_a_list_changes_its_etag(self, client):
        etag = client.get(LIST)["ETag"]
        InitiativeFactory(level="city")
        response = client.get(LIST, headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert response["ETag"] != etag

    def test_head_has_the_headers_of_get(self, client, gesda):
        get, head = client.get(RECORD), client.head(RECORD)
        assert head.status_code == 200
        assert (head["ETag"], head["Last-Modified"]) == (get["ETag"], get["Last-Modified"])
        assert client.head(RECORD, headers={"If-None-Match": get["ETag"]}).status_code == 304

    def test_reference_data_has_an_etag(self, client):
        response = client.get("/api/v1/themes/")
        assert (
            client.get("/api/v1/themes/", headers={"If-None-Match": response["ETag"]}).status_code
            == 304
        )


class TestCaching:
    def test_anonymous_reads_may_be_kept_by_any_cache_for_a_minute(self, client):
        for path in (RECORD, LIST, "/api/v1/sdgs/"):
            response = client.get(path)
            assert response["Cache-Control"] == "public, max-age=60"
            assert {"Accept", "Authorization", "Cookie"} <= {
                header.strip() for header in response["Vary"].split(",")
            }

    def test_authenticated_reads_stay_private_and_are_revalidated(self, client, curator_token):
        response = client.get(RECORD, headers={"Authorization": curator_token})
        assert response["Cache-Control"] == "private, no-cache"
        again = client.get(
            RECORD, headers={"Authorization": curator_token, "If-None-Match": response["ETag"]}
        )
        assert again.status_code == 304

    def test_errors_are_never_stored(self, client):
        assert client.get("/api/v1/initiatives/no-such-initiative/")["Cache-Control"] == "no-store"
        assert client.get("/api/v1/initiatives/?kind=alliance")["Cache-Control"] == "no-store"


class TestCORS:
    def test_any_origin_may_read_anonymously(self, client):
        response = client.get(RECORD, headers={"Origin": "https://example.org"})
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response
        exposed = {
            header.strip() for header in response["Access-Control-Expose-Headers"].split(",")
        }
        assert {"ETag", "Last-Modified", "Retry-After"} <= exposed

    def test_a_preflight_allows_reads_only(self, client):
        response = client.options(
            LIST,
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
        )
        assert response.status_code == 200
        allowed = {method.strip() for method in response["Access-Control-Allow-Methods"].split(",")}
        assert allowed == {"GET", "HEAD", "OPTIONS"}

    def test_the_site_is_not_opened(self, client):
        response = client.get("/initiatives/", headers={"Origin": "https://example.org"})
        assert "Access-Control-Allow-Origin" not in response


class TestRateLimits:
    @pytest.fixture
    def tiny_anonymous_rate(self, monkeypatch):
        # DRF reads the rates once, when its throttles are imported.
        monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})

    @pytest.mark.parametrize(
        "environment, rates",
        [
            ({}, {"anon": "240/minute", "user": None}),
            (
                {"API_ANON_RATE": "5/second", "API_USER_RATE": "1000/hour"},
                {"anon": "5/second", "user": "1000/hour"},
            ),
        ],
    )
    def test_the_rates_come_from_the_environment(self, environment, rates):
        unset = {name: "" for name in ("API_ANON_RATE", "API_USER_RATE")}
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + PRINT_RATES],
            env={**os.environ, **unset, **environment, "DJANGO_SETTINGS_MODULE": "sciplo.settings"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(result.stdout) == rates

    def test_an_anonymous_client_over_its_rate_is_told_when_to_come_back(
        self, client, tiny_anonymous_rate
    ):
        assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
        response = client.get(LIST)
        error = assert_error(response, 429, "throttled")
        assert 0 < int(response["Retry-After"]) <= 60
        assert response["Retry-After"] in error["message"]
        assert response["Cache-Control"] == "no-store"

    def test_curators_are_not_limited(self, client, curator_token, tiny_anonymous_rate):
        statuses = {
            client.get(LIST, headers={"Authorization": curator_token}).status_code for _ in range(6)
        }
        assert statuses == {200}


class TestErrorBody:
    def test_400_names_the_parameter(self, client):
        error = assert_error(client.get("/api/v1/initiatives/?kind=alliance"), 400, "invalid")
        assert list(error["fields"]) == ["kind"]

    def test_401_for_a_token_that_is_not_valid(self, client):
        response = client.get(RECORD, headers={"Authorization": "Token not-a-token"})
        assert_error(response, 401, "authentication_failed")

    def test_401_for_a_write_without_credentials(self, client):
        response = client.post("/api/v1/initiatives/", {}, content_type="application/json")
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"

    def test_405_for_a_method_an_address_does_not_answer_whoever_asks(self, client):
        response = client.post("/api/v1/themes/", {}, content_type="application/json")
        assert_error(response, 405, "method_not_allowed")
        assert client.generic("TRACE", RECORD).status_code == 405

    def test_401_for_a_token_of_someone_neither_curator_nor_contributor(self, client, reader_token):
        response = client.post(
            "/api/v1/initiatives/",
            {"name": "Nope"},
            content_type="application/json",
            headers={"Authorization": reader_token},
        )
        assert_error(response, 401, "authentication_failed")

    def test_403_for_a_write_the_token_s_user_may_not_make(self, client, contributor):
        token = Token.objects.create(user=contributor)
        response = client.delete(RECORD, headers={"Authorization": f"Token {token.key}"})
        assert_error(response, 403, "permission_denied")

    def test_400_for_a_request_django_refuses(self, client):
        response = client.get(RECORD, headers={"Host": "not-an-allowed-host.example"})
        assert_error(response, 400, "bad_request")

    def test_404_for_an_unknown_record(self, client):
        assert_error(client.get("/api/v1/initiatives/no-such-initiative/"), 404, "not_found")

    @pytest.mark.parametrize(
        "path", ["/api/v1/no-such-endpoint/", "/api/v2/initiatives/", "/api/", "/api/v1/x/y/z/"]
    )
    def test_404_for_an_unknown_address_under_the_api(self, client, path):
        error = assert_error(client.get(path), 404, "not_found")
        assert "/api/v1/" in error["message"]

    def test_an_unknown_address_elsewhere_is_still_the_sites_page(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")

    def test_405_for_a_method_an_address_does_not_take(self, client, curator_token):
        response = client.put(
            "/api/v1/initiatives/", {}, content_type="application/json",
            headers={"Authorization": curator_token},
        )  # fmt: skip
        assert_error(response, 405, "method_not_allowed")

    def test_500_for_an_unhandled_error(self, monkeypatch):
        def fail(view):
            raise RuntimeError("a bug")

        monkeypatch.setattr(InitiativeViewSet, "get_queryset", fail)
        response = Client(raise_request_exception=False).get(LIST)
        error = assert_error(response, 500, "server_error")
        assert "a bug" not in error["message"]

    def test_a_failing_page_of_the_site_is_still_the_sites_500(self, monkeypatch):
        def fail(view, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(HomeView, "get_context_data", fail)
        response = Client(raise_request_exception=False).get("/")
        assert response.status_code == 500
        assert response["Content-Type"].startswith("text/html")


BIG_BODY = "x" * 3_000_000
MANY_FIELDS = "&".join(
    f"field{number}=1" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
)


FORM = "application/x-www-form-urlencoded"
TOO_LARGE = [
    (BIG_BODY, FORM, "2.5 MB"),
    (MANY_FIELDS, FORM, f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields"),
]


@pytest.mark.parametrize("path", ["/api/v1/initiatives/gesda/", "/api/v1/actors/"])
@pytest.mark.parametrize("content_type", [FORM, "multipart/form-data; boundary=x", "text/plain"])
def test_the_api_writes_take_json_only(client, curator_token, path, content_type):
    method = "PATCH" if path.endswith("gesda/") else "POST"
    before = Initiative.objects.get(slug="gesda").summary, Actor.objects.count()
    response = client.generic(
        method, path, "summary=x", content_type=content_type, HTTP_AUTHORIZATION=curator_token
    )
    error = assert_error(response, 415, "unsupported_media_type")
    assert content_type.split(";")[0] in error["message"]
    assert (Initiative.objects.get(slug="gesda").summary, Actor.objects.count()) == before


@pytest.mark.parametrize(
    ("path", "body", "content_type", "limit"),
    [
        (path, *request)
        for path in ("/api/v1/initiatives/gesda/", "/api/v1/actors/")
        for request in [(BIG_BODY, "application/json", "2.5 MB")]
    ]
    # Admin's forms are read as forms (a JSON body is no form's data, and is never read); the
    # API reads JSON only.
    + [("/admin/catalogue/initiative/add/", *request) for request in TOO_LARGE],
)
def test_a_request_beyond_a_size_limit_is_refused_as_too_large_naming_the_limit(
    client, curator, curator_token, path, body, content_type, limit
):
    client.force_login(curator)
    method = "PATCH" if path.endswith("gesda/") else "POST"
    response = client.generic(
        method, path, body, content_type=content_type, HTTP_AUTHORIZATION=curator_token
    )
    if path.startswith("/api/"):
        error = assert_error(response, 413, "too_large")
        assert limit in error["message"]
    else:
        assert response.status_code == 413
        assert limit in response.content.decode()
