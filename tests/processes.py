"""A deployment for tests that need several server processes: a database of its own (a SQLite
file, or a PostgreSQL database beside the test database) holding the seed catalogue and a curator,
written and committed by `manage.py`, as a deployment's is, and gunicorn processes serving it with
the production settings (DEBUG off, answers remembered). The fixtures are module-scoped: a
module's tests share one deployment, a copy of a database set up once per run.
"""

import os
import secrets
import shutil
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

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CURATOR = "processes-curator"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The deployment's own settings, shared by every deployment of a run; a module's
# `SERVER_ENVIRONMENT` goes over them.
DEPLOYMENT_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "sciplo.settings",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "HTTPS": "false",
    "API_ANON_RATE": "1000000/second",
    "CURATOR": CURATOR,
    "CURATOR_PASSWORD": secrets.token_urlsafe(24),
    "PYTHONPATH": str(ROOT),
}


def deployment_environment(database_url: str, **settings: str) -> dict:
    return {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")},
        **DEPLOYMENT_SETTINGS,
        "DATABASE_URL": database_url,
        **settings,
    }


def set_up_database(database_url: str) -> None:
    """Writes the catalogue into an empty database as a deployment's set-up does."""
    env = deployment_environment(database_url)
    for command in (
        ["migrate", "--noinput"],
        ["load_reference_data"],
        ["seed_catalogue"],
        ["create_curator", CURATOR, "--email", "curator@example.org"],
    ):
        run([sys.executable, "manage.py", *command], env)


def server_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"


def create_database(name: str, template: str | None = None) -> None:
    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copied = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{copied}')


def drop_database(name: str) -> None:
    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def deployment_template(tmp_path_factory) -> str:
    """The name of a database set up once per run (a SQLite file's path, or a PostgreSQL
    database beside the test database), of which each module's deployment gets a copy: setting
    one up takes half a minute, copying it a moment."""
    if connection.vendor != "postgresql":
        path = tmp_path_factory.mktemp("deployment") / "template.sqlite3"
        set_up_database(f"sqlite:///{path}")
        yield str(path)
        return
    name = f"{connection.settings_dict['NAME']}_deployment_{os.getpid()}"
    create_database(name)
    set_up_database(f"{server_url()}/{name}")
    yield name
    drop_database(name)


@pytest.fixture(scope="module")
def database_url(deployment_template, tmp_path_factory) -> str:
    """A database of its own, a copy of the deployment's as set up, dropped at the end."""
    if connection.vendor != "postgresql":
        path = tmp_path_factory.mktemp("processes") / "catalogue.sqlite3"
        shutil.copy(deployment_template, path)
        yield f"sqlite:///{path}"
        return
    name = f"{connection.settings_dict['NAME']}_processes_{os.getpid()}"
    create_database(name, template=deployment_template)
    yield f"{server_url()}/{name}"
    drop_database(name)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> str:
    """The static files collected once per run: admin's pages name them through the production
    manifest."""
    root = str(tmp_path_factory.mktemp("static"))
    env = deployment_environment("sqlite:///:memory:", STATIC_ROOT=root)
    run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], env)
    return root


@pytest.fixture(scope="module")
def environment(database_url, static_root, request) -> dict:
    """The deployment's settings, with a module's `SERVER_ENVIRONMENT` over them."""
    return deployment_environment(
        database_url, STATIC_ROOT=static_root, **getattr(request.module, "SERVER_ENVIRONMENT", {})
    )


def run(command: list[str], env: dict) -> str:
    completed = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, f"{command}:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def server_log(tmp_path_factory) -> Path:
    """The file the servers write their log to."""
    return tmp_path_factory.mktemp("servers") / "servers.log"


@pytest.fixture(scope="module")
def servers(environment, server_log, request):
    """The addresses of two gunicorn servers, of `SERVER_WORKERS` processes each (a module's
    attribute; one by default), logging to `server_log`."""
    workers = str(getattr(request.module, "SERVER_WORKERS", 1))
    started = []
    log = server_log.open("a")
    try:
        for _ in range(2):
            port = free_port()
            command = [str(VENV_BIN / "gunicorn"), "sciplo.wsgi", "--workers", workers, "--bind"]
            process = subprocess.Popen(
                [*command, f"127.0.0.1:{port}"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=log,
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
        log.close()


def wait_until_answering(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"The server of {url} exited."
        with suppress(OSError), urllib.request.urlopen(url, timeout=5) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer.")


def in_a_process(code: str, environment: dict) -> str:
    """What `code` prints, run by `manage.py shell` in a process of its own."""
    return run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], environment)
