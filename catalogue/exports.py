"""Exports of records and reference data as rows: the columns of each model, written as CSV or
JSON, streamed. The site's list pages and the API's CSV lists both export through here.

Relations are flattened to their names joined by "; " so a spreadsheet stays readable; a record's
`url` column leads back to its page. The database names a row's to-many relations in the rows' own
query (`RelatedNames`), so an export costs the same queries however many rows it holds.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from django.db import models
from django.db.models import Aggregate, Case, F, OuterRef, RowRange, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, Concat
from django.http import HttpRequest, StreamingHttpResponse

from catalogue.models import (
    SDG,
    Actor,
    Agreement,
    City,
    Country,
    Course,
    Initiative,
    Record,
    Source,
    Theme,
)

Column = tuple[str, Callable[[models.Model], object]]

NAME_SEPARATOR = "; "


class JoinedText(Aggregate):
    """Texts joined by `NAME_SEPARATOR`.

    Used as a plain aggregate it joins them in no promised order: SQLite takes an ORDER BY inside
    group_concat only from 3.44, and neither database promises to keep a subquery's order. Both
    read a window's frame in the window's order, though, so `RelatedNames` orders the names by
    using this over an ordered window.
    """

    function = "GROUP_CONCAT"
    output_field = models.TextField()

    def __init__(self, expression, **extra):
        super().__init__(expression, Value(NAME_SEPARATOR), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def display_name(model: type[models.Model]) -> models.Expression:
    """What `str()` gives for a record of `model`, computed by the database: its name, followed
    for an actor by its acronym (as `Actor.__str__`)."""
    if model is Actor:
        return Case(
            When(acronym="", then=F("name")),
            default=Concat("name", Value(" ("), "acronym", Value(")")),
            output_field=models.TextField(),
        )
    return F("name")


@dataclass(frozen=True)
class RelatedNames:
    """A column naming the records related through the to-many `relation`: published ones only
    when they are records (as a list's prefetch, `published_only`, has them), each once, in their
    model's order, joined by `NAME_SEPARATOR`.

    `annotation` computes it in the rows' own query, under `annotation_name`; the column reads it
    from there.
    """

    relation: str

    @property
    def annotation_name(self) -> str:
        return f"{self.relation}_names"

    def annotation(self, model: type[models.Model]) -> Coalesce:
        field = model._meta.get_field(self.relation)
        related_model = field.related_model
        related = related_model._default_manager.order_by()
        if issubclass(related_model, Record):
            related = related.published()
        # Choosing the related records among the ids their links hold, rather than joining the
        # links, names each one once however many links join them (an actor providing a course in
        # two roles).
        linked_ids = field.remote_field.through._default_manager.filter(
            **{field.m2m_field_name(): OuterRef(OuterRef("pk"))}
        ).values(field.m2m_reverse_field_name())
        # In order through an ordered window: see `JoinedText`.
        names = Window(
            JoinedText(display_name(related_model)),
            order_by=[*related_model._meta.ordering, "pk"],
            frame=RowRange(start=None, end=None),
        )
        # The frame is the whole window, so every row holds every name: the first one will do.
        first = related.filter(pk__in=linked_ids).annotate(names=names).values("names")[:1]
        return Coalesce(Subquery(first), Value(""), output_field=models.TextField())

    def __call__(self, record: models.Model) -> str:
        return getattr(record, self.annotation_name)


@dataclass(frozen=True)
class ChoiceLabel:
    """A column showing the label of a choice field's value, as `get_<field>_display()` does but
    from a table made once per model: Django's rebuilds it at every call, which took a fifth of an
    export's time."""

    field: str

    def __call__(self, record: models.Model) -> str:
        value = getattr(record, self.field)
        return choice_labels(type(record), self.field).get(value, value)


@cache
def choice_labels(model: type[models.Model], field: str) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


def partial(value) -> str:
    return value.iso if value else ""


RECORD_COLUMNS: tuple[Column, ...] = (
    ("slug", lambda r: r.slug),
    ("name", lambda r: r.name),
    ("summary", lambda r: r.summary),
)
TRAILING_COLUMNS: tuple[Column, ...] = (
    ("website", lambda r: r.website),
    ("wikidata_id", lambda r: r.wikidata_id),
    ("last_verified", lambda r: r.last_verified.isoformat() if r.last_verified else ""),
    ("updated_at", lambda r: r.updated_at.isoformat()),
)

COLUMNS: dict[type[models.Model], tuple[Column, ...]] = {
    Initiative: (
        ("kind", ChoiceLabel("kind")),
        ("status", ChoiceLabel("status")),
        ("level", ChoiceLabel("level")),
        ("start_year", lambda r: r.start_year or ""),
        ("end_year", lambda r: r.end_year or ""),
        ("cities", RelatedNames("cities")),
        ("themes", RelatedNames("themes")),
    ),
    Actor: (
        ("kind", ChoiceLabel("kind")),
        ("sector", lambda r: r.sector.label),
        ("acronym", lambda r: r.acronym),
        ("country", lambda r: r.country.name if r.country else ""),
        ("city", lambda r: r.city.name if r.city and r.city.is_published else ""),
        ("founded", lambda r: r.founded or ""),
    ),
    Course: (
        ("kind", ChoiceLabel("kind")),
        ("format", ChoiceLabel("format")),
        ("state", lambda r: r.state.label if r.state else ""),
        ("city", lambda r: r.city.name if r.city and r.city.is_published else ""),
        ("starts_on", lambda r: r.starts_on.isoformat() if r.starts_on else ""),
        ("ends_on", lambda r: r.ends_on.isoformat() if r.ends_on else ""),
        ("application_deadline", lambda r: r.application_deadline or ""),
        ("providers", RelatedNames("providers")),
    ),
    Agreement: (
        ("kind", ChoiceLabel("kind")),
        ("status", ChoiceLabel("status")),
        ("signed", lambda r: partial(r.signed)),
        ("in_force", lambda r: partial(r.in_force)),
        ("ended", lambda r: partial(r.ended)),
        ("parties", RelatedNames("parties")),
        ("cities", RelatedNames("cities")),
    ),
    City: (
        ("country", lambda r: r.country.name),
        ("latitude", lambda r: "" if r.latitude is None else r.latitude),
        ("longitude", lambda r: "" if r.longitude is None else r.longitude),
        ("strategy", ChoiceLabel("strategy")),
        ("approach", ChoiceLabel("approach")),
    ),
}


# Reference data has no page of its own, hence no `url` column.
REFERENCE_COLUMNS: dict[type[models.Model], tuple[Column, ...]] = {
    Theme: (
        ("slug", lambda r: r.slug),
        ("name", lambda r: r.name),
        ("description", lambda r: r.description),
    ),
    SDG: (
        ("number", lambda r: r.number),
        ("name", lambda r: r.name),
    ),
    Country: (
        ("code", lambda r: r.code),
        ("name", lambda r: r.name),
        ("numeric_code", lambda r: r.numeric_code),
        ("region", lambda r: r.region),
        ("sub_region", lambda r: r.sub_region),
    ),
    Source: (
        ("slug", lambda r: r.slug),
        ("title", lambda r: r.title),
        ("author", lambda r: r.author),
        ("publisher", lambda r: r.publisher),
        ("kind", ChoiceLabel("kind")),
        ("document_url", lambda r: r.url),
        ("published", lambda r: partial(r.published)),
        ("accessed_on", lambda r: r.accessed_on.isoformat() if r.accessed_on else ""),
        ("note", lambda r: r.note),
    ),
}
# Rows are read from the database this many at a time, so an export of any length holds one chunk
# in memory.
CHUNK_SIZE = 500


def has_pages(model: type[models.Model]) -> bool:
    return issubclass(model, Record)


def columns_of(model: type[models.Model]) -> tuple[Column, ...]:
    if has_pages(model):
        return (*RECORD_COLUMNS, *COLUMNS[model], *TRAILING_COLUMNS)
    return REFERENCE_COLUMNS[model]


def header_of(model: type[models.Model]) -> list[str]:
    names = [name for name, _value in columns_of(model)]
    return ["url", *names] if has_pages(model) else names


def loaded_for_rows(queryset: models.QuerySet) -> models.QuerySet:
    """The same rows, loading what their columns show and nothing else, whatever `queryset`
    loaded for another use: the records a list row shows through a to-one relation joined, and
    the names of its to-many relations (`RelatedNames`) computed, all in one query."""
    model = queryset.model
    if not has_pages(model):
        return queryset
    related_names = {
        value.annotation_name: value.annotation(model)
        for _name, value in columns_of(model)
        if isinstance(value, RelatedNames)
    }
    return (
        queryset.select_related(None)
        .prefetch_related(None)
        .select_related(*model.list_select_related)
        .annotate(**related_names)
    )


def rows(request: HttpRequest, queryset: models.QuerySet) -> Iterator[dict[str, object]]:
    columns = columns_of(queryset.model)
    with_url = has_pages(queryset.model)
    for record in loaded_for_rows(queryset).iterator(chunk_size=CHUNK_SIZE):
        row = {"url": request.build_absolute_uri(record.get_absolute_url())} if with_url else {}
        row.update((name, value(record)) for name, value in columns)
        yield row


class Echo:
    """A file-like object that hands back what is written, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def csv_lines(records: Iterable[dict[str, object]], header: list[str]) -> Iterator[str]:
    writer = csv.DictWriter(Echo(), fieldnames=header)
    yield writer.writeheader()
    for record in records:
        yield writer.writerow(record)


def json_chunks(records: Iterable[dict[str, object]]) -> Iterator[str]:
    yield "["
    for index, record in enumerate(records):
        yield ("," if index else "") + "\n" + json.dumps(record, ensure_ascii=False, default=str)
    yield "\n]\n"


def export_response(
    request: HttpRequest, queryset: models.QuerySet, file_format: str, file_name: str = ""
) -> StreamingHttpResponse:
    """The whole of `queryset` as a CSV or JSON download, streamed row by row, named
    `file_name` or else after the model ("initiatives.csv")."""
    records = rows(request, queryset)
    file_name = file_name or queryset.model._meta.verbose_name_plural.replace(" ", "-")
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_lines(records, header_of(queryset.model)), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(json_chunks(records), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{file_name}.{file_format}"'
    return response
