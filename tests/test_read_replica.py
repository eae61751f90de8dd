"""With REPLICA_DATABASE_URL, anonymous readers read the replica and everyone else the primary,
checked on a running server (tests/processes.py) whose "replica" is a copy of its database taken
before a curator's write and never brought up to date, as a replica far behind would be."""

import json
import shutil
import signal
import subprocess
import urllib.request
from contextlib import suppress

import psycopg
import pytest
from django.test import RequestFactory

from catalogue.models import Initiative
from sciplo.replica import REPLICA, ReplicaMiddleware, ReplicaRouter
from tests.processes import (
    CURATOR,
    ROOT,
    VENV_BIN,
    free_port,
    in_a_process,
    wait_until_answering,
)

pytestmark = pytest.mark.django_db

TOKEN = f"""
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
print(Token.objects.get_or_create(user=User.objects.get(username={CURATOR!r}))[0].key)
"""
WRITTEN = "Written on the primary after the replica was copied."
router = ReplicaRouter()


@pytest.fixture(scope="module")
def replica_url(database_url, environment, tmp_path_factory):
    """A copy of the deployment's database, as it is once set up."""
    if database_url.startswith("sqlite:///"):
        copy = tmp_path_factory.mktemp("replica") / "replica.sqlite3"
        shutil.copy(database_url.removeprefix("sqlite:///"), copy)
        yield f"sqlite:///{copy}"
        return
    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}_replica" TEMPLATE "{name}"')
    yield f"{server}/{name}_replica"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}_replica" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(environment, replica_url, server_log):
    port = free_port()
    with server_log.open("a") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "sciplo.wsgi", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={**environment, "REPLICA_DATABASE_URL": replica_url, "CACHE": "off"},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/health/", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        with suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def get(url: str, token: str = "") -> str:
    headers = {"Authorization": f"Token {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
        return answer.read().decode()


def test_readers_read_the_replica_and_curators_the_primary(server, environment):
    token = in_a_process(TOKEN, environment).strip()
    write = urllib.request.Request(
        f"{server}/api/v1/initiatives/gesda/",
        data=json.dumps({"summary": WRITTEN}).encode(),
        method="PATCH",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(write) as answer:
        assert json.loads(answer.read())["summary"] == WRITTEN

    # A script with a token reads the primary: its own write.
    assert json.loads(get(f"{server}/api/v1/initiatives/gesda/", token))["summary"] == WRITTEN
    # An anonymous reader reads the replica, which has not caught up: the API, the record's
    # page and the search both show the record as it was.
    assert json.loads(get(f"{server}/api/v1/initiatives/gesda/"))["summary"] != WRITTEN
    assert WRITTEN not in get(f"{server}/initiatives/gesda/")
    assert "GESDA" in get(f"{server}/initiatives/gesda/")
    # An export reads the primary, whose temporary tables a replica in hot standby refuses.
    assert WRITTEN in get(f"{server}/api/v1/initiatives/?format=csv&q=gesda")


@pytest.mark.parametrize(
    ("method", "headers", "cookies", "readers"),
    [
        ("get", {}, {}, True),
        ("head", {}, {}, True),
        ("get", {"HTTP_AUTHORIZATION": "Token abc"}, {}, False),
        ("get", {}, {"sessionid": "abc"}, False),
        ("post", {}, {}, False),
        ("patch", {}, {}, False),
        ("options", {}, {}, False),
    ],
)
def test_only_an_anonymous_reader_s_read_goes_to_the_replica(method, headers, cookies, readers):
    request = getattr(RequestFactory(), method)("/initiatives/", **headers)
    request.COOKIES.update(cookies)
    routed = []
    middleware = ReplicaMiddleware(lambda request: routed.append(router.db_for_read(Initiative)))
    middleware(request)
    assert routed == [REPLICA if readers else None]
    assert router.db_for_read(Initiative) is None
    assert router.db_for_write(Initiative) is None
