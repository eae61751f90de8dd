"""Exports of records and reference data as rows: the columns of each model, written as CSV or
JSON, streamed. The site's list pages and the API's CSV lists both export through here.

Relations are flattened to their names joined by "; " so a spreadsheet stays readable; a record's
`url` column leads back to its page. An export is given the ids of its records in their order
(a list's, from the list index); it writes them into a temporary table with their positions, and
reads every row in one query and each to-many column in one query more, all in that order, so
that an export costs the same queries however many rows it holds, and the rows stream through
without the whole export ever being held in memory.
"""

import csv
import datetime
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, models, router
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from catalogue.addresses import Addresses
from catalogue.models import (
    SDG,
    Actor,
    Agreement,
    City,
    Country,
    Course,
    Initiative,
    Publication,
    Record,
    Source,
    Theme,
)
from catalogue.models.actors import SECTOR_OF_KIND, ActorKind
from catalogue.models.base import choice_labels
from catalogue.models.courses import course_state
from catalogue.partial_dates import DatePrecision, PartialDate

NAME_SEPARATOR = "; "
# Rows are read from the database, and written out, this many at a time: an export of any
# length holds one batch in memory.
CHUNK_SIZE = 1000
# A spreadsheet runs a cell beginning with one of these as a formula (OWASP, "CSV Injection"):
# such text is written with a leading apostrophe, the spreadsheets' own mark of text. So is text
# already beginning with apostrophes before one of them, so that reading takes exactly one away.
FORMULA_CHARACTERS = "=+-@\t\r"
FORMULA = re.compile(f"'*[{re.escape(FORMULA_CHARACTERS)}]")
NEUTRALISED = re.compile(f"'+[{re.escape(FORMULA_CHARACTERS)}]")
FORMULA_STARTS = frozenset("'" + FORMULA_CHARACTERS)
NUMBER = re.compile(r"-?\d+(\.\d+)?")
# Rows fetched from the database at a time.
READ_SIZE = 5000


def plain(value):
    """A value as a row gives it: nothing as "", a date or time in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# A column reads a row's values through a function made once per export from where each of its
# paths stands in the row (`at`): an export calls it for every cell.
Reader = Callable[[tuple], object]


@dataclass(frozen=True)
class Field:
    """A value of the record, or of a record it points to (`country__name`)."""

    path: str

    def paths(self) -> tuple[str, ...]:
        return (self.path,)

    def reader(self, model, at: dict[str, int]) -> Reader:
        index = at[self.path]
        return lambda row: plain(row[index])


@dataclass(frozen=True)
class Label(Field):
    """The label of a choice field's value."""

    def reader(self, model, at: dict[str, int]) -> Reader:
        index, labels = at[self.path], choice_labels(model._meta.get_field(self.path).flatchoices)
        return lambda row: labels.get(row[index], row[index])


@dataclass(frozen=True)
class PublishedName(Field):
    """The name of the record the foreign key `path` points to, when it is published."""

    def paths(self) -> tuple[str, ...]:
        return (f"{self.path}__name", f"{self.path}__publication")

    def reader(self, model, at: dict[str, int]) -> Reader:
        name, publication = at[f"{self.path}__name"], at[f"{self.path}__publication"]
        return lambda row: row[name] if row[publication] == Publication.PUBLISHED else ""


@dataclass(frozen=True)
class Partial(Field):
    """A partial date as ISO 8601 at its precision ("2019", "2022-07")."""

    def paths(self) -> tuple[str, ...]:
        return (self.path, f"{self.path}_precision")

    def reader(self, model, at: dict[str, int]) -> Reader:
        day, precision = at[self.path], at[f"{self.path}_precision"]

        def read(row):
            if not (row[day] and row[precision]):
                return ""
            return PartialDate(row[day], DatePrecision(row[precision])).iso

        return read


@dataclass(frozen=True)
class Derived:
    """A value computed from `inputs`, the record's own fields."""

    inputs: tuple[str, ...]
    compute: Callable[..., object]

    def paths(self) -> tuple[str, ...]:
        return self.inputs

    def reader(self, model, at: dict[str, int]) -> Reader:
        indexes, compute = [at[name] for name in self.inputs], self.compute
        return lambda row: compute(*(row[index] for index in indexes))


@dataclass(frozen=True)
class Names:
    """The records related through the to-many `relation`, by name: published ones only when
    they are records, each once, in their model's order, joined by `NAME_SEPARATOR`. A record is
    named with its acronym, as it reads everywhere. Read from a query of their own as the rows
    go by (`NamesInOrder`)."""

    relation: str

    def paths(self) -> tuple[str, ...]:
        return ()


Column = tuple[str, Field | Derived | Names]

RECORD_COLUMNS: tuple[Column, ...] = (
    ("slug", Field("slug")),
    ("name", Field("name")),
    ("acronym", Field("acronym")),
    ("alternative_names", Field("alternative_names")),
    ("summary", Field("summary")),
)
TRAILING_COLUMNS: tuple[Column, ...] = (
    ("website", Field("website")),
    ("wikidata_id", Field("wikidata_id")),
    ("last_verified", Field("last_verified")),
    ("updated_at", Field("updated_at")),
)


def sector_label(kind: str) -> str:
    return SECTOR_OF_KIND[ActorKind(kind)].label


def state_label(starts_on, ends_on, application_deadline) -> str:
    state = course_state(starts_on, ends_on, application_deadline, timezone.localdate())
    return state.label if state else ""


COLUMNS: dict[type[models.Model], tuple[Column, ...]] = {
    Initiative: (
        ("kind", Label("kind")),
        ("status", Label("status")),
        ("status_as_of", Field("status_as_of")),
        ("level", Label("level")),
        ("start_year", Field("start_year")),
        ("end_year", Field("end_year")),
        ("cities", Names("cities")),
        ("themes", Names("themes")),
    ),
    Actor: (
        ("kind", Label("kind")),
        ("sector", Derived(("kind",), sector_label)),
        ("country", Field("country__name")),
        ("city", PublishedName("city")),
        ("founded", Field("founded")),
    ),
    Course: (
        ("kind", Label("kind")),
        ("format", Label("format")),
        ("state", Derived(("starts_on", "ends_on", "application_deadline"), state_label)),
        ("city", PublishedName("city")),
        ("starts_on", Field("starts_on")),
        ("ends_on", Field("ends_on")),
        ("application_deadline", Field("application_deadline")),
        ("providers", Names("providers")),
    ),
    Agreement: (
        ("kind", Label("kind")),
        ("status", Label("status")),
        ("status_as_of", Field("status_as_of")),
        ("signed", Partial("signed_on")),
        ("in_force", Partial("in_force_on")),
        ("ended", Partial("ended_on")),
        ("parties", Names("parties")),
        ("cities", Names("cities")),
    ),
    City: (
        ("country", Field("country__name")),
        ("latitude", Field("latitude")),
        ("longitude", Field("longitude")),
        ("strategy", Label("strategy")),
        ("approach", Label("approach")),
    ),
}


# Reference data has no page of its own, hence no `url` column.
REFERENCE_COLUMNS: dict[type[models.Model], tuple[Column, ...]] = {
    Theme: (
        ("slug", Field("slug")),
        ("name", Field("name")),
        ("description", Field("description")),
    ),
    SDG: (
        ("number", Field("number")),
        ("name", Field("name")),
    ),
    Country: (
        ("code", Field("code")),
        ("name", Field("name")),
        ("numeric_code", Field("numeric_code")),
        ("region", Field("region")),
        ("sub_region", Field("sub_region")),
    ),
    Source: (
        ("slug", Field("slug")),
        ("title", Field("title")),
        ("author", Field("author")),
        ("publisher", Field("publisher")),
        ("kind", Label("kind")),
        ("document_url", Field("url")),
        ("published", Partial("published_on")),
        ("accessed_on", Field("accessed_on")),
        ("note", Field("note")),
    ),
}


def has_pages(model: type[models.Model]) -> bool:
    return issubclass(model, Record)


def columns_of(model: type[models.Model]) -> tuple[Column, ...]:
    if has_pages(model):
        return (*RECORD_COLUMNS, *COLUMNS[model], *TRAILING_COLUMNS)
    return REFERENCE_COLUMNS[model]


def header_of(model: type[models.Model]) -> list[str]:
    names = [name for name, _value in columns_of(model)]
    return ["url", *names] if has_pages(model) else names


def chosen_table(model: type[models.Model]) -> str:
    return f"catalogue_export_{model._meta.model_name}"


@contextmanager
def chosen(model: type[models.Model], ids: list, using: str) -> Iterator[None]:
    """The ids (keys) of `model`'s records, with their positions, in a temporary table of the
    connection while the block runs: what the export's queries select and order by."""
    connection = connections[using]
    table = chosen_table(model)
    key_type = model._meta.pk.rel_db_type(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} "
            f"(id {key_type} PRIMARY KEY, position integer NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} (id, position) FROM STDIN") as copy:
                for position, pk in enumerate(ids):
                    copy.write_row((pk, position))
        else:
            # One statement given the ids as a JSON array, which SQLite reads itself: inserted
            # one by one through the driver, 100,000 took most of a second.
            cursor.execute(
                f"INSERT INTO {table} (id, position) SELECT value, key FROM json_each(%s)",
                [json.dumps(list(ids))],
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")


def in_chosen_order(
    queryset: models.QuerySet, model: type[models.Model], using: str, *, then: int = 0
) -> Iterator[tuple]:
    """The rows of `queryset`, a values_list whose first column is a key of `model`, for the
    chosen keys: each led by its key's position, in that order (then by its next `then`
    columns), read a batch at a time (on PostgreSQL through a cursor on the server)."""
    compiler = queryset.order_by().query.get_compiler(using)
    sql, params = compiler.as_sql()
    width = compiler.col_count
    converters = compiler.get_converters([column[0] for column in compiler.select[:width]])
    columns = [f"c{number}" for number in range(width)]
    order = ", ".join(["chosen.position", *(f"found.{name}" for name in columns[1 : 1 + then])])
    statement = (
        f"WITH found ({', '.join(columns)}) AS ({sql}) "
        f"SELECT chosen.position, found.* FROM {chosen_table(model)} AS chosen "
        f"JOIN found ON found.c0 = chosen.id ORDER BY {order}"
    )
    with connections[using].chunked_cursor() as cursor:
        cursor.execute(statement, params)
        while batch := cursor.fetchmany(READ_SIZE):
            if converters:
                values = compiler.apply_converters([row[1:] for row in batch], converters)
                batch = [(row[0], *converted) for row, converted in zip(batch, values, strict=True)]
            yield from batch


def related_names(model: type[models.Model], relation: str, using: str) -> Iterator[tuple]:
    """(position, record id, order, id, name, acronym) of each chosen record's related records
    through the to-many `relation`, published ones only when they are records, in the chosen
    order and then their own."""
    field = model._meta.get_field(relation)
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    related = field.related_model
    links = through._default_manager.db_manager(using).all()
    if issubclass(related, Record):
        links = links.filter(**{f"{target}__publication": Publication.PUBLISHED})
    acronym = f"{target}__acronym" if issubclass(related, Record) else f"{target}__name"
    (order,) = related._meta.ordering
    columns = (f"{source}_id", f"{target}__{order}", f"{target}__pk", f"{target}__name", acronym)
    return in_chosen_order(links.values_list(*columns).distinct(), model, using, then=2)


def display(model: type[models.Model], name: str, acronym: str) -> str:
    return f"{name} ({acronym})" if issubclass(model, Record) and acronym else name


def rows(origin: str, model: type[models.Model], ids: list, *, using: str) -> Iterator[list]:
    """The export rows of the records of `model` with `ids`, in their order, as lists in the
    order of `header_of(model)`; record addresses start with `origin`."""
    columns = columns_of(model)
    paths = list(dict.fromkeys(path for _name, value in columns for path in value.paths()))
    # A row read is (position, id, *paths).
    at = {path: index for index, path in enumerate(paths, start=2)}
    addresses = Addresses(origin)
    page = f"catalogue:{model._meta.model_name}-detail"
    with chosen(model, ids, using):
        readers = [
            NamesInOrder(model, value.relation, using).of
            if isinstance(value, Names)
            else value.reader(model, at)
            for _name, value in columns
        ]
        records = model._default_manager.db_manager(using).values_list("pk", *paths)
        for row in in_chosen_order(records, model, using):
            cells = [read(row) for read in readers]
            yield [addresses.of(page, row[at["slug"]]), *cells] if has_pages(model) else cells


class NamesInOrder:
    """The joined names of the chosen records' related records through `relation`, read as the
    rows go by: both come in the chosen order."""

    def __init__(self, model: type[models.Model], relation: str, using: str):
        self.related = model._meta.get_field(relation).related_model
        self.links = related_names(model, relation, using)
        self.next = next(self.links, None)

    def of(self, row: tuple) -> str:
        """The names of the record of `row` (its position first)."""
        position = row[0]
        found = []
        while self.next is not None and self.next[0] <= position:
            linked_position, _owner, _order, _pk, name, acronym = self.next
            if linked_position == position:
                found.append(display(self.related, name, acronym))
            self.next = next(self.links, None)
        return NAME_SEPARATOR.join(found)


def spreadsheet_text(value):
    """`value` as a spreadsheet cell holds it: text a spreadsheet would run as a formula begins
    with an apostrophe (a number, "-12.5", is no formula)."""
    if isinstance(value, str) and FORMULA.match(value) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_row(values: list) -> list:
    # Most cells begin otherwise: only those that may be formulas are looked at closely.
    return [
        spreadsheet_text(value) if value.__class__ is str and value[:1] in FORMULA_STARTS else value
        for value in values
    ]


def spreadsheet_value(text: str) -> str:
    """The value of a cell `spreadsheet_text` wrote: one apostrophe fewer before a formula's
    first character."""
    return text[1:] if NEUTRALISED.match(text) else text


def csv_lines(records: Iterable[list], header: list[str]) -> Iterator[str]:
    """The lines of a CSV file of `records` (each a list of values in the order of `header`),
    header first, a batch of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for number, record in enumerate(records, start=1):
        writer.writerow(spreadsheet_row(record))
        if number % CHUNK_SIZE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(records: Iterable[dict[str, object]]) -> Iterator[str]:
    """A JSON list of `records`, a batch of them at a time."""
    batch = ["["]
    for index, record in enumerate(records):
        batch.append(
            ("," if index else "") + "\n" + json.dumps(record, ensure_ascii=False, default=str)
        )
        if len(batch) >= CHUNK_SIZE:
            yield "".join(batch)
            batch = []
    batch.append("\n]\n")
    yield "".join(batch)


def export_response(
    request: HttpRequest,
    model: type[models.Model],
    ids: list[int],
    file_format: str,
    file_name: str = "",
) -> StreamingHttpResponse:
    """The records of `model` with `ids`, in their order, as a CSV or JSON download, streamed,
    named `file_name` or else after the model ("initiatives.csv"). Read from the primary
    database even for a request that reads a replica (sciplo/replica.py): the export's
    temporary table is a write, which a replica in hot standby refuses."""
    origin = request.build_absolute_uri("/").removesuffix("/")
    records = rows(origin, model, ids, using=router.db_for_write(model))
    header = header_of(model)
    file_name = file_name or model._meta.verbose_name_plural.replace(" ", "-")
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_lines(records, header), content_type="text/csv; charset=utf-8"
        )
    else:
        objects = (dict(zip(header, record, strict=True)) for record in records)
        response = StreamingHttpResponse(json_chunks(objects), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{file_name}.{file_format}"'
    return response
