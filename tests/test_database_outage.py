"""A PostgreSQL outage under a running deployment: readers and scripts are told to come back (503
with `Retry-After`: a plain page on the site, the error body in the API), `/health/` keeps
answering while `/ready/` names the missing database, each failed request leaves one line in the
log and no traceback, the servers recover by themselves when the database is back, and no write
that was acknowledged is lost.

The database is a throwaway PostgreSQL cluster the test makes, starts and stops on a port of its
own (the servers of tests/processes.py are pointed at it), so the session's own server is left
alone. It runs in the PostgreSQL pass.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest
from django.db import connection

from tests.processes import CURATOR, free_port, in_a_process, set_up_database

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="runs in the PostgreSQL pass"),
]

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
SET_UP = f"""
import json
from rest_framework.authtoken.models import Token
from django.contrib.auth.models import User
from catalogue.models import Initiative
records = Initiative.objects.filter(publication="published").order_by("pk")
print(json.dumps({{
    "token": Token.objects.get_or_create(user=User.objects.get(username={CURATOR!r}))[0].key,
    "slugs": [record.slug for record in records[:3]],
}}))
"""


class Cluster:
    """A PostgreSQL cluster in a directory of its own, run as the `postgres` account when the
    tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "server.log")
        self.run(str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log,
                 "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self.run(str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def data(self) -> Path:
        return self.directory / "data"


@pytest.fixture(scope="module")
def cluster():
    directory = Path(tempfile.mkdtemp(prefix="sciplo-outage-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(directory, free_port())
    cluster.run(str(POSTGRES_BIN / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U",
                "postgres", "--no-sync")  # fmt: skip
    cluster.start()
    try:
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def database_url(cluster) -> str:
    """The deployment's database (tests/processes.py), in the throwaway cluster."""
    url = f"postgres://postgres@127.0.0.1:{cluster.port}/postgres"
    set_up_database(url)
    return url


def call(url: str, method: str = "GET", token: str | None = None, payload=None):
    """(status, headers, body as text) of a request."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(
        url,
        method=method,
        headers=headers,
        data=None if payload is None else json.dumps(payload).encode(),
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def wait_until_ready(server: str) -> None:
    deadline = time.monotonic() + 60
    while call(f"{server}/ready/")[0] != 200:
        assert time.monotonic() < deadline, "the server did not find its database again"
        time.sleep(0.5)


def test_an_outage_is_answered_503_logged_once_and_recovered_from_without_loss(
    cluster, environment, servers, server_log
):
    found = json.loads(in_a_process(SET_UP, environment))
    token, (first, second, third) = found["token"], found["slugs"]
    server = servers[0]
    api = f"{server}/api/v1/initiatives"
    status, _headers, _body = call(
        f"{api}/{first}/", "PATCH", token, {"description": "Written before the outage."}
    )
    assert status == 200

    cluster.stop()
    failed = {
        f"/initiatives/{second}/": call(f"{server}/initiatives/{second}/"),
        f"/api/v1/initiatives/{third}/": call(f"{api}/{third}/"),
        f"/api/v1/initiatives/{first}/": call(
            f"{api}/{first}/", "PATCH", token, {"website": "https://example.org/lost"}
        ),
        "/ready/": call(f"{server}/ready/"),
    }
    for path, (status, headers, body) in failed.items():
        assert status == 503, (path, body[:500])
        assert headers["Retry-After"] == "30", path
    _status, site_headers, site_page = failed[f"/initiatives/{second}/"]
    assert site_headers["Content-Type"].startswith("text/html")
    assert "Sciplo is briefly unavailable" in site_page
    api_error = json.loads(failed[f"/api/v1/initiatives/{third}/"][2])["error"]
    assert (api_error["status"], api_error["code"]) == (503, "unavailable")
    readiness = json.loads(failed["/ready/"][2])
    assert readiness["status"] == "unavailable"
    assert readiness["checks"]["database"].startswith("unavailable")
    assert call(f"{server}/health/")[0] == 200

    cluster.start()
    for each in servers:
        wait_until_ready(each)
    status, _headers, _body = call(
        f"{api}/{first}/", "PATCH", token, {"summary": "Written after the outage."}
    )
    assert status == 200
    assert call(f"{server}/initiatives/{second}/")[0] == 200
    status, _headers, body = call(f"{servers[1]}/api/v1/initiatives/{first}/", token=token)
    record = json.loads(body)
    assert (record["description"], record["summary"]) == (
        "Written before the outage.",
        "Written after the outage.",
    )
    assert record["website"] != "https://example.org/lost"

    log = server_log.read_text()
    assert "Traceback" not in log
    for path in failed:
        lines = [line for line in log.splitlines() if line.endswith(path) or f"{path} (" in line]
        assert len(lines) == 1, (path, lines)
