"""Documents (`catalogue.documents`) as files: CSV and XLSX rows, or a JSON list.

A JSON file is a list of documents exactly as `documents.documents()` gives them. A CSV or XLSX
file has one row per document under a header row naming its columns, which are the document's
keys. A cell holds the key's value as text:

- nothing for an empty value (None, or an empty text);
- "true" or "false" for a yes/no field, a number in decimal digits, a date as ISO 8601 at its
  precision ("2022", "2022-07", "2022-07-15");
- a related record by its natural key (a slug, a country code, an SDG number), and a
  many-to-many field as its keys joined by "; " (`LIST_SEPARATOR`);
- a link relation (participations, party_links, provisions, citations) as one line per row,
  the row's fields joined by " | " (`FIELD_SEPARATOR`) in the order `link_columns()` gives:
  participations "actor | role | start_year | end_year", citations "source | locator";
- text a spreadsheet would run as a formula (beginning with "=", "+", "-", "@", a tab or a
  carriage return; a number is none) after an apostrophe, which reading takes away again
  (`catalogue.exports.spreadsheet_text`), in every CSV and XLSX export alike.

`flatten()` and `unflatten()` are each other's inverse, so a file exported here imports back to
the same documents.
"""

import csv
import datetime
import io
import itertools
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from catalogue import jsontext
from catalogue.documents import (
    Document,
    DocumentInvalid,
    link_relation,
    link_relations_of,
    natural_key_field,
    own_fields,
)
from catalogue.exports import csv_lines, json_chunks, spreadsheet_text, spreadsheet_value
from catalogue.models.text import printable

FORMATS = ("csv", "xlsx", "json")
LIST_SEPARATOR = "; "
FIELD_SEPARATOR = " | "
BOOLEAN_OF_TEXT = {"true": True, "false": False, "1": True, "0": False}
NUMBER_FIELDS = (models.IntegerField, models.FloatField)
# What one file may hold: rows (JSON: items), and for XLSX, whose parts are compressed, how
# large they may be once unpacked, so that a small file cannot unpack into a huge one.
MAX_ROWS = 100_000
MAX_XLSX_UNPACKED_MEGABYTES = 40


class TabularError(ValueError):
    """A file that cannot be read as rows at all: its message says where (row and column)."""


@dataclass
class Row:
    """One row of an imported file: its number in the file (for CSV and XLSX as a spreadsheet
    shows it, the header being row 1; for JSON its position in the list, from 1), the document
    it holds, and what is wrong with its cells (by column) if they could not be read."""

    number: int
    document: Document
    errors: dict[str, list[str]] = field(default_factory=dict)


def format_of(file_name: str) -> str:
    """The format a file's name announces by its extension, or `TabularError`."""
    extension = file_name.rpartition(".")[2].lower() if "." in file_name else ""
    if extension not in FORMATS:
        raise TabularError(
            f'"{file_name}" is not a CSV, XLSX or JSON file: its name must end in .csv, .xlsx '
            "or .json."
        )
    return extension


def columns(model: type[models.Model]) -> list[str]:
    """The columns of `model`'s rows: its documents' keys, in their order."""
    return [f.name for f in own_fields(model)] + list(link_relations_of(model))


def link_columns(model: type[models.Model], name: str) -> list[models.Field]:
    """The fields of a row of link relation `name`, in the order its cell lines give them."""
    rel = link_relation(model, name)
    return own_fields(rel.related_model, rel.field.name)


def flatten(model: type[models.Model], document: Document) -> dict[str, str]:
    """`document` as a row of cells, one per key."""
    relations = link_relations_of(model)
    row = {}
    for key, value in document.items():
        if key in relations:
            fields = link_columns(model, key)
            row[key] = "\n".join(
                FIELD_SEPARATOR.join(cell_text(link_row.get(f.name)) for f in fields)
                for link_row in value
            )
        elif isinstance(value, list):
            row[key] = LIST_SEPARATOR.join(cell_text(item) for item in value)
        else:
            row[key] = cell_text(value)
    return row


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unflatten(model: type[models.Model], row: dict[str, str]) -> Document:
    """The document a row of cells holds; raises `DocumentInvalid` naming every column whose
    cell cannot be read. A column the row lacks stays out of the document."""
    fields = {f.name: f for f in own_fields(model)}
    relations = link_relations_of(model)
    document: Document = {}
    errors: dict[str, list[str]] = {}
    for key, text in row.items():
        try:
            if key in relations:
                document[key] = link_rows(model, key, text)
            elif key not in fields:
                raise DocumentInvalid({key: ["Sciplo has no such field."]})
            elif fields[key].many_to_many:
                document[key] = [
                    key_value(fields[key].related_model, item.strip())
                    for item in text.split(LIST_SEPARATOR.strip())
                    if item.strip()
                ]
            elif not keeps_value(fields[key], text):
                document[key] = cell_value(fields[key], text)
        except DocumentInvalid as error:
            for messages in error.messages_by_field.values():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise DocumentInvalid(errors)
    return document


def keeps_value(field: models.Field, text: str) -> bool:
    """Whether an empty cell leaves `field` as it is: a field that cannot be empty but has a
    default (a record's publication, its creation time) keeps its value, or takes the default."""
    return text == "" and not field.blank and field.has_default()


def cell_value(field: models.Field, text: str) -> Any:
    """The document value of `field` that the text of its cell gives."""
    if text == "":
        return None if field.null or not field.empty_strings_allowed else ""
    if field.many_to_one:
        return key_value(field.related_model, text)
    if isinstance(field, models.BooleanField):
        if text.lower() not in BOOLEAN_OF_TEXT:
            raise DocumentInvalid({field.name: [f'"{text}" is neither true nor false.']})
        return BOOLEAN_OF_TEXT[text.lower()]
    if isinstance(field, NUMBER_FIELDS):
        try:
            return field.to_python(text)
        except ValidationError as error:
            raise DocumentInvalid({field.name: error.messages}) from None
    return text


def key_value(model: type[models.Model], text: str) -> Any:
    """A natural key of `model` (an SDG's number is a number) from its text."""
    return cell_value(model._meta.get_field(natural_key_field(model)), text)


def link_rows(model: type[models.Model], name: str, text: str) -> list[Document]:
    fields = link_columns(model, name)
    rows, messages = [], []
    lines = [line for line in text.splitlines() if line.strip()]
    for position, line in enumerate(lines, start=1):
        # The last field (a citation's locator) may itself hold the separator.
        parts = [part.strip() for part in line.split(FIELD_SEPARATOR.strip(), len(fields) - 1)]
        parts += [""] * (len(fields) - len(parts))
        link_row = {}
        for link_field, part in zip(fields, parts, strict=True):
            try:
                if not keeps_value(link_field, part):
                    link_row[link_field.name] = cell_value(link_field, part)
            except DocumentInvalid as error:
                messages.extend(
                    f"row {position}: {link_field.name}: {message}"
                    for texts in error.messages_by_field.values()
                    for message in texts
                )
        rows.append(link_row)
    if messages:
        raise DocumentInvalid({name: messages})
    return rows


def csv_export(model: type[models.Model], documents: Iterable[Document]) -> Iterator[str]:
    """The lines of a CSV file of `documents`, header first."""
    header = columns(model)
    flattened = (flatten(model, document) for document in documents)
    return csv_lines(([row.get(name, "") for name in header] for row in flattened), header)


def json_export(documents: Iterable[Document]) -> Iterator[str]:
    """The chunks of a JSON list of `documents`."""
    return json_chunks(documents)


def xlsx_export(model: type[models.Model], documents: Iterable[Document]) -> bytes:
    """An XLSX workbook of `documents`: one sheet, header first, every cell text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(model._meta.verbose_name_plural)[:31])
    header = columns(model)
    sheet.append(header)
    for document in documents:
        row = flatten(model, document)
        sheet.append([text_cell(sheet, row.get(name, "")) for name in header])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def text_cell(sheet, text: str) -> WriteOnlyCell:
    # Typed as text, and marked as CSV's cells are: a spreadsheet that retypes it (a curator
    # editing the cell) still never runs it as a formula.
    cell = WriteOnlyCell(sheet, value=spreadsheet_text(printable(text)))
    cell.data_type = "s"
    return cell


def read_rows(model: type[models.Model], file_format: str, content: bytes) -> list[Row]:
    """The rows of a file in `file_format`; raises `TabularError` if the file cannot be read
    as rows of `model` (a cell that cannot be read is an error of its row)."""
    if file_format == "json":
        return json_rows(content)
    # A column past the model's own is an error, so no more are ever read.
    width = len(columns(model)) + 1
    if file_format == "csv":
        lines = csv_cells(content)
    else:
        lines = xlsx_cells(content, width, model._meta.verbose_name_plural)
    header = read_header(model, next(lines, None))
    rows = []
    for number, cells in enumerate(lines, start=2):
        if not any(cells):
            continue
        if len(rows) == MAX_ROWS:
            raise too_many_rows()
        if any(cells[len(header) :]):
            raise TabularError(
                f"Row {number}, column {get_column_letter(len(header) + 1)}: a value under no "
                f"column (the header names {len(header)} columns)."
            )
        cells = [spreadsheet_value(cell) for cell in cells[: len(header)]]
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells, strict=True))
        try:
            rows.append(Row(number, unflatten(model, row)))
        except DocumentInvalid as error:
            # Its text fields that name it, so that a list of errors can say which record.
            names = {key: row[key] for key in ("slug", "name", "title") if key in row}
            rows.append(Row(number, names, error.messages_by_field))
    if not rows:
        raise TabularError("The file holds no rows under its header.")
    return rows


def read_header(model: type[models.Model], cells: list[str] | None) -> list[str]:
    header = [cell.strip() for cell in cells or []]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise TabularError("Row 1 must name the columns, but it is empty.")
    known = columns(model)
    for position, name in enumerate(header, start=1):
        if not name:
            raise TabularError(f"Row 1, column {get_column_letter(position)} has no name.")
        if name not in known:
            raise TabularError(
                f'Row 1, column {get_column_letter(position)}: "{name}" is not a column of '
                f"{model._meta.verbose_name_plural}; the columns are {', '.join(known)}."
            )
        if header.index(name) < position - 1:
            raise TabularError(
                f'Row 1, column {get_column_letter(position)}: "{name}" is named twice.'
            )
    if natural_key_field(model) not in header:
        raise TabularError(
            f'Row 1 has no "{natural_key_field(model)}" column, by which rows are matched to '
            f"{model._meta.verbose_name_plural}."
        )
    return header


def decoded(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TabularError(
            f"The file is not UTF-8 text (byte {error.start + 1}); save it as UTF-8."
        ) from None


def csv_cells(content: bytes) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(decoded(content), newline=""), strict=True)
    for number in itertools.count(1):
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise TabularError(f"Row {number} is not valid CSV: {error}.") from None


def xlsx_cells(content: bytes, width: int, model_name: str) -> Iterator[list[str]]:
    """The first sheet's rows, each of at most `width` cells; a sheet that says it is wider
    (`model_name`'s columns and one more) is refused."""
    try:
        check_unpacked_size(content)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except TabularError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise TabularError("The file is not an XLSX workbook.") from None
    try:
        sheet = workbook.worksheets[0]
        if (sheet.max_column or 0) > width:
            raise TabularError(
                f"The sheet reaches column {get_column_letter(sheet.max_column)}, past the "
                f"{width - 1} columns of {model_name}."
            )
        for values in sheet.iter_rows(max_col=width, values_only=True):
            yield [xlsx_text(value) for value in values]
    finally:
        workbook.close()


def check_unpacked_size(content: bytes) -> None:
    """Refuses a workbook whose parts unpack to more than `MAX_XLSX_UNPACKED_MEGABYTES`; the
    sizes a zip file declares bound what reading it unpacks."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_XLSX_UNPACKED_MEGABYTES * 1024 * 1024:
        raise TabularError(
            f"The workbook unpacks to {unpacked / 1024 / 1024:,.0f} MB, more than the "
            f"{MAX_XLSX_UNPACKED_MEGABYTES} MB a workbook may: import it in parts."
        )


def too_many_rows() -> TabularError:
    return TabularError(f"The file holds more than {MAX_ROWS:,} rows: import it in parts.")


def xlsx_text(value: Any) -> str:
    """A cell's value as the text a CSV cell would hold, whatever type a spreadsheet gave it."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return cell_text(value)


def json_rows(content: bytes) -> list[Row]:
    try:
        items = jsontext.loads(decoded(content))
    except json.JSONDecodeError as error:
        raise TabularError(
            f"The file is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except jsontext.NestedTooDeep as error:
        raise TabularError(str(error)) from None
    if not isinstance(items, list):
        raise TabularError("The file must hold a JSON list of documents.")
    if len(items) > MAX_ROWS:
        raise too_many_rows()
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise TabularError(f"Item {position} of the list is not an object of fields.")
    if not items:
        raise TabularError("The file holds an empty list.")
    return [Row(position, item) for position, item in enumerate(items, start=1)]
