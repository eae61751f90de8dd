"""Exports of records and reference data as rows: the columns of each model, written as CSV or
JSON, streamed. The site's list pages and the API's CSV lists both export through here.

Relations are flattened to their names joined by "; " so a spreadsheet stays readable; a record's
`url` column leads back to its page.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator

from django.db import models
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


def names(related) -> str:
    return "; ".join(str(record) for record in related.all())


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
        ("kind", lambda r: r.get_kind_display()),
        ("status", lambda r: r.get_status_display()),
        ("level", lambda r: r.get_level_display()),
        ("start_year", lambda r: r.start_year or ""),
        ("end_year", lambda r: r.end_year or ""),
        ("cities", lambda r: names(r.cities)),
        ("themes", lambda r: names(r.themes)),
    ),
    Actor: (
        ("kind", lambda r: r.get_kind_display()),
        ("sector", lambda r: r.sector.label),
        ("acronym", lambda r: r.acronym),
        ("country", lambda r: r.country.name if r.country else ""),
        ("city", lambda r: r.city.name if r.city and r.city.is_published else ""),
        ("founded", lambda r: r.founded or ""),
    ),
    Course: (
        ("kind", lambda r: r.get_kind_display()),
        ("format", lambda r: r.get_format_display()),
        ("state", lambda r: r.state.label if r.state else ""),
        ("city", lambda r: r.city.name if r.city and r.city.is_published else ""),
        ("starts_on", lambda r: r.starts_on.isoformat() if r.starts_on else ""),
        ("ends_on", lambda r: r.ends_on.isoformat() if r.ends_on else ""),
        ("application_deadline", lambda r: r.application_deadline or ""),
        ("providers", lambda r: names(r.providers)),
    ),
    Agreement: (
        ("kind", lambda r: r.get_kind_display()),
        ("status", lambda r: r.get_status_display()),
        ("signed", lambda r: partial(r.signed)),
        ("in_force", lambda r: partial(r.in_force)),
        ("ended", lambda r: partial(r.ended)),
        ("parties", lambda r: names(r.parties)),
        ("cities", lambda r: names(r.cities)),
    ),
    City: (
        ("country", lambda r: r.country.name),
        ("latitude", lambda r: "" if r.latitude is None else r.latitude),
        ("longitude", lambda r: "" if r.longitude is None else r.longitude),
        ("strategy", lambda r: r.get_strategy_display()),
        ("approach", lambda r: r.get_approach_display()),
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
        ("kind", lambda r: r.get_kind_display()),
        ("document_url", lambda r: r.url),
        ("published", lambda r: partial(r.published)),
        ("accessed_on", lambda r: r.accessed_on.isoformat() if r.accessed_on else ""),
        ("note", lambda r: r.note),
    ),
}
# Rows are read from the database this many at a time, with their relations, so an export of any
# length holds one chunk in memory.
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
    """The same rows, loading what their columns show (a list row's relations) and nothing
    else, whatever `queryset` loaded for another use."""
    if has_pages(queryset.model):
        return queryset.select_related(None).prefetch_related(None).for_list()
    return queryset


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
