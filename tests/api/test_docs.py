"""docs/api.md works as written: its shell and Python examples run against a live server of the
test database, its manage.py command runs against that database, and it names every parameter,
address and setting of the API."""

import os
import re
import shlex
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from catalogue.models import Agreement
from tests.live_server import live_server

# On SQLite the live server shares the test's connection, and so its transaction; on PostgreSQL
# it has its own, and commits: hence the clean-up in `server`.
pytestmark = pytest.mark.django_db
GUIDE = settings.BASE_DIR / "docs" / "api.md"
# Where the examples say the server is: `make run`'s address.
DOCUMENTED_SERVER = "http://127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    """The guide's fenced code blocks in `language`, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", GUIDE.read_text(), re.MULTILINE | re.DOTALL)


def example_slugs() -> set[str]:
    return set(re.findall(r'"slug": "(example-[a-z0-9-]+)"', GUIDE.read_text()))


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """A live server of the test database, as the browser tests use. Its writes are committed,
    so the records the examples write are removed afterwards, whatever happened."""
    with django_db_blocker.unblock():
        with live_server() as url:
            yield url
        Agreement.objects.filter(slug__in=example_slugs()).delete()


@pytest.fixture(scope="module")
def token(server):
    """The token the guide's command prints for its curator, who is created for the purpose."""
    (command,) = [
        line for block in blocks("console") for line in block.splitlines() if "manage.py" in line
    ]
    arguments = shlex.split(command)[3:]  # after "$ .venv/bin/python manage.py"
    username = arguments[-1]
    curator = User.objects.create_user(username, password="a-long-passphrase-42", is_staff=True)
    curator.groups.add(Group.objects.get(name="Curators"))
    out = StringIO()
    call_command(*arguments, stdout=out)
    yield out.getvalue().strip()
    curator.delete()


def run(command: list[str], server: str, token: str, cwd) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "SCIPLO_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"{command[-1]}\n\n{result.stdout}\n{result.stderr}"
    return result


def test_the_shell_examples_run(server, token, tmp_path):
    outputs = {
        block: run(
            ["bash", "-euo", "pipefail", "-c", block.replace(DOCUMENTED_SERVER, server)],
            server,
            token,
            tmp_path,
        ).stdout
        for block in blocks("sh")
    }
    assert len(outputs) >= 4
    [conditional] = [output for block, output in outputs.items() if "If-None-Match" in block]
    assert conditional.strip() == "304"
    [write] = [output for block, output in outputs.items() if "-X POST" in block]
    assert '"city-of-geneva"' in write and '"barcelona-city-council"' in write
    header, *rows = (tmp_path / "initiatives.csv").read_text().splitlines()
    assert "slug" in header.split(",") and rows


def test_the_python_examples_run(server, token, tmp_path):
    script = "\n\n".join(blocks("python")).replace(DOCUMENTED_SERVER, server)
    output = run([sys.executable, "-c", script], server, token, tmp_path).stdout
    assert "400 invalid {'kind': [" in output
    assert "412 precondition_failed" in output
    assert "City of Kigali" in output


def test_the_examples_leave_nothing_behind(server, token):
    assert example_slugs()
    assert not Agreement.objects.filter(slug__in=example_slugs()).exists()


def test_every_list_parameter_address_and_setting_is_named():
    guide = GUIDE.read_text()
    for parameter in ("q", "sort", "facets", "format", "page", "per_page"):
        assert f"`{parameter}`" in guide, parameter
    for name in ("api:api-root", "api:schema", "api:docs", "api:redoc"):
        assert f"`{reverse(name)}`" in guide, name
    source = (settings.BASE_DIR / "sciplo" / "settings.py").read_text()
    variables = set(
        re.findall(r'(?:os\.environ\.get|env_bool)\("((?:API_|NUM_PROXIES)[A-Z_]*)"', source)
    )
    assert variables >= {
        "API_ANON_RATE",
        "API_USER_RATE",
        "API_CACHE_SECONDS",
        "API_REQUIRE_IF_MATCH",
        "NUM_PROXIES",
    }
    for variable in variables:
        assert f"`{variable}`" in guide, variable


def test_the_guide_is_linked_from_the_readme_and_the_site_guide():
    assert "(docs/api.md)" in (settings.BASE_DIR / "README.md").read_text()
    assert "(api.md)" in (settings.BASE_DIR / "docs" / "site.md").read_text()
