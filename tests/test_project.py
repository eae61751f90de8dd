"""Project-wide checks: Django's system checks, migrations, settings and the curator command."""

import datetime
import os
import secrets
import subprocess
import sys
import uuid
from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from catalogue import faults
from catalogue.tasks import run_import


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_given():
    url = os.environ.get("DATABASE_URL", "sqlite://")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def run_settings(then: str = "", **environment) -> subprocess.CompletedProcess:
    """Django set up in a process of its own with `environment`, running `then` afterwards."""
    env = {**os.environ, **environment}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {then}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "sciplo.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )


def test_production_refuses_the_development_secret():
    result = run_settings(DEBUG="false", ALLOWED_HOSTS="sciplo.example.org", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_needs_allowed_hosts():
    result = run_settings(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_starts_when_configured():
    result = run_settings(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="sciplo.example.org")
    assert result.returncode == 0, result.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "sciplo.example.org",
}


def test_production_settings_pass_the_deployment_checks(tmp_path):
    # A deployment's environment, not the tests' (the browser tests allow async-unsafe calls);
    # the schema's check reads the database, as a deployed server's would.
    environment = {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")},
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    for command in (["migrate", "--noinput"], ["check", "--deploy", "--fail-level", "WARNING"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            env=environment,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def production_setting(name: str, **environment) -> str:
    """The value of setting `name` in production with `environment`, as its repr."""
    printed = f"from django.conf import settings; print(repr(settings.{name}))"
    result = run_settings(printed, **PRODUCTION, **environment)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_over_https_redirects_and_sends_hsts_but_believes_no_proxy_unless_told():
    assert production_setting("SECURE_SSL_REDIRECT") == "True"
    assert production_setting("SECURE_HSTS_SECONDS") == str(365 * 24 * 60 * 60)
    assert production_setting("SESSION_COOKIE_SECURE") == "True"
    assert production_setting("SECURE_PROXY_SSL_HEADER") == "None"
    assert production_setting("SECURE_PROXY_SSL_HEADER", BEHIND_PROXY="true") == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    answers = run_settings(
        "from django.test import Client; client = Client(); "
        "print(*(client.get(path).status_code for path in ('/health/', '/ready/', '/themes/')))",
        **{**PRODUCTION, "ALLOWED_HOSTS": "testserver", "DATABASE_URL": "sqlite:///:memory:"},
    )
    # A container's health probe and a load balancer's readiness probe speak plain HTTP; a
    # reader is sent to HTTPS.
    assert answers.stdout.split() == ["200", "200", "301"], answers.stderr
    assert production_setting("SECURE_SSL_REDIRECT", HTTPS="false") == "False"
    assert production_setting("SECURE_HSTS_SECONDS", HTTPS="false") == "0"
    assert production_setting("SESSION_COOKIE_SECURE", HTTPS="false") == "False"


@pytest.mark.django_db
def test_health_and_readiness_answer_json(client):
    assert client.get("/health/").json() == {"status": "ok"}
    response = client.get("/ready/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "tasks": "ok"},
    }


@pytest.mark.django_db
def test_readiness_names_tasks_left_waiting_but_serves_on(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    waiting = run_import.enqueue(str(uuid.uuid4()))
    assert client.get("/ready/").json()["checks"]["tasks"] == "ok"
    DBTaskResult.objects.filter(id=waiting.id).update(
        enqueued_at=timezone.now() - datetime.timedelta(seconds=faults.TASK_WAIT_SECONDS + 1)
    )
    response = client.get("/ready/")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["checks"]["tasks"] == (
        f"1 waiting for more than {faults.TASK_WAIT_SECONDS} s: is the task worker "
        "(manage.py db_worker) running?"
    )


def test_debug_must_be_a_boolean():
    result = run_settings(DEBUG="maybe")
    assert "DEBUG must be true or false" in result.stderr


def test_the_log_format_is_text_or_json():
    result = run_settings(LOG_FORMAT="xml")
    assert "LOG_FORMAT must be text or json, not 'xml'" in result.stderr


@pytest.mark.django_db
def test_create_curator(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", "a-long-passphrase-42")
    call_command("create_curator", "ada", email="ada@example.org", stdout=StringIO())
    ada = User.objects.get(username="ada")
    assert ada.is_staff and not ada.is_superuser
    assert list(ada.groups.values_list("name", flat=True)) == ["Curators"]
    assert ada.check_password("a-long-passphrase-42")
    assert ada.has_perm("catalogue.change_initiative")
    assert not ada.has_perm("auth.change_user")


@pytest.mark.django_db
def test_create_curator_makes_a_contributor_on_request(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", "a-long-passphrase-42")
    out = StringIO()
    call_command("create_curator", "grace", contributor=True, stdout=out)
    assert "Contributor 'grace' created." in out.getvalue()
    grace = User.objects.get(username="grace")
    assert grace.is_staff and not grace.is_superuser
    assert list(grace.groups.values_list("name", flat=True)) == ["Contributors"]
    assert grace.has_perm("catalogue.change_initiative")
    assert not grace.has_perm("catalogue.publish_initiative")
    assert not grace.has_perm("catalogue.delete_initiative")


@pytest.mark.django_db
def test_create_curator_refuses_a_weak_password_and_creates_nothing(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", "12345")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_curator", "weak", stdout=StringIO())
    assert not User.objects.filter(username="weak").exists()


def test_compose_runs_two_app_servers_and_the_task_worker_beside_postgres_and_redis():
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    db, cache = services["db"], services["redis"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert cache["image"].startswith("redis:")
    assert "ping" in cache["healthcheck"]["test"]
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["app"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["app2"]["depends_on"]["app"]["condition"] == "service_healthy"
    for app in (services["app"], services["app2"]):
        assert "/health/" in " ".join(app["healthcheck"]["test"])
        assert "gunicorn sciplo.wsgi" in app["command"]
        assert app["environment"]["DATABASE_URL"].startswith("postgres://")
        assert app["environment"]["REDIS_URL"].startswith("redis://redis:")
    # The task worker runs the imports, with the app servers' settings: the same database,
    # and the same Redis, where the imports' progress is shown from.
    worker = services["worker"]
    assert worker["command"] == "python manage.py db_worker"
    assert worker["environment"] == services["app"]["environment"]
    assert worker["depends_on"]["app"]["condition"] == "service_healthy"
    example = (settings.BASE_DIR / ".env.example").read_text()
    for variable in ("POSTGRES_PASSWORD", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"):
        assert f"{variable}=" in example


def test_ci_runs_the_readme_test_command():
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "```sh\nmake run\n```" in readme
    assert "```sh\nmake test\n```" in readme
    assert "make test" in (settings.BASE_DIR / ".ci" / "run").read_text()


def test_no_filter_takes_a_name_the_pages_use_for_themselves():
    from catalogue import filters

    reserved = {"format", "page", "per_page", "facets"}
    for filterset in filters.CatalogueFilterSet.__subclasses__():
        assert not reserved & set(filterset.base_filters), filterset.__name__


def test_every_list_parameter_is_documented():
    from catalogue import filters

    guide = (settings.BASE_DIR / "docs" / "site.md").read_text()
    for filterset, address in [
        (filters.InitiativeFilterSet, "/initiatives/"),
        (filters.ActorFilterSet, "/actors/"),
        (filters.CourseFilterSet, "/courses/"),
        (filters.AgreementFilterSet, "/agreements/"),
        (filters.CityFilterSet, "/cities/"),
    ]:
        section = guide.split(f"(`{address}`)", 1)[1].split("\n### ", 1)[0]
        for parameter in filterset.base_filters:
            assert f"`{parameter}`" in section, f"{parameter} of {address} is not in docs/site.md"
        for sort in filterset.sort_options:
            assert f"`{sort}`" in section, f"sort={sort} of {address} is not in docs/site.md"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/initiatives/?status=active",
        "/cities/map/",
        "/api/v1/initiatives/",
        "/api/v1/docs/",
        "/api/v1/docs/?script",
        "/api/v1/redoc/",
        "/admin/login/",
        "/no-such-page/",
    ],
)
def test_every_answer_carries_a_policy_that_runs_no_inline_script(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].split()[0] == "'self'"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(directives["script-src"].split())
    assert (directives["object-src"], directives["frame-ancestors"]) == ("'none'", "'none'")
