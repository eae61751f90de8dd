"""Fixtures shared by the catalogue's suites that generate a synthetic catalogue."""

import pytest
from django.apps import apps
from django.db import connection

from catalogue.dumps import delete_catalogue


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
