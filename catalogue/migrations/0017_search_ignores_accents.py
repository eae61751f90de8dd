"""PostgreSQL searches as SQLite does: without accents, and without dropping English stop words
("US", "WHO" and "IT" name things a reader looks for). The words of documents and searches go
through `unaccent`, then the English Snowball stemmer with no list of stop words, in a
text-search configuration of Sciplo's own (catalogue.search.SEARCH_CONFIG). Every stored
document and its terms are dropped here, to be made again with it once migrating ends
(catalogue.apps builds the documents records lack)."""

from django.db import migrations

KINDS = ("city", "actor", "initiative", "course", "agreement")
CONFIG = "sciplo_english"
STEMMER = "sciplo_english_stem"


def forget_documents(schema_editor) -> None:
    for kind in KINDS:
        schema_editor.execute(f"DELETE FROM catalogue_{kind}searchterm")
        schema_editor.execute(f"DELETE FROM catalogue_{kind}search")


def create_configuration(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Made afresh when migrating forward again: reversing keeps both (below).
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")
    schema_editor.execute(f"DROP TEXT SEARCH DICTIONARY IF EXISTS {STEMMER}")
    schema_editor.execute(
        f"CREATE TEXT SEARCH DICTIONARY {STEMMER} (TEMPLATE = snowball, Language = english)"
    )
    schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)")
    schema_editor.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
        f"ALTER MAPPING FOR asciihword, asciiword, hword_asciipart, hword, hword_part, word "
        f"WITH unaccent, {STEMMER}"
    )
    forget_documents(schema_editor)


def forget_documents_made_with_it(apps, schema_editor):
    """The documents are made again by the code that migrates back, with its own
    configuration; this one, its dictionary and `unaccent` stay, as the code in use may still
    search with them."""
    if schema_editor.connection.vendor == "postgresql":
        forget_documents(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0016_drop_sqlite_fts_tables")]

    operations = [migrations.RunPython(create_configuration, forget_documents_made_with_it)]
