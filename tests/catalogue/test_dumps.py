"""Full dumps: `export_catalogue` writes the whole catalogue as one JSON file keyed by slugs, the
same bytes for the same catalogue whatever the engine; `import_catalogue` reads it back into
SQLite or PostgreSQL, and refuses a file with any problem whole, naming each problem's place."""

import difflib
import io
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import sql

from catalogue import history
from catalogue.documents import save_document
from catalogue.dumps import MAX_PROBLEMS, delete_catalogue
from catalogue.models import (
    Actor,
    Agreement,
    City,
    Course,
    Initiative,
    Participation,
    ParticipationRole,
    Source,
    Theme,
    Version,
    VersionAction,
)
from tests.factories import ActorFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

RECORDS = (City, Actor, Initiative, Course, Agreement)
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/sciplo")
DELETED_COURSE = "opcw-iap-twas-workshop-responsible-chemistry-biology"
RESTORED_COURSE = "aaas-twas-science-diplomacy-course-2022"


@pytest.fixture
def edited_catalogue(curator):
    """The seed catalogue after some curators' work: edits with messages, text in several
    scripts, a verified city, an initiative given a parent, a new theme, a course deleted and
    another deleted and restored."""
    with history.recording(user=curator, message="Le nom que Genève se donne."):
        save_document(
            City,
            {
                "name": "Genève",
                "summary": "Ville de la « diplomatie scientifique » — 日内瓦, Женева.",
                "last_verified": "2026-03-03",
            },
            instance=City.objects.get(slug="geneva"),
        )
        Theme.objects.create(slug="sante-mondiale", name="Santé mondiale")
        save_document(
            Initiative,
            {"parent": "gesda", "themes": ["health", "sante-mondiale"]},
            instance=Initiative.objects.get(slug="geneva-2030-ecosystem"),
        )
    with history.recording(user=curator, message="Not about science diplomacy."):
        Course.objects.get(slug=DELETED_COURSE).delete()
    with history.recording(user=curator):
        Course.objects.get(slug=RESTORED_COURSE).delete()
    history.restore(Version.objects.deleted(Course).get(slug=RESTORED_COURSE), user=curator)


def exported(path: Path, *options: str) -> bytes:
    call_command("export_catalogue", str(path), *options, stdout=io.StringIO())
    return path.read_bytes()


def assert_same_file(actual: bytes, expected: bytes) -> None:
    if actual != expected:
        diff = difflib.unified_diff(
            expected.decode().splitlines(), actual.decode().splitlines(), lineterm="", n=2
        )
        pytest.fail("The files differ:\n" + "\n".join(list(diff)[:80]))


def walk(value) -> Iterator[dict]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_a_dump_is_the_whole_catalogue_keyed_by_slugs_in_a_fixed_form(edited_catalogue, tmp_path):
    text = exported(tmp_path / "catalogue.json").decode("utf-8")
    dump = json.loads(text)

    assert list(dump) == ["format", "version", "reference", "records"]
    assert (dump["format"], dump["version"]) == ("sciplo-catalogue", 1)
    assert list(dump["reference"]) == [
        "countries", "sdgs", "themes", "dimensions", "drivers", "audiences", "synonyms", "sources"
    ]  # fmt: skip
    assert list(dump["records"]) == ["cities", "actors", "initiatives", "courses", "agreements"]
    # Exactly as json.dumps writes it; every document's keys sorted; text as itself, in UTF-8.
    assert text == json.dumps(dump, indent=2, ensure_ascii=False) + "\n"
    assert all(
        list(document) == sorted(document) for document in walk(list(dump["records"].values()))
    )
    assert "Ville de la « diplomatie scientifique » — 日内瓦, Женева." in text
    for name, model in (("cities", City), ("actors", Actor), ("courses", Course)):
        slugs = [document["slug"] for document in dump["records"][name]]
        assert slugs == sorted(model.objects.values_list("slug", flat=True)), name
    assert [country["code"] for country in dump["reference"]["countries"]][:3] == ["AD", "AE", "AF"]
    assert [sdg["number"] for sdg in dump["reference"]["sdgs"]] == list(range(1, 18))
    assert {"slug": "sante-mondiale", "name": "Santé mondiale", "description": ""} in dump[
        "reference"
    ]["themes"]
    # No database ids anywhere: related rows are named by slug, code or number.
    assert not [document for document in walk(dump) if {"id", "pk", "user"} & set(document)]

    records = {
        name: {d["slug"]: d for d in documents} for name, documents in dump["records"].items()
    }
    geneva = City.objects.get(slug="geneva")
    assert records["cities"]["geneva"]["last_verified"] == "2026-03-03"
    assert records["cities"]["geneva"]["updated_at"] == iso(geneva.updated_at)
    assert records["cities"]["geneva"]["created_at"] == iso(geneva.created_at)
    assert records["initiatives"]["geneva-2030-ecosystem"]["parent"] == "gesda"
    assert records["actors"]["uk-science-and-innovation-network"]["parent"] == "fcdo"
    assert {"actor": "city-of-geneva", "role": "lead", "start_year": None, "end_year": None} in (
        records["initiatives"]["gesda"]["participations"]
    )
    agreements = records["agreements"]
    assert agreements["miami-dutch-ministry-gca-office-agreement-2019"]["signed_on"] == "2019"
    assert (
        agreements["uk-new-zealand-research-science-innovation-arrangement-2022"]["signed_on"]
        == "2022-07"
    )
    assert agreements["iter-agreement"]["signed_on"] == "2006-11-21"
    assert DELETED_COURSE not in records["courses"]
    assert RESTORED_COURSE in records["courses"]
    assert "history" not in dump

    assert exported(tmp_path / "again.json") == text.encode("utf-8")
    standard_output = io.StringIO()
    call_command("export_catalogue", "-", stdout=standard_output)
    assert standard_output.getvalue() == text


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_with_history_a_dump_holds_every_version_by_record_slug(edited_catalogue, tmp_path):
    dump = json.loads(exported(tmp_path / "catalogue.json", "--history"))

    entries = dump["history"]
    assert len(entries) == Version.objects.count()
    keys = [(e["record_type"], e["record"], e["created_at"]) for e in entries]
    types = ["city", "actor", "initiative", "course", "agreement"]
    assert keys == sorted(keys, key=lambda key: (types.index(key[0]), key[1], key[2]))
    geneva = [e for e in entries if e["record"] == "geneva"]
    assert [e["action"] for e in geneva] == ["created", "changed"]
    assert geneva[1]["changed_fields"] == ["name", "summary", "last_verified"]
    assert geneva[1]["message"] == "Le nom que Genève se donne."
    assert geneva[1]["user_name"] == "curator"
    assert geneva[1]["document"]["name"] == "Genève"
    deleted = [e for e in entries if e["record"] == DELETED_COURSE]
    assert [(e["record_type"], e["action"]) for e in deleted] == [
        ("course", "created"),
        ("course", "deleted"),
    ]
    restored = [e["action"] for e in entries if e["record"] == RESTORED_COURSE]
    assert restored == ["created", "deleted", "restored"]
    assert set(entries[0]) == {
        "record_type", "record", "slug", "name", "action", "changed_fields", "document",
        "created_at", "user_name", "message",
    }  # fmt: skip


def test_the_history_comes_back_as_it_was(edited_catalogue, curator, tmp_path, monkeypatch):
    dump = json.loads(exported(tmp_path / "catalogue.json", "--history"))
    # A version by an account this database lacks keeps its author's name only.
    ghost_entry = next(e for e in dump["history"] if e["record"] == "gesda")
    ghost_entry["user_name"] = "ghost"
    before = (json.dumps(dump, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(before), encoding="utf-8"))

    output = io.StringIO()
    call_command("import_catalogue", "-", replace=True, stdout=output)

    assert output.getvalue().endswith(" versions from standard input.\n")
    assert_same_file(exported(tmp_path / "again.json", "--history"), before)
    # No version of the import's own: the file's history is the history.
    assert Version.objects.count() == len(dump["history"])
    geneva = City.objects.get(slug="geneva")
    change = Version.objects.of(geneva).first()
    assert (change.action, change.user, change.message) == (
        VersionAction.CHANGED,
        curator,
        "Le nom que Genève se donne.",
    )
    ghost = Version.objects.get(user_name="ghost")
    assert ghost.user is None
    assert ghost.record_id == Initiative.objects.get(slug="gesda").pk
    # The deleted course's versions belong to no record, until it is restored from them.
    deletion = Version.objects.deleted(Course).get(slug=DELETED_COURSE)
    assert deletion.record_id is None
    course = history.restore(deletion, user=curator)
    assert [v.action for v in Version.objects.of(course)] == ["restored", "deleted", "created"]


def test_without_history_the_import_keeps_a_created_version_of_each_record(
    edited_catalogue, tmp_path
):
    path = tmp_path / "catalogue.json"
    before = exported(path)
    ActorFactory(slug="not-in-the-file")

    output = io.StringIO()
    call_command("import_catalogue", str(path), replace=True, stdout=output)

    counts = [model.objects.count() for model in RECORDS]
    assert output.getvalue().startswith("Imported 249 countries, 17 sdgs, 19 themes, ")
    assert (
        "{} cities, {} actors, {} initiatives, {} courses, {} agreements from {}.".format(
            *counts, path
        )
        in output.getvalue()
    )
    assert_same_file(exported(tmp_path / "again.json"), before)
    assert not Actor.objects.filter(slug="not-in-the-file").exists()
    versions = Version.objects.all()
    assert versions.count() == sum(counts)
    assert {(v.action, v.message, v.user) for v in versions} == {
        (VersionAction.CREATED, f"Imported from {path}.", None)
    }


def counted_before_and_after_growing(count: Callable[[], int]) -> tuple[int, int]:
    """What `count` gives, then again once three actors take part in three more initiatives.
    An actor is written before the first count, so that both come after a write in the test's
    transaction (whose first write draws the revision's token)."""
    actors = [ActorFactory()]
    before = count()
    actors += ActorFactory.create_batch(2)
    for initiative in InitiativeFactory.create_batch(3):
        for actor in actors:
            Participation.objects.create(
                initiative=initiative, actor=actor, role=ParticipationRole.PARTNER
            )
    return before, count()


def test_exporting_costs_the_same_queries_however_many_records(tmp_path):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            exported(tmp_path / "catalogue.json", "--history")
        return len(context)

    before, after = counted_before_and_after_growing(queries)
    assert after == before


def test_deleting_the_catalogue_costs_the_same_queries_however_many_records(id_sequences_kept):
    """Deleting every record keeps no version of each nor drops its search terms one by one:
    the history and the terms go whole."""

    def queries() -> int:
        with transaction.atomic(), CaptureQueriesContext(connection) as context:
            delete_catalogue()
            assert not Version.objects.exists()
            transaction.set_rollback(True)
        return len(context)

    before, after = counted_before_and_after_growing(queries)
    assert after == before


# Refusals


def table_counts() -> dict[str, int]:
    """The rows of every table of the catalogue, link tables included."""
    return {
        model._meta.db_table: model.objects.count()
        for model in apps.get_app_config("catalogue").get_models(include_auto_created=True)
    }


def find(dump: dict, section: str, key: str) -> tuple[str, dict]:
    """The place (such as `records.initiatives[13] ("gesda")`) and the document of the entry
    with the natural key `key` in `section`."""
    group, name = section.split(".")
    for position, entry in enumerate(dump[group][name]):
        if entry.get("slug") == key:
            return f'{section}[{position}] ("{key}")', entry
    raise LookupError(key)


def refuse(path: Path, dump: dict | None = None, *, replace: bool = True) -> str:
    """The message with which importing `dump` (or the file at `path`) is refused, having
    checked that the catalogue's tables hold as many rows as before."""
    if dump is not None:
        path.write_text(json.dumps(dump, ensure_ascii=False), encoding="utf-8")
    counts = table_counts()
    with pytest.raises(CommandError) as refusal:
        call_command("import_catalogue", str(path), replace=replace)
    assert table_counts() == counts
    return str(refusal.value)


def test_every_problem_is_refused_with_its_place_and_the_file_changes_nothing(tmp_path):
    path = tmp_path / "catalogue.json"
    dump = json.loads(exported(path, "--history"))
    expected = []

    place, gesda = find(dump, "records.initiatives", "gesda")
    gesda["participations"][1]["actor"] = "x"
    expected.append(f'{place}: participations: row 2: actor: No actor has the slug "x".')
    place, berlin = find(dump, "records.initiatives", "brain-city-berlin")
    berlin["themes"].append("no-such-theme")
    expected.append(f'{place}: themes: No theme has the slug "no-such-theme".')
    place, iter_ = find(dump, "records.initiatives", "iter")
    iter_["status"] = "dormant"
    expected.append(f"{place}: status: Value 'dormant' is not a valid choice.")
    place, fcdo = find(dump, "records.actors", "fcdo")
    fcdo["parent"] = "nobody"
    expected.append(f'{place}: parent: No actor has the slug "nobody".')
    place, council = find(dump, "records.actors", "barcelona-city-council")
    council["founded"] = 1066
    expected.append(f"{place}: founded: Enter a year from 1900.")
    place, helsinki = find(dump, "records.cities", "helsinki")
    helsinki["mayor"] = "?"
    expected.append(f"{place}: mayor: Sciplo has no such field.")
    actors = dump["records"]["actors"]
    actors.append({**actors[0], "name": "Another"})
    expected.append(
        f'records.actors[{len(actors) - 1}] ("{actors[0]["slug"]}"): slug: records.actors[0] has '
        "the same slug."
    )
    themes = dump["reference"]["themes"]
    themes.append({"slug": "new-theme", "name": "", "description": ""})
    expected.append(
        f'reference.themes[{len(themes) - 1}] ("new-theme"): name: This field cannot be blank.'
    )
    place, oceans = find(dump, "reference.themes", "oceans")
    oceans["name"] = "Oceans and seas"
    first, second = dump["history"][:2]
    first["action"] = "zapped"
    expected.append(
        f'history[0] ({first["record_type"]} "{first["record"]}"): action: '
        "Value 'zapped' is not a valid choice."
    )
    second["created_at"] = "2026-03-03T10:00:00"
    expected.append(
        f'history[1] ({second["record_type"]} "{second["record"]}"): created_at: '
        "Give a time with its zone, such as 2026-03-03T10:00:00Z."
    )

    message = refuse(path, dump)

    assert message.startswith(f"{path} was refused; nothing was changed.\n")
    for problem in expected:
        assert f"\n  {problem}" in message
    # Those that name a refused record (the ITER agreement, SciTech DiploHub …) are not checked:
    # they would fail for that reason alone.
    assert "\n  Records not checked, as they name a document refused above: " in message
    assert "iter-agreement" not in message
    # The theme was updated before the problems were found; the refusal undid it.
    assert Theme.objects.get(slug="oceans").name == "Oceans"


def wrong_format(dump: dict) -> str:
    dump["format"] = "a-spreadsheet"
    return 'format: "a-spreadsheet" is not "sciplo-catalogue": this file is not a Sciplo catalogue'


def wrong_version(dump: dict) -> str:
    dump["version"] = 2
    return "version: 2 is not a version of the dump format this Sciplo reads (1)."


def unknown_key(dump: dict) -> str:
    dump["users"] = []
    return (
        "The file has the key 'users', which a catalogue dump does not have (it has format, "
        "version, reference, records, history)."
    )


def missing_key(dump: dict) -> str:
    del dump["records"]
    return "The file lacks the key 'records'."


def missing_section(dump: dict) -> str:
    del dump["reference"]["sources"]
    return "reference: The key 'sources' is missing."


def section_not_a_list(dump: dict) -> str:
    dump["records"]["cities"] = {"geneva": {}}
    return "records.cities: Give a list of documents, not an object."


@pytest.mark.parametrize(
    "spoil",
    [wrong_format, wrong_version, unknown_key, missing_key, missing_section, section_not_a_list],
)
def test_a_file_that_is_not_a_catalogue_dump_is_refused(tmp_path, spoil: Callable[[dict], str]):
    path = tmp_path / "catalogue.json"
    dump = json.loads(exported(path))
    expected = spoil(dump)

    assert f"\n  {expected}" in refuse(path, dump)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'{\n  "format": "sciplo-catalogue",\n  "version": 1,\n  records\n}',
            "is not JSON: Expecting property name enclosed in double quotes (line 4, column 3).",
        ),
        (b'{"format": "sciplo-catalogue"', "is not JSON: Expecting ',' delimiter (line 1, column"),
        ("Genève".encode("latin-1"), "is not UTF-8 text: byte 4 cannot be read as UTF-8."),
        (b"[]", "holds a list, not a catalogue dump (an object)."),
        (
            b'{"records": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            "is refused: The JSON is nested more than 32",
        ),
        (
            b'{"records": ' + b"[" * 32 + b"]" * 32 + b"}",
            "is refused: The JSON is nested more than 32",
        ),
    ],
)
def test_a_file_that_is_not_json_is_refused(tmp_path, content: bytes, expected: str):
    path = tmp_path / "catalogue.json"
    path.write_bytes(content)

    assert f"\n  {path} {expected}" in refuse(path)


def test_the_list_of_problems_stops_at_a_limit(tmp_path):
    path = tmp_path / "catalogue.json"
    dump = json.loads(exported(path))
    for actor in dump["records"]["actors"]:
        actor.update(kind="secret", ror_id="secret", wikidata_id="42")

    lines = refuse(path, dump).splitlines()

    assert len(lines) == 1 + MAX_PROBLEMS + 1
    assert lines[-1] == f"  The check stopped after {MAX_PROBLEMS} problems."


def test_a_catalogue_is_never_imported_over_another_without_replace(tmp_path):
    path = tmp_path / "catalogue.json"
    exported(path)

    message = refuse(path, replace=False)

    held = [*(model.objects.count() for model in RECORDS), Source.objects.count()]
    assert (
        "The catalogue already holds {} cities, {} actors, {} initiatives, {} courses, "
        "{} agreements, {} sources and {} versions: import into an empty database, or give "
        "--replace to delete them first."
    ).format(*held, Version.objects.count()) in message


# From one engine to the other, through the command line


@pytest.fixture
def other_engine_url(tmp_path) -> Iterator[str]:
    """The URL of a new, empty database on the engine this run of the tests does not use: a
    SQLite file when the tests run on PostgreSQL, a PostgreSQL database (dropped afterwards) on
    the server of TEST_POSTGRES_URL when they run on SQLite."""
    if connection.vendor == "postgresql":
        yield f"sqlite:///{tmp_path / 'catalogue.sqlite3'}"
        return
    config = dj_database_url.parse(POSTGRES_URL)
    try:
        server = psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as error:
        reason = f"No PostgreSQL server answers at {POSTGRES_URL} (set TEST_POSTGRES_URL): {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"sciplo_dump_{secrets.token_hex(6)}"
    with server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
        finally:
            server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def manage(database_url: str, *arguments: str, stdin: bytes | None = None, check: bool = True):
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url},
        input=stdin,
        capture_output=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


@pytest.mark.slow
def test_a_dump_moves_to_the_other_engine_and_back_byte_for_byte(
    edited_catalogue, other_engine_url, tmp_path
):
    with_history = exported(tmp_path / "with-history.json", "--history")
    catalogue = exported(tmp_path / "catalogue.json")
    manage(other_engine_url, "migrate", "--verbosity=0")

    manage(other_engine_url, "import_catalogue", "-", stdin=with_history)
    again = manage(other_engine_url, "export_catalogue", "--history", "-").stdout
    assert_same_file(again, with_history)

    refused = manage(
        other_engine_url, "import_catalogue", str(tmp_path / "catalogue.json"), check=False
    )
    assert refused.returncode == 1
    assert "give --replace to delete them first." in refused.stderr.decode()

    manage(other_engine_url, "import_catalogue", "--replace", str(tmp_path / "catalogue.json"))
    manage(other_engine_url, "export_catalogue", str(tmp_path / "again.json"))
    assert_same_file((tmp_path / "again.json").read_bytes(), catalogue)
