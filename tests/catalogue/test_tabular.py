"""Documents as CSV, XLSX and JSON files: every seed record survives the trip, and a file that
cannot be read is refused with the row and column named."""

import datetime
import io
import json
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from catalogue import tabular
from catalogue.documents import DocumentInvalid, documents
from catalogue.exports import spreadsheet_text, spreadsheet_value
from catalogue.models import Actor, Agreement, City, Course, Initiative, Source
from catalogue.tabular import (
    MAX_XLSX_UNPACKED_MEGABYTES,
    TabularError,
    columns,
    csv_export,
    flatten,
    format_of,
    json_export,
    read_rows,
    unflatten,
    xlsx_export,
)
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

MODELS = (Source, City, Actor, Initiative, Course, Agreement)


def csv_bytes(*lines: str) -> bytes:
    return "\r\n".join(lines).encode()


def workbook_bytes(*rows: list) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_unflatten_gives_back_every_seed_document(model):
    seed = list(documents(model.objects.all()))
    assert seed, f"The seed catalogue has no {model._meta.verbose_name}."
    for document in seed:
        row = flatten(model, document)
        assert list(row) == columns(model)
        assert all(isinstance(cell, str) for cell in row.values())
        assert unflatten(model, row) == document


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_an_exported_file_reads_back_as_the_same_documents(model, file_format):
    seed = list(documents(model.objects.all()))
    if file_format == "csv":
        content = "".join(csv_export(model, seed)).encode()
    elif file_format == "xlsx":
        content = xlsx_export(model, seed)
    else:
        content = "".join(json_export(seed)).encode()
    rows = read_rows(model, file_format, content)
    assert [row.document for row in rows] == seed
    assert not any(row.errors for row in rows)
    first_data_row = 1 if file_format == "json" else 2
    assert [row.number for row in rows] == list(range(first_data_row, first_data_row + len(seed)))


def test_cells_follow_the_documented_conventions():
    gesda = next(documents(Initiative.objects.filter(slug="gesda")))
    row = flatten(Initiative, gesda)
    assert row["cities"] == "geneva"
    assert row["countries"] == "CH"
    assert row["end_year"] == ""
    lines = row["participations"].splitlines()
    assert len(lines) == len(gesda["participations"])
    first = gesda["participations"][0]
    assert lines[0] == (
        f"{first['actor']} | {first['role']} | "
        f"{first['start_year'] or ''} | {first['end_year'] or ''}"
    )
    course = CourseFactory(is_free=False, fee="€100", starts_on=datetime.date(2026, 9, 1))
    document = next(documents(Course.objects.filter(pk=course.pk)))
    row = flatten(Course, document)
    assert (row["is_free"], row["fee"], row["starts_on"]) == ("false", "€100", "2026-09-01")
    assert unflatten(Course, row) == document


def test_a_cell_may_leave_out_trailing_fields_and_spaces():
    document = unflatten(
        Initiative,
        {
            "slug": "x",
            "sdgs": "13;  17 ;",
            "participations": "gesda-foundation|lead\n\n  swiss-federal-council | funder | 2019",
            "citations": "cidob-city-led-science-diplomacy-2021 | p. 3 | a | b",
        },
    )
    assert document["sdgs"] == [13, 17]
    assert document["participations"] == [
        {"actor": "gesda-foundation", "role": "lead", "start_year": None, "end_year": None},
        {"actor": "swiss-federal-council", "role": "funder", "start_year": 2019, "end_year": None},
    ]
    # The last field of a line keeps any separator it holds.
    assert document["citations"] == [
        {"source": "cidob-city-led-science-diplomacy-2021", "locator": "p. 3 | a | b"}
    ]


def test_an_empty_cell_empties_a_field_but_keeps_one_that_needs_a_value():
    document = unflatten(
        Agreement,
        {
            "slug": "x",
            "summary": "",
            "signed_on": "",
            "themes": "",
            "publication": "",
            "created_at": "",
            "party_links": "gesda-foundation",
        },
    )
    assert document == {
        "slug": "x",
        "summary": "",
        "signed_on": None,
        "themes": [],
        # A party's role defaults to "party".
        "party_links": [
            {"actor": "gesda-foundation", "signed_on": None, "joined_on": None, "withdrew_on": None}
        ],
    }


def test_unreadable_cells_are_named_by_column_and_link_row():
    with pytest.raises(DocumentInvalid) as caught:
        unflatten(
            Initiative,
            {
                "slug": "x",
                "start_year": "twenty",
                "sdgs": "13; seventeen",
                "participations": "gesda-foundation | lead\ngesda-foundation | lead | 2019 | soon",
                "colour": "blue",
            },
        )
    errors = caught.value.messages_by_field
    assert set(errors) == {"start_year", "sdgs", "participations", "colour"}
    assert errors["start_year"] == ["“twenty” value must be an integer."]
    assert errors["participations"] == ["row 2: end_year: “soon” value must be an integer."]
    assert errors["colour"] == ["Sciplo has no such field."]
    with pytest.raises(DocumentInvalid) as caught:
        unflatten(Course, {"slug": "x", "is_free": "perhaps"})
    assert caught.value.messages_by_field == {"is_free": ['"perhaps" is neither true nor false.']}


def test_a_bad_row_is_an_error_of_that_row_only():
    rows = read_rows(
        Actor,
        "csv",
        csv_bytes("slug,name,founded", "a,Alpha,1990", "b,Beta,long ago", "c,Gamma,"),
    )
    assert [(row.number, row.errors) for row in rows] == [
        (2, {}),
        (3, {"founded": ["“long ago” value must be an integer."]}),
        (4, {}),
    ]
    # A row whose cells cannot be read still says which record it is.
    assert rows[1].document == {"slug": "b", "name": "Beta"}


def test_rows_are_numbered_as_a_spreadsheet_shows_them():
    content = csv_bytes(
        "slug,name,description", "a,Alpha,", ",,", 'b,Beta,"two', 'lines"', "c,Gamma,"
    )
    rows = read_rows(Actor, "csv", content)
    assert [(row.number, row.document["slug"]) for row in rows] == [(2, "a"), (4, "b"), (5, "c")]
    assert rows[1].document["description"] == "two\r\nlines"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Row 1 must name the columns, but it is empty."),
        (b"slug,name\r\n", "The file holds no rows under its header."),
        (csv_bytes("slug,colour", "a,blue"), 'Row 1, column B: "colour" is not a column of actors'),
        (csv_bytes("slug,name,name", "a,b,c"), 'Row 1, column C: "name" is named twice.'),
        (csv_bytes("slug,,name", "a,b,c"), "Row 1, column B has no name."),
        (csv_bytes("name,kind", "Alpha,research"), 'Row 1 has no "slug" column'),
        (csv_bytes("slug,name", "a,Alpha", "b,Beta,extra"), "Row 3, column C: a value under no"),
        (csv_bytes("slug,name", 'a,"Alpha"x'), "Row 2 is not valid CSV"),
        ("slug,name\r\na,Zürich".encode("latin-1"), "The file is not UTF-8 text (byte 15)"),
    ],
)
def test_an_unreadable_csv_file_is_refused_with_where(content, message):
    with pytest.raises(TabularError) as caught:
        read_rows(Actor, "csv", content)
    assert message in str(caught.value)


def test_a_csv_file_may_start_with_a_byte_order_mark():
    rows = read_rows(Actor, "csv", "\ufeffslug,name\r\na,Alpha".encode())
    assert rows[0].document == {"slug": "a", "name": "Alpha"}


def test_spreadsheet_typed_cells_read_as_their_text():
    content = workbook_bytes(
        ["slug", "name", "founded", "last_verified", "created_at", None],
        ["a", "Alpha", 1990.0, datetime.datetime(2026, 3, 1), datetime.datetime(2026, 3, 1, 9, 30)],
        [None, None, None],
    )
    (row,) = read_rows(Actor, "xlsx", content)
    assert row.document == {
        "slug": "a",
        "name": "Alpha",
        "founded": 1990,
        "last_verified": "2026-03-01",
        "created_at": "2026-03-01T09:30:00",
    }
    content = workbook_bytes(["slug", "is_free", "edition"], ["a", True, 3])
    assert read_rows(Course, "xlsx", content)[0].document == {
        "slug": "a",
        "is_free": True,
        "edition": 3,
    }


def test_text_that_looks_like_a_formula_stays_text():
    document = {"slug": "a", "name": '=HYPERLINK("http://example.org")'}
    content = xlsx_export(Actor, [document])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["B2"].data_type == "s"
    assert read_rows(Actor, "xlsx", content)[0].document["name"] == document["name"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"slug,name\r\na,Alpha", "The file is not an XLSX workbook."),
        (workbook_bytes(), "Row 1 must name the columns, but it is empty."),
        (workbook_bytes([None, None], ["a", "Alpha"]), "Row 1 must name the columns"),
        (workbook_bytes(["slug", "colour"], ["a", "blue"]), '"colour" is not a column'),
    ],
)
def test_an_unreadable_xlsx_file_is_refused(content, message):
    with pytest.raises(TabularError) as caught:
        read_rows(Actor, "xlsx", content)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"slug": "a"},', "The file is not valid JSON: Expecting value (line 1, column 16)."),
        (b'{"slug": "a"}', "The file must hold a JSON list of documents."),
        (b'[{"slug": "a"}, "b"]', "Item 2 of the list is not an object of fields."),
        (b"[]", "The file holds an empty list."),
    ],
)
def test_an_unreadable_json_file_is_refused(content, message):
    with pytest.raises(TabularError) as caught:
        read_rows(Actor, "json", content)
    assert str(caught.value) == message


def test_json_rows_are_documents_numbered_by_position():
    items = [{"slug": "a", "name": "Alpha"}, {"slug": "b", "founded": 1990}]
    rows = read_rows(Actor, "json", json.dumps(items).encode())
    assert [(row.number, row.document) for row in rows] == [(1, items[0]), (2, items[1])]


def test_the_format_comes_from_the_extension():
    assert format_of("Actors 2026.CSV") == "csv"
    assert format_of("actors.xlsx") == "xlsx"
    assert format_of("a.b.json") == "json"
    for name in ("actors.xls", "actors", "actors.csv.txt"):
        with pytest.raises(TabularError, match="is not a CSV, XLSX or JSON file"):
            format_of(name)


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("=1+1", True),
        ("+1 555", True),
        ("-x", True),
        ("@SUM(A1)", True),
        ("\tx", True),
        ("\rx", True),
        # Apostrophes before a formula are marked too, so that reading takes exactly one away.
        ("'=1", True),
        ("''@x", True),
        ("-12.5", False),
        ("-3", False),
        ("'5", False),
        ("'", False),
        ("", False),
        ("a=b", False),
    ],
)
def test_a_cell_is_marked_where_a_spreadsheet_would_run_it_and_reads_back(text, marked):
    written = spreadsheet_text(text)
    assert written == (f"'{text}" if marked else text)
    assert spreadsheet_value(written) == text


@pytest.mark.parametrize("depth", [33, 5000])
def test_a_json_file_nested_too_deep_is_refused_naming_the_limit(depth):
    content = b'[{"slug": "a", "name": ' + b"[" * depth + b"]" * depth + b"}]"
    with pytest.raises(TabularError, match="nested more than 32 levels deep"):
        read_rows(Actor, "json", content)


def zip_bomb(megabytes: int) -> bytes:
    """A workbook whose sheet unpacks to `megabytes` MB more than its content, from a few
    hundred KB."""
    packed = io.BytesIO(workbook_bytes(["slug", "name"], ["a", "Alpha"]))
    bomb = io.BytesIO()
    with zipfile.ZipFile(packed) as source, zipfile.ZipFile(bomb, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data += b" " * (megabytes * 1024 * 1024)
            target.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return bomb.getvalue()


def test_a_workbook_unpacking_beyond_the_limit_is_refused_before_it_is_read():
    content = zip_bomb(MAX_XLSX_UNPACKED_MEGABYTES + 1)
    assert len(content) < 200 * 1024
    with pytest.raises(TabularError) as caught:
        read_rows(Actor, "xlsx", content)
    assert f"more than the {MAX_XLSX_UNPACKED_MEGABYTES} MB a workbook may" in str(caught.value)
    assert len(read_rows(Actor, "xlsx", zip_bomb(1))) == 1


def test_a_sheet_wider_than_the_model_s_columns_is_refused_unread():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["slug", "name"])
    sheet.append(["a", "Alpha"])
    sheet.cell(row=3, column=16_384, value="far away")
    content = io.BytesIO()
    workbook.save(content)
    with pytest.raises(TabularError) as caught:
        read_rows(Actor, "xlsx", content.getvalue())
    assert str(caught.value) == (
        f"The sheet reaches column XFD, past the {len(columns(Actor))} columns of actors."
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_a_file_of_more_rows_than_the_limit_is_refused(file_format, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)

    def content(count: int) -> bytes:
        rows = [["slug", "name"], *([f"a{n}", f"A {n}"] for n in range(count))]
        if file_format == "csv":
            return csv_bytes(*(",".join(row) for row in rows))
        if file_format == "xlsx":
            return workbook_bytes(*rows)
        return json.dumps([{"slug": slug} for slug, _name in rows[1:]]).encode()

    with pytest.raises(TabularError) as caught:
        read_rows(Actor, file_format, content(4))
    assert str(caught.value) == "The file holds more than 3 rows: import it in parts."
    assert len(read_rows(Actor, file_format, content(3))) == 3
