"""The OpenAPI schema: valid, without warnings, describing every endpoint, parameter and error;
its two readers served with the app's own assets; and the API answering as it says, checked by
schemathesis with generated requests."""

import re
from io import StringIO

import hypothesis
import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.urls import router
from tests.factories import RECORD_FACTORIES

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/schema/?format=json"
LIST_PARAMETERS = {"q", "sort", "facets", "format", "page", "per_page"}


@pytest.fixture
def openapi(client) -> dict:
    response = client.get(SCHEMA)
    assert response.status_code == 200
    return response.json()


def list_operations(openapi):
    for prefix, viewset, _basename in router.registry:
        yield viewset, openapi["paths"][f"/api/v1/{prefix}/"]["get"]


def test_the_schema_is_valid_and_generated_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        f"--file={tmp_path / 'schema.yml'}",
        stderr=StringIO(),
    )


def test_the_served_schema_is_valid_openapi(openapi):
    validate_schema(openapi)
    assert openapi["openapi"].startswith("3.")


def test_every_endpoint_is_described(openapi):
    for prefix, viewset, _basename in router.registry:
        lookup = viewset.lookup_field
        assert "get" in openapi["paths"][f"/api/v1/{prefix}/"]
        assert "get" in openapi["paths"][f"/api/v1/{prefix}/{{{lookup}}}/"]


def test_every_filter_is_a_parameter_with_its_allowed_values(openapi):
    for viewset, operation in list_operations(openapi):
        parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
        filterset_class = getattr(viewset, "filterset_class", None)
        if filterset_class is None:
            assert {"page", "per_page", "format"} <= set(parameters)
            continue
        filterset = filterset_class(queryset=viewset.model.objects.none())
        assert set(filterset.filters) | LIST_PARAMETERS == set(parameters), viewset.__name__
        for name, filter_field in filterset.filters.items():
            choices = filter_field.extra.get("choices")
            if choices is None:
                continue
            schema = parameters[name]["schema"]
            schema = schema.get("items", schema)
            values = [value for value, _label in (choices() if callable(choices) else choices)]
            if "enum" in schema:
                assert sorted(map(str, schema["enum"])) == sorted(map(str, values)), name
            else:
                assert (schema["minimum"], schema["maximum"]) == (min(values), max(values)), name
        facets = parameters["facets"]
        assert (facets["style"], facets["explode"]) == ("form", False)
        assert facets["schema"]["items"]["enum"] == sorted(f.param for f in filterset_class.facets)


def test_sort_offers_the_lists_orders(openapi):
    operation = openapi["paths"]["/api/v1/agreements/"]["get"]
    sort = next(p for p in operation["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == sorted(
        ["relevance", "name", "-name", "-updated", "signed", "-signed"]
    )


def test_a_list_is_a_page_with_facets(openapi):
    page = openapi["components"]["schemas"]["PaginatedInitiativeList"]
    assert {"count", "next", "previous", "results", "facets"} <= set(page["properties"])
    value = page["properties"]["facets"]["additionalProperties"]["items"]
    assert set(value["required"]) == {"value", "label", "count", "selected"}


def test_every_failure_is_described_with_the_error_body(openapi):
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            failures = {code for code in operation["responses"] if code.startswith("4")}
            assert {"401", "429"} <= failures, f"{method} {path}"
            for code in failures:
                content = operation["responses"][code]["content"]
                assert content == {"application/json": {"schema": error}}, f"{method} {path}"
            assert "Retry-After" in operation["responses"]["429"]["headers"]
    fields = openapi["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert set(fields) == {"status", "code", "message", "fields"}


def test_anyone_may_read_and_curators_write(openapi):
    for operations in openapi["paths"].values():
        for method, operation in operations.items():
            assert ({} in operation["security"]) == (method == "get")


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_schemas_readers_load_only_the_apps_own_assets(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    # Swagger's own start, served by its page's view as a script (no inline script runs).
    own_script = f"{path}?script="
    text = html + (client.get(own_script).content.decode() if own_script in assets else "")
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
    for asset in assets:
        if asset != own_script:
            assert asset.startswith("/static/"), asset
            assert finders.find(asset.removeprefix("/static/")), asset
    assert "/api/v1/schema/" in text


def test_swagger_ui_does_not_send_the_schema_away(client):
    assert '"validatorUrl": null' in client.get("/api/v1/docs/?script=").content.decode()


# The property-based run: schemathesis draws requests from the schema, for every operation,
# reads anonymous and writes with a curator's token, and checks that each answer is no server
# error and is what the schema says, and that a request the schema does not allow is refused.
# Deterministic (no random seed, no example database) and bounded. Hypothesis
# drives it directly: schemathesis's pytest plugin cannot load a schema from a fixture under
# pytest 9.2, and the schema needs the test database.
READS = [
    f"/api/v1/{prefix}/{item}"
    for prefix, viewset, _basename in router.registry
    for item in ("", f"{{{viewset.lookup_field}}}/")
]
# The record routes' writes: a list's POST, a record's PUT, PATCH and DELETE.
WRITES = [
    (path, method)
    for prefix, viewset, _basename in router.registry
    if getattr(viewset, "model", None) in RECORD_FACTORIES
    for path, method in [
        (f"/api/v1/{prefix}/", "POST"),
        *((f"/api/v1/{prefix}/{{{viewset.lookup_field}}}/", m) for m in ("PUT", "PATCH", "DELETE")),
    ]
]
EXAMPLES = 25


@pytest.fixture(scope="module")
def api_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi(SCHEMA, get_wsgi_application())


@pytest.fixture
def app_in_the_test_transaction(db, monkeypatch):
    """The WSGI app keeps the test's database connection, and so its transaction, open after a
    request, as Django's test client does; and lets one client make many requests a minute."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def check_drawn_cases(strategy, checks, headers: dict | None = None) -> None:
    """Calls the API with each case drawn from `strategy` (bounded, deterministic), sending
    `headers`, and runs `checks` on its answer."""

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @hypothesis.given(case=strategy)
    def check(case):
        case.call_and_validate(headers=headers, checks=checks)

    check()


@pytest.mark.parametrize("path", READS)
@pytest.mark.usefixtures("app_in_the_test_transaction")
def test_reads_answer_as_the_schema_says(api_schema, path):
    check_drawn_cases(
        api_schema[path]["GET"].as_strategy(),
        [
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
            allow_header_conformance,
        ],
    )


@pytest.mark.parametrize("path", READS)
@pytest.mark.usefixtures("app_in_the_test_transaction")
def test_reads_refuse_what_the_schema_does_not_allow(api_schema, path):
    check_drawn_cases(
        api_schema[path]["GET"].as_strategy(generation_mode=GenerationMode.NEGATIVE),
        [not_a_server_error, negative_data_rejection],
    )


@pytest.mark.parametrize(("path", "method"), WRITES)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.usefixtures("app_in_the_test_transaction")
def test_writes_answer_as_the_schema_says(api_schema, curator, path, method, mode):
    token = Token.objects.create(user=curator).key
    check_drawn_cases(
        api_schema[path][method].as_strategy(generation_mode=mode),
        [
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
            ignored_auth,
            missing_required_header,
            response_headers_conformance,
            allow_header_conformance,
        ],
        headers={"Authorization": f"Token {token}"},
    )


@pytest.mark.parametrize(
    "query",
    ["per_page=0", "per_page=501", "per_page=ten", "page=0", "page=-1", "page=one"],
)
@pytest.mark.parametrize("format_", ["json", "csv"])
def test_paging_outside_its_bounds_is_refused_by_name(client, query, format_):
    response = client.get(f"/api/v1/initiatives/?{query}&format={format_}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [query.split("=")[0]]


@pytest.mark.parametrize("parameter", ["sort", "kind", "city", "signed_year_min"])
def test_an_empty_filter_value_is_refused_by_name(client, parameter):
    response = client.get(f"/api/v1/agreements/?{parameter}=")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [parameter]


def test_an_empty_format_is_not_found_and_an_unanswered_method_not_allowed(client):
    assert client.get("/api/v1/themes/?format=").status_code == 404
    assert client.generic("TRACE", "/api/v1/themes/?format=csv").status_code == 405


def test_a_search_without_words_is_no_server_error(client):
    assert client.get("/api/v1/initiatives/?q=!!!").status_code == 200
    assert client.get("/initiatives/?q=!!!").status_code == 200


def test_a_year_beyond_any_date_is_refused_by_name(client):
    response = client.get("/api/v1/agreements/?signed_year_max=10000")
    assert response.status_code == 400
    assert "signed_year_max" in response.json()["error"]["fields"]
