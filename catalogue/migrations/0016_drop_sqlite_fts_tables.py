"""SQLite's FTS5 tables of search documents (migration 0008) give way to the search terms of
migration 0015, which searches read on both databases."""

from django.db import migrations

KINDS = ("city", "actor", "initiative", "course", "agreement")
TOKENIZER = "porter unicode61 remove_diacritics 2"


def drop_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for kind in KINDS:
        schema_editor.execute(f"DROP TABLE IF EXISTS catalogue_{kind}search_fts")


def create_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for kind in KINDS:
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE catalogue_{kind}search_fts USING fts5(a, b, c, d, "
            f"tokenize = '{TOKENIZER}')"
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0015_search_terms")]

    operations = [migrations.RunPython(drop_tables, create_tables)]
