"""SQLite's search documents: an FTS5 table per kind of record (catalogue/search.py), beside the
search tables PostgreSQL fills. `migrate` then builds the documents of the records there are
(`apps.build_missing_search_documents`)."""

from django.db import migrations

KINDS = ("city", "actor", "initiative", "course", "agreement")
# Stemmed as PostgreSQL's English configuration stems, accents folded.
TOKENIZER = "porter unicode61 remove_diacritics 2"


def create_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for kind in KINDS:
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE catalogue_{kind}search_fts USING fts5(a, b, c, d, "
            f"tokenize = '{TOKENIZER}')"
        )


def drop_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for kind in KINDS:
        schema_editor.execute(f"DROP TABLE catalogue_{kind}search_fts")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_revision")]

    operations = [migrations.RunPython(create_tables, drop_tables)]
