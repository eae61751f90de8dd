"""Bulk import and export: a dry run first, all or nothing, versioned, within the workflow's
permissions; an export of every list imports back into an empty catalogue unchanged."""

import csv
import io
import logging
from html import escape

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from catalogue import history
from catalogue.admin import imports as admin_imports
from catalogue.documents import documents, record_document
from catalogue.imports import RowAction, import_rows
from catalogue.models import (
    Actor,
    Agreement,
    AgreementParty,
    City,
    Course,
    CourseProvider,
    ImportJob,
    ImportState,
    Initiative,
    InitiativeCitation,
    Participation,
    Publication,
    Source,
    Theme,
    Version,
)
from catalogue.services import MAX_RELATED
from catalogue.tabular import Row, read_rows
from tests.factories import ActorFactory, CityFactory, InitiativeFactory, SourceFactory

pytestmark = pytest.mark.django_db

# The order a catalogue is imported in: what a row names exists before it.
IMPORT_ORDER = (Source, City, Actor, Initiative, Course, Agreement)
COUNTED = (
    *IMPORT_ORDER,
    Participation,
    CourseProvider,
    AgreementParty,
    InitiativeCitation,
    Version,
)
INITIATIVE_COLUMNS = "slug,name,kind,status,level,publication,themes,participations,citations"
GOOD_ROWS = (
    "import-hub,Import Hub,hub,active,city,published,health; oceans,"
    '"aaas | lead | 2020 |\ntwas | partner",cidob-city-led-science-diplomacy-2021 | p. 2',
    "import-network,Import Network,network,planned,global,published,,unesco | member,",
    "import-fund,Import Fund,fund,active,national,draft,,,",
)


def csv_file(*lines: str) -> bytes:
    return "\r\n".join(lines).encode()


def admin_url(model, view: str) -> str:
    return reverse(f"admin:catalogue_{model._meta.model_name}_{view}")


def upload(client, model, name: str, content: bytes):
    """The page an upload leads to: the preview of its import, once checked (tasks run at
    once in tests), or the form with its errors."""
    return client.post(
        admin_url(model, "import"), {"file": SimpleUploadedFile(name, content)}, follow=True
    )


def confirm(client, preview):
    """The page confirming a preview leads to: the outcome of its import."""
    return client.post(preview.request["PATH_INFO"], {"confirm": ""}, follow=True)


def imported(response) -> bool:
    return response.context["job"].state == ImportState.IMPORTED


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def export(client, model, file_format: str, **selection) -> bytes:
    response = client.post(
        admin_url(model, "changelist"),
        {"action": f"export_{file_format}", "_selected_action": ["0"], **selection},
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def empty_the_catalogue() -> None:
    for model in reversed(IMPORT_ORDER):
        if model in (Actor, Initiative):
            # A parent is protected from deletion while it has children.
            for record in model.objects.exclude(parent=None):
                record.parent = None
                record.save()
        model.objects.all().delete()


def without_updated_at(model) -> list[dict]:
    return [
        {key: value for key, value in document.items() if key != "updated_at"}
        for document in documents(model.objects.order_by("slug"))
    ]


@pytest.mark.slow
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_an_export_of_every_list_imports_back_into_an_empty_catalogue(curator_client, file_format):
    before = {model: without_updated_at(model) for model in IMPORT_ORDER}
    files = {
        model: export(curator_client, model, file_format, select_across="1")
        for model in IMPORT_ORDER
    }
    empty_the_catalogue()
    assert not any(model.objects.exists() for model in IMPORT_ORDER)
    for model in IMPORT_ORDER:
        preview = upload(curator_client, model, f"all.{file_format}", files[model])
        result = preview.context["result"]
        assert not result.has_errors, result.error_rows
        assert {row.action for row in result.rows} == {RowAction.CREATED}
        assert imported(confirm(curator_client, preview))
    for model in IMPORT_ORDER:
        assert without_updated_at(model) == before[model], model.__name__


def test_a_file_with_a_bad_row_imports_nothing_until_it_is_fixed(curator_client, curator):
    bad = csv_file(
        INITIATIVE_COLUMNS,
        GOOD_ROWS[0],
        "import-network,Import Network,network,planned,global,published,,nobody | member,",
        "import-fund,Import Fund,fund,thriving,national,draft,,,",
    )
    before = counts()
    response = upload(curator_client, Initiative, "initiatives.csv", bad)
    assert response.status_code == 200
    assert [(row.number, row.errors) for row in response.context["result"].error_rows] == [
        (3, {"participations": ['row 1: actor: No actor has the slug "nobody".']}),
        (4, {"status": ["Value 'thriving' is not a valid choice."]}),
    ]
    page = response.content.decode()
    assert "Nothing was imported: rows 3, 4 of initiatives.csv have errors." in page
    assert "participations: row 1: actor: No actor has the slug" in page
    assert "Confirm import" not in page
    assert counts() == before

    fixed = csv_file(INITIATIVE_COLUMNS, *GOOD_ROWS)
    preview = upload(curator_client, Initiative, "initiatives.csv", fixed)
    assert [(row.number, row.action) for row in preview.context["result"].rows] == [
        (2, RowAction.CREATED),
        (3, RowAction.CREATED),
        (4, RowAction.CREATED),
    ]
    assert "Confirm import" in preview.content.decode()
    assert counts() == before

    response = confirm(curator_client, preview)
    assert imported(response)
    assert "Imported 3 rows: 3 created, 0 changed." in response.content.decode()
    assert f'href="{admin_url(Initiative, "changelist")}"' in response.content.decode()
    hub = Initiative.objects.get(slug="import-hub")
    assert record_document(hub)["participations"] == [
        {"actor": "aaas", "role": "lead", "start_year": 2020, "end_year": None},
        {"actor": "twas", "role": "partner", "start_year": None, "end_year": None},
    ]
    assert list(hub.themes.values_list("slug", flat=True).order_by("slug")) == ["health", "oceans"]
    assert hub.citations.get().locator == "p. 2"
    for slug in ("import-hub", "import-network", "import-fund"):
        (version,) = Version.objects.of(Initiative.objects.get(slug=slug))
        assert (version.action, version.user, version.message) == (
            "created",
            curator,
            "Imported from initiatives.csv",
        )


def test_confirming_imports_afresh_what_the_preview_showed(curator_client):
    actor = ActorFactory(slug="short-lived")
    content = csv_file(
        "slug,name,kind,status,level,participations", "x,X,hub,active,city,short-lived | lead"
    )
    preview = upload(curator_client, Initiative, "x.csv", content)
    assert not preview.context["result"].has_errors
    actor.delete()
    response = confirm(curator_client, preview)
    assert response.context["job"].state == ImportState.PREVIEWED
    assert response.context["result"].error_rows[0].errors == {
        "participations": ['row 1: actor: No actor has the slug "short-lived".']
    }
    assert not Initiative.objects.filter(slug="x").exists()


def test_each_upload_is_confirmed_once_by_its_uploader_alone(curator_client, curator):
    first = upload(curator_client, City, "a.csv", csv_file("slug,name,country", "a,A,CH"))
    second = upload(curator_client, City, "b.csv", csv_file("slug,name,country", "b,B,CH"))
    other_curator = User.objects.create_user("other", password="a-long-passphrase-42")
    other_curator.is_staff = True
    other_curator.save()
    other_curator.groups.set(curator.groups.all())
    client = Client()
    client.force_login(other_curator)
    assert client.get(first.request["PATH_INFO"]).status_code == 404
    assert client.post(first.request["PATH_INFO"], {"confirm": ""}).status_code == 404
    assert imported(confirm(curator_client, first))
    assert not City.objects.filter(slug="b").exists()
    again = confirm(curator_client, first)
    assert [str(message) for message in get_messages(again.wsgi_request)] == [
        "This file cannot be imported: it has errors, or was imported already."
    ]
    assert City.objects.filter(slug="a").count() == 1
    assert imported(confirm(curator_client, second))
    page = curator_client.get(admin_url(City, "import")).content.decode()
    assert page.index("b.csv") < page.index("a.csv")


def test_xlsx_and_json_files_import_too(curator_client):
    content = export(
        curator_client, City, "xlsx", _selected_action=[City.objects.get(slug="geneva").pk]
    )
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("slug") + 1, value="geneva-copy")
    # Another city's GeoNames id would be refused.
    sheet.cell(row=2, column=header.index("geonames_id") + 1).value = None
    output = io.BytesIO()
    workbook.save(output)
    preview = upload(curator_client, City, "cities.xlsx", output.getvalue())
    assert [(row.action, row.errors) for row in preview.context["result"].rows] == [
        (RowAction.CREATED, {})
    ]
    assert preview.context["row_label"] == "Row"
    assert imported(confirm(curator_client, preview))
    assert City.objects.get(slug="geneva-copy").country_id == "CH"

    preview = upload(
        curator_client, City, "cities.json", b'[{"slug": "geneva-copy", "summary": "A copy."}]'
    )
    assert preview.context["row_label"] == "Item"
    (row,) = preview.context["result"].rows
    assert (row.number, row.action, row.changed_fields) == (1, RowAction.CHANGED, ["summary"])
    assert imported(confirm(curator_client, preview))
    assert City.objects.get(slug="geneva-copy").summary == "A copy."


def test_a_dry_run_shows_what_would_change_and_writes_nothing(curator):
    # Made outside any recording, so without a version: a dry run must not give it one.
    hub = InitiativeFactory(slug="hub", website="")
    before, hub_document = counts(), record_document(hub)
    rows = [
        Row(2, {"slug": "hub", "website": "https://hub.example.org", "status": "completed"}),
        Row(
            3,
            {"slug": "new-hub", "name": "New", "kind": "hub", "status": "active", "level": "city"},
        ),
    ]
    result = import_rows(Initiative, rows, user=curator, dry_run=True, file_name="x.json")
    assert [(row.action, row.changed_fields) for row in result.rows] == [
        (RowAction.CHANGED, ["website", "status"]),
        (RowAction.CREATED, []),
    ]
    assert not result.imported
    assert counts() == before
    assert record_document(hub) == hub_document


def test_an_unchanged_row_is_not_saved(curator):
    geneva = City.objects.get(slug="geneva")
    (document,) = documents(City.objects.filter(pk=geneva.pk))
    versions = Version.objects.of(geneva).count()
    result = import_rows(City, [Row(2, document)], user=curator, dry_run=False, file_name="c.csv")
    assert result.rows[0].action == RowAction.UNCHANGED
    assert result.summary() == "Imported 1 row: 0 created, 0 changed, 1 unchanged."
    assert City.objects.get(pk=geneva.pk).updated_at == geneva.updated_at
    assert Version.objects.of(geneva).count() == versions


def test_a_changed_row_is_a_version_naming_its_fields(curator):
    with history.recording(user=curator):
        hub = InitiativeFactory(slug="hub", website="")
    rows = [Row(2, {"slug": "hub", "website": "https://hub.example.org"})]
    result = import_rows(Initiative, rows, user=curator, dry_run=False, file_name="hubs.csv")
    assert result.imported
    latest = Version.objects.of(hub).first()
    assert (latest.action, latest.changed_fields, latest.message) == (
        "changed",
        ["website"],
        "Imported from hubs.csv",
    )


def test_rows_may_name_records_that_later_rows_create(curator):
    rows = read_rows(
        Actor,
        "csv",
        csv_file(
            "slug,name,kind,parent",
            "child,Child,research,middle",
            "middle,Middle,research,top",
            "top,Top,research,",
            "loop-a,Loop A,research,loop-b",
            "loop-b,Loop B,research,loop-a",
        ),
    )
    result = import_rows(Actor, rows, user=curator, dry_run=True, file_name="a.csv")
    # Two new actors each other's parent: neither can be saved first.
    assert [(row.number, row.errors) for row in result.error_rows] == [
        (5, {"parent": ['No actor has the slug "loop-b".']}),
        (6, {"parent": ['No actor has the slug "loop-a".']}),
    ]
    assert [row.action for row in result.rows[:3]] == [RowAction.CREATED] * 3
    result = import_rows(Actor, rows[:3], user=curator, dry_run=False, file_name="a.csv")
    assert result.imported
    assert Actor.objects.get(slug="child").parent.parent == Actor.objects.get(slug="top")


def test_a_slug_twice_in_a_file_is_refused(curator):
    rows = [Row(2, {"slug": "a", "name": "A", "kind": "research"}), Row(3, {"slug": "a"})]
    result = import_rows(Actor, rows, user=curator, dry_run=False, file_name="a.csv")
    assert [(row.number, row.errors) for row in result.error_rows] == [
        (3, {"slug": ['Row 2 already has the slug "a".']})
    ]
    assert not Actor.objects.filter(slug="a").exists()


def test_sources_import_and_records_cite_them(curator):
    rows = [
        Row(
            1,
            {
                "slug": "new-report",
                "title": "A report",
                "author": "Someone",
                "kind": "report",
                "published_on": "2024-05",
            },
        )
    ]
    result = import_rows(Source, rows, user=curator, dry_run=False, file_name="s.json")
    assert result.imported, result.error_rows
    assert str(Source.objects.get(slug="new-report").published) == "May 2024"
    bad = [Row(2, {"slug": "bad-report", "title": "B", "author": "C", "kind": "poem"})]
    result = import_rows(Source, bad, user=curator, dry_run=False, file_name="s.csv")
    assert result.error_rows[0].errors == {"kind": ["Value 'poem' is not a valid choice."]}


CONTRIBUTOR_CASES = [
    # (the record's stored state or None for a new one, the row's publication, allowed)
    (None, None, True),
    (None, "draft", True),
    (None, "in_review", False),
    (None, "published", False),
    ("draft", None, True),
    ("draft", "published", False),
    ("published", None, False),
    ("in_review", "draft", False),
]


@pytest.mark.parametrize(("stored", "publication", "allowed"), CONTRIBUTOR_CASES)
def test_a_contributor_imports_drafts_only(contributor, curator, stored, publication, allowed):
    if stored is not None:
        ActorFactory(slug="subject", publication=stored)
    document = {"slug": "subject", "name": "Subject", "kind": "research"}
    if publication is not None:
        document["publication"] = publication
    result = import_rows(
        Actor, [Row(2, document)], user=contributor, dry_run=False, file_name="a.csv"
    )
    if allowed:
        assert result.imported, result.error_rows
    else:
        assert result.error_rows[0].number == 2
        assert list(result.error_rows[0].errors) == ["publication"]
        assert Actor.objects.filter(slug="subject").count() == (stored is not None)
    # A curator may do all of it.
    assert import_rows(
        Actor, [Row(2, document)], user=curator, dry_run=False, file_name="a.csv"
    ).imported


def test_the_import_page_needs_add_and_change_permission(client, contributor_client):
    url = admin_url(Actor, "import")
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = client.post(url, {"file": SimpleUploadedFile("a.csv", b"slug\r\na")})
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    viewer = User.objects.create_user("viewer", password="a-long-passphrase-42", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_actor"))
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    assert (
        client.post(
            url, {"file": SimpleUploadedFile("a.csv", b"slug,name,kind\r\na,A,research")}
        ).status_code
        == 403
    )
    assert not Actor.objects.filter(slug="a").exists()
    changelist = client.get(admin_url(Actor, "changelist"))
    assert url not in changelist.content.decode()
    assert "export_csv" in changelist.context["action_form"].fields["action"].choices.__str__()
    response = contributor_client.get(admin_url(Actor, "changelist"))
    assert f'href="{url}"' in response.content.decode()
    assert contributor_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("actors.xls", b"slug", '"actors.xls" is not a CSV, XLSX or JSON file'),
        ("actors.csv", b"x" * (5 * 1024 * 1024 + 1), "The file is larger than 5 MB"),
    ],
)
def test_an_upload_of_another_kind_or_too_large_is_refused_on_the_form(
    curator_client, name, content, message
):
    response = upload(curator_client, Actor, name, content)
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["file"])
    assert "job" not in response.context
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("actors.csv", b"slug,colour\r\na,blue", '"colour" is not a column of actors'),
        ("actors.xlsx", b"slug,name", "The file is not an XLSX workbook."),
        ("actors.csv", b"\xff\xfeslug", "The file is not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_as_rows_is_refused_saying_why(
    curator_client, name, content, message
):
    before = counts()
    response = upload(curator_client, Actor, name, content)
    job = response.context["job"]
    assert job.state == ImportState.REFUSED
    assert message in job.error
    page = response.content.decode()
    assert f"Nothing was imported: {escape(job.error)}" in page
    assert "Confirm import" not in page
    assert counts() == before


@pytest.mark.parametrize("model", IMPORT_ORDER, ids=lambda model: model.__name__)
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_export_actions_download_documents_in_a_fixed_number_of_queries(
    curator_client, model, file_format
):
    one = model.objects.order_by("pk")[:1].get()
    with CaptureQueriesContext(connection) as single:
        export(curator_client, model, file_format, _selected_action=[one.pk])
    with CaptureQueriesContext(connection) as every:
        content = export(curator_client, model, file_format, select_across="1")
    assert len(every) == len(single)
    rows = read_rows(model, file_format, content)
    assert sorted((row.document for row in rows), key=lambda d: d["slug"]) == list(
        documents(model.objects.order_by("slug"))
    )


def test_an_export_is_named_after_the_list_and_the_day(curator_client):
    response = curator_client.post(
        admin_url(Initiative, "changelist"),
        {"action": "export_xlsx", "_selected_action": ["0"], "select_across": "1"},
    )
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="initiatives-20')
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == Initiative.objects.count() + 1


def test_the_curators_guide_example_imports(contributor):
    guide = (settings.BASE_DIR / "docs" / "curation.md").read_text()
    section = guide.split("## Bulk import and export")[1].split("\n## ")[0]
    example = section.split("```csv\n")[1].split("```")[0]
    rows = read_rows(Initiative, "csv", example.encode())
    result = import_rows(Initiative, rows, user=contributor, dry_run=True, file_name="guide.csv")
    assert [(row.number, row.action, row.errors) for row in result.rows] == [
        (2, RowAction.CREATED, {}),
        (3, RowAction.CREATED, {}),
    ]


def test_the_import_page_costs_five_queries(curator_client, django_assert_num_queries):
    # The session, the user, the user's and groups' permissions, and the user's latest imports.
    with django_assert_num_queries(5):
        response = curator_client.get(admin_url(Actor, "import"))
    assert response.status_code == 200
    assert response.context["title"] == "Import actors"


@pytest.mark.parametrize(
    ("file_format", "prefix"),
    [
        (file_format, prefix)
        for file_format in ("csv", "xlsx")
        for prefix in ("=", "+", "-", "@", "\t", "\r", "'=", "''+")
        # XML, and so XLSX, reads a carriage return as a line feed.
        if (file_format, prefix) != ("xlsx", "\r")
    ],
    ids=repr,
)
def test_an_export_writes_a_formula_as_text_and_imports_back_unchanged(
    curator_client, file_format, prefix
):
    city = CityFactory(name=f"{prefix}SUM(A1:A9)", latitude=-33.92, longitude=-70.65)
    content = export(curator_client, City, file_format, _selected_action=[city.pk])

    if file_format == "csv":
        [cells] = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    else:
        header, values = load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
        cells = dict(zip(header, values, strict=True))
    assert cells["name"] == f"'{city.name}"
    assert (cells["latitude"], cells["longitude"]) == ("-33.92", "-70.65")
    [row] = read_rows(City, file_format, content)
    assert row.document == record_document(city)


def test_an_imported_text_holding_a_control_character_is_refused_naming_its_column(contributor):
    city = CityFactory(name="Geneva test", publication=Publication.DRAFT)
    rows = read_rows(City, "csv", f"slug,name,country\r\n{city.slug},Gen\x01eva,CH\r\n".encode())
    result = import_rows(City, rows, user=contributor, dry_run=False, file_name="c.csv")
    [row] = result.rows
    assert "name" in row.errors
    city.refresh_from_db()
    assert city.name == "Geneva test"


def initiative_row(number: int, n: int) -> Row:
    """An initiative's row naming `n` themes, participants and cited sources."""
    actors = [ActorFactory() for _ in range(n)]
    sources = [SourceFactory() for _ in range(n)]
    document = {
        "slug": f"initiative-{number}",
        "name": f"Initiative {number}",
        "kind": "hub",
        "status": "active",
        "level": "city",
        "themes": list(Theme.objects.values_list("slug", flat=True)[:n]),
        "participations": [
            {"actor": a.slug, "role": "partner", "start_year": 2020} for a in actors
        ],
        "citations": [{"source": source.slug, "locator": "p. 1"} for source in sources],
    }
    return Row(number, document)


def test_a_row_s_links_cost_the_queries_of_one(curator):
    def queries_to_import(row: Row) -> int:
        with CaptureQueriesContext(connection) as queries:
            result = import_rows(Initiative, [row], user=curator, dry_run=False, file_name="a")
        assert result.imported, result.error_rows
        return len(queries)

    queries_to_import(initiative_row(2, 1))  # The user's permissions, read once.
    assert queries_to_import(initiative_row(3, 5)) == queries_to_import(initiative_row(4, 1))


@pytest.mark.parametrize("relation", ["themes", "participations", "citations"])
def test_a_row_with_too_many_links_is_refused_naming_the_column(curator, relation):
    row = initiative_row(2, 1)
    row.document[relation] = row.document[relation] * (MAX_RELATED + 1)
    result = import_rows(Initiative, [row], user=curator, dry_run=False, file_name="a")
    assert result.error_rows[0].errors == {
        relation: [f"A record holds at most {MAX_RELATED} of these; this gives {MAX_RELATED + 1}."]
    }
    assert not Initiative.objects.filter(slug="initiative-2").exists()


def test_an_xlsx_export_writes_a_text_stored_before_the_text_rules(curator_client):
    actor = ActorFactory(name="Plain")
    Actor.objects.filter(pk=actor.pk).update(name="Ac\x01tor\x1b")
    content = export(curator_client, Actor, "xlsx", _selected_action=[actor.pk])
    sheet = load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("name") + 1).value == "Actor"


def test_a_large_file_s_page_shows_its_refused_rows_up_to_a_page_s_worth(
    curator_client, monkeypatch
):
    monkeypatch.setattr(admin_imports, "PREVIEW_ROWS", 3)
    good = [f"good-{n},Good {n},research" for n in range(4)]
    bad = [f"bad-{n},Bad {n},guild" for n in range(5)]
    page = upload(curator_client, Actor, "actors.csv", csv_file("slug,name,kind", *good, *bad))
    shown = page.context["shown_rows"]
    assert [row.slug for row in shown] == ["bad-0", "bad-1", "bad-2"]
    text = page.content.decode()
    assert "the refused ones only, the first 3 of 5" in text
    assert "Nothing was imported: rows 6, 7, 8, 9, 10 of actors.csv have errors." in text
    page = upload(curator_client, Actor, "actors.csv", csv_file("slug,name,kind", *good))
    assert [row.slug for row in page.context["shown_rows"]] == ["good-0", "good-1", "good-2"]
    assert "Preview of actors.csv: 4 rows" in page.content.decode()
    assert "the first 3</caption>" in page.content.decode()


def test_each_check_and_import_of_a_file_is_logged(curator_client, caplog):
    content = csv_file("slug,name,country", "logged,Logged,CH")
    with caplog.at_level(logging.INFO, logger="sciplo.tasks"):
        imported(confirm(curator_client, upload(curator_client, City, "cities.csv", content)))
    events = [
        (record.event, record.state, record.file, record.rows, record.user)
        for record in caplog.records
        if getattr(record, "event", None) == "import"
    ]
    assert events == [
        ("import", "previewed", "cities.csv", 1, "curator"),
        ("import", "imported", "cities.csv", 1, "curator"),
    ]
