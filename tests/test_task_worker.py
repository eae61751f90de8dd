"""Imports run in the task worker, outside any request: a curator uploads a file through admin
on a server (tests/processes.py), the worker (`manage.py db_worker`, a process of its own)
checks it while the job's page shows how far it has come, and imports it once confirmed."""

import re
import subprocess
import sys
import tempfile
import time
from contextlib import suppress

import pytest
import requests

from tests.processes import CURATOR, ROOT, in_a_process

pytestmark = pytest.mark.django_db

SERVER_ENVIRONMENT = {"PROGRESS_DIR": tempfile.mkdtemp(prefix="sciplo-progress-")}
ROWS = 400


@pytest.fixture(scope="module")
def task_worker(environment, server_log):
    with server_log.open("a") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=log,
        )
    yield worker
    worker.terminate()
    with suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=30)


def signed_in(server: str, environment: dict) -> requests.Session:
    session = requests.Session()
    session.get(f"{server}/admin/login/")
    answer = session.post(
        f"{server}/admin/login/",
        data={
            "username": CURATOR,
            "password": environment["CURATOR_PASSWORD"],
            "next": "/admin/",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{server}/admin/login/"},
    )
    assert answer.url == f"{server}/admin/", answer.text[:500]
    return session


def until(page_url: str, session: requests.Session, done: str, seen: list[str]) -> str:
    """The job's page once it says `done`, asked again and again as its own refresh does; every
    progress it showed meanwhile noted in `seen`."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        page = session.get(page_url).text
        if done in page:
            return page
        seen += re.findall(r"(\d[\d,]*) of ([\d,]+) rows? done", page)
        time.sleep(0.1)
    raise AssertionError(f"{page_url} never said {done!r}; last:\n{page}")


def test_a_large_import_is_checked_and_imported_by_the_worker(
    servers, environment, task_worker, server_log
):
    server = servers[0]
    session = signed_in(server, environment)
    lines = ["slug,name,kind", *(f"worker-{n},Worker actor {n},research" for n in range(ROWS))]
    upload = session.post(
        f"{server}/admin/catalogue/actor/import/",
        files={"file": ("actors.csv", "\r\n".join(lines).encode())},
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{server}/admin/catalogue/actor/import/"},
    )
    job_page = upload.url
    assert re.fullmatch(rf"{server}/admin/catalogue/actor/import/[0-9a-f-]{{36}}/", job_page)
    assert '<meta http-equiv="refresh"' in upload.text or "Confirm import" in upload.text

    seen: list[tuple[str, str]] = []
    preview = until(job_page, session, "Confirm import", seen)
    assert f"Preview of actors.csv: {ROWS} rows" in preview
    assert '<meta http-equiv="refresh"' not in preview
    assert (
        in_a_process(
            "from catalogue.models import Actor;"
            "print(Actor.objects.filter(slug__startswith='worker-').count())",
            environment,
        ).strip()
        == "0"
    )

    session.post(
        job_page,
        data={"confirm": "", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": job_page},
    )
    until(job_page, session, f"Imported {ROWS} rows: {ROWS} created, 0 changed.", seen)
    assert in_a_process(
        "from catalogue.models import Actor, Version;"
        "actors = Actor.objects.filter(slug__startswith='worker-');"
        "print(actors.count(), Version.objects.filter(message='Imported from actors.csv').count())",
        environment,
    ).split() == [str(ROWS), str(ROWS)]
    # The page showed the rows done as the worker went, short of the whole file.
    assert any(int(done) < ROWS for done, _total in seen), seen
    assert task_worker.poll() is None, server_log.read_text()[-2000:]
