"""Test set-up shared by every suite.

The test database gets the reference data and the seed catalogue once per run, so every test sees
the catalogue as a fresh installation serves it; each test's own changes are rolled back.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test import Client
from django.test.signals import template_rendered

from catalogue import index
from catalogue.dumps import delete_catalogue
from catalogue.reference_data import load_reference_data
from catalogue.seed import load_seed_catalogue

# The fixtures of a deployment served by several processes.
pytest_plugins = ["tests.processes"]


# Fixtures of tests that start server processes or a browser: those tests are `slow`.
SLOW_FIXTURES = {"environment", "server", "site_url"}


def pytest_collection_modifyitems(items):
    """Marks `slow` every test that starts servers or a browser, beside those marked by hand;
    `make test-fast` leaves them out."""
    for item in items:
        if SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        # Only tests marked django_db make pytest-django create the test database; never load
        # into the development database instead.
        if not (
            connection.is_in_memory_db()
            if connection.vendor == "sqlite"
            else connection.settings_dict["NAME"].startswith("test_")
        ):
            raise RuntimeError("No test database: mark the tests with pytest.mark.django_db.")
        if connection.vendor == "sqlite":
            # The in-memory database is this process's alone, shared by the tests and the live
            # server's threads through one cache, where a transaction begun IMMEDIATE would lock
            # the others out. Taking the write lock first matters between processes, which the
            # deployments of tests/processes.py (a SQLite file) have.
            connection.settings_dict["OPTIONS"].pop("transaction_mode", None)
            connection.transaction_mode = None
        load_reference_data()
        load_seed_catalogue()


@pytest.fixture(scope="session", autouse=True)
def jinja2_rendering_reported():
    """Lets tests read a readers' page's `response.context`, as they read admin's: Django's test
    set-up has its own template engine report each rendering to the test client
    (`template_rendered`), the Jinja2 backend nothing. The context reported is the one the
    template got, with the request (the backend adds it); only here, so that serving a page pays
    nothing for it."""
    render = Jinja2Template.render

    def render_reported(self, context=None, request=None):
        context = {} if context is None else context
        content = render(self, context, request)
        template_rendered.send(sender=self, template=self.template, context=context)
        return content

    Jinja2Template.render = render_reported
    yield
    Jinja2Template.render = render


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with an empty cache, where the API's rate limits count requests, and
    without list indexes, which a test may have built from rows it changed without a signal."""
    cache.clear()
    index.forget()


@pytest.fixture
def curator(db) -> User:
    user = User.objects.create_user("curator", "curator@example.org", "a-long-passphrase-42")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Curators"))
    return user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def contributor(db) -> User:
    user = User.objects.create_user(
        "contributor", "contributor@example.org", "a-long-passphrase-42"
    )
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Contributors"))
    return user


@pytest.fixture
def contributor_client(contributor) -> Client:
    """A client of its own, so that a test may use it beside `client` or `curator_client`."""
    client = Client()
    client.force_login(contributor)
    return client


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Tasks (imports) run in the request that enqueues them, through django-tasks' immediate
    backend; tests/test_task_worker.py runs them in the task worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def empty_catalogue(id_sequences_kept):
    delete_catalogue()


@pytest.fixture
def id_sequences_kept(db):
    """The generator moves PostgreSQL's id sequences to the ids it wrote, and a sequence does not
    roll back with the test's transaction: put them back where they were, past every id the
    database holds again once the test's writes are undone."""
    if connection.vendor != "postgresql":
        yield
        return
    keys = [
        (model._meta.db_table, model._meta.pk.column)
        for model in apps.get_app_config("catalogue").get_models(include_auto_created=True)
    ]
    positions = {}
    with connection.cursor() as cursor:
        for table, column in keys:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                positions[sequence] = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        for sequence, (value, is_called) in positions.items():
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, value, is_called])
