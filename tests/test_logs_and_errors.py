"""What a deployment tells its operators, read from a running one (tests/processes.py): with
LOG_FORMAT=json each request is one JSON line (method, path, status, duration, user) and so is
each curator's change (action, record, fields, version); with SENTRY_DSN an unhandled error
reaches the error-reporting server, here a stand-in that keeps what it receives over HTTP."""

import gzip
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.processes import CURATOR, free_port, in_a_process

pytestmark = pytest.mark.django_db

SENTRY_PORT = free_port()
SERVER_ENVIRONMENT = {
    "LOG_FORMAT": "json",
    "SENTRY_DSN": f"http://public-key@127.0.0.1:{SENTRY_PORT}/1",
}

TOKEN = f"""
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
print(Token.objects.get_or_create(user=User.objects.get(username={CURATOR!r}))[0].key)
"""

FAILING_REQUEST = """
import sentry_sdk
from django.test import Client
from catalogue.views import pages
def fail(*args, **kwargs):
    raise ZeroDivisionError("the stand-in failure")
pages.HomeView.get = fail
print(Client(raise_request_exception=False).get("/").status_code)
sentry_sdk.flush(timeout=10)
"""


@pytest.fixture(scope="module")
def received():
    """What the stand-in error-reporting server received: each request's body, unpacked."""
    bodies: list[bytes] = []

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            bodies.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", SENTRY_PORT), Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield bodies
    server.shutdown()


def json_lines(log: str) -> list[dict]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


def test_each_request_and_each_change_is_one_json_line(servers, environment, server_log):
    server = servers[0]
    token = in_a_process(TOKEN, environment).strip()
    with urllib.request.urlopen(f"{server}/initiatives/?status=active") as answer:
        assert answer.status == 200
    write = urllib.request.Request(
        f"{server}/api/v1/initiatives/gesda/",
        data=json.dumps({"summary": "Logged as JSON."}).encode(),
        method="PATCH",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "X-Change-Note": "Checking the logs.",
        },
    )
    with urllib.request.urlopen(write) as answer:
        assert answer.status == 200

    lines = json_lines(server_log.read_text())
    requests = [line for line in lines if line.get("event") == "request"]
    (page,) = [line for line in requests if line["path"] == "/initiatives/"]
    assert page["method"] == "GET" and page["status"] == 200 and page["user"] is None
    assert page["level"] == "INFO" and page["logger"] == "sciplo.request"
    assert isinstance(page["duration_ms"], float) and page["time"]
    (patch,) = [line for line in requests if line["method"] == "PATCH"]
    assert (patch["path"], patch["status"], patch["user"]) == (
        "/api/v1/initiatives/gesda/",
        200,
        CURATOR,
    )
    (change,) = [line for line in lines if line.get("event") == "curation"]
    assert {key: change[key] for key in ("action", "record_type", "record", "user", "note")} == {
        "action": "changed",
        "record_type": "initiative",
        "record": "gesda",
        "user": CURATOR,
        "note": "Checking the logs.",
    }
    assert "summary" in change["fields"] and isinstance(change["version"], int)


def test_an_unhandled_error_is_reported_with_no_personal_data(environment, received):
    assert in_a_process(FAILING_REQUEST, environment).strip() == "500"
    envelopes = b"\n".join(received)
    assert b"ZeroDivisionError" in envelopes and b"the stand-in failure" in envelopes
    events = [
        json.loads(line)
        for body in received
        for line in body.splitlines()
        if line.startswith(b"{") and b'"exception"' in line
    ]
    assert events
    assert all("cookies" not in event.get("request", {}) for event in events)
