"""Two server processes, each with a list index of its own, answer the database's own counts
after every kind of write another process makes.

The catalogue lives in a database of its own (a SQLite file, or a PostgreSQL database beside the
test database), as a deployment's does: the seed catalogue and a curator, written and committed
by `manage.py`. Two gunicorn processes of one worker each serve it with the production settings
(DEBUG off, answers remembered). Before and after each write — made by a third process, as a
curator makes it (tests/catalogue/one_write.py) — both servers' counts of every list and facet
must be the database's (tests/catalogue/counting.py), and the write must have changed them.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.catalogue.counting import FILTERSETS

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WRITES = ("admin", "api", "import", "revert", "delete", "unpublish", "publish")
CURATOR = "processes-curator"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> str:
    """A database of its own, dropped at the end."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('processes') / 'catalogue.sqlite3'}"
        return
    settings = connection.settings_dict
    name = f"{settings['NAME']}_processes_{os.getpid()}"
    server = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def environment(database_url, tmp_path_factory) -> dict:
    env = {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")},
        "DJANGO_SETTINGS_MODULE": "sciplo.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "HTTPS": "false",
        "API_ANON_RATE": "1000000/second",
        "CURATOR": CURATOR,
        "CURATOR_PASSWORD": secrets.token_urlsafe(24),
        "PYTHONPATH": str(ROOT),
        # Admin's pages name their static files through the production manifest.
        "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
    }
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
        ["load_reference_data"],
        ["seed_catalogue"],
        ["create_curator", CURATOR, "--email", "curator@example.org"],
    ):
        run([sys.executable, "manage.py", *command], env)
    return env


def run(command: list[str], env: dict) -> str:
    completed = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, f"{command}:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def servers(environment):
    """The addresses of two gunicorn processes of one worker each."""
    started = []
    try:
        for _ in range(2):
            port = free_port()
            command = [str(VENV_BIN / "gunicorn"), "sciplo.wsgi", "--workers", "1", "--bind"]
            process = subprocess.Popen(
                [*command, f"127.0.0.1:{port}"],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            started.append(process)
            wait_until_answering(f"http://127.0.0.1:{port}/health/", process)
        yield [f"http://{process.args[-1]}" for process in started]
    finally:
        for process in started:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


def wait_until_answering(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"The server of {url} exited."
        with suppress(OSError), urllib.request.urlopen(url, timeout=5) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer.")


def served_counts(server: str) -> dict:
    """Every list's number of published records and every facet's counts, as `server`'s API
    answers them."""
    counted = {}
    for filterset_class in FILTERSETS:
        model = filterset_class._meta.model
        name = str(model._meta.verbose_name_plural)
        facets = ",".join(facet.param for facet in filterset_class.facets)
        url = f"{server}/api/v1/{name}/?per_page=1&facets={facets}"
        with urllib.request.urlopen(url, timeout=30) as response:
            body = json.load(response)
        counted[name] = {
            "count": body["count"],
            "facets": {
                param: {value["value"]: value["count"] for value in values if value["count"]}
                for param, values in body["facets"].items()
            },
        }
    return counted


def in_a_process(code: str, environment: dict) -> str:
    """What `code` prints, run by `manage.py shell` in a process of its own."""
    return run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], environment)


def database_counts(environment: dict) -> dict:
    code = "from tests.catalogue.counting import print_catalogue_counts; print_catalogue_counts()"
    return json.loads(in_a_process(code, environment))


def test_every_server_counts_as_the_database_after_every_kind_of_write(environment, servers):
    before = database_counts(environment)
    for server in servers:
        assert served_counts(server) == before
    for kind in WRITES:
        in_a_process(f"from tests.catalogue.one_write import write; write({kind!r})", environment)
        after = database_counts(environment)
        assert after != before, f"the {kind} write changed nothing counted"
        for server in servers:
            assert served_counts(server) == after, (kind, server)
        before = after
