"""Exports of records as rows: the columns of each model, written as CSV or JSON.

Relations are flattened to their names joined by "; " so a spreadsheet stays readable; the
`url` column leads back to the record's page.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator

from django.db import models
from django.http import HttpRequest, StreamingHttpResponse

from catalogue.models import Actor, Agreement, City, Course, Initiative

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


def columns_of(model: type[models.Model]) -> tuple[Column, ...]:
    return (*RECORD_COLUMNS, *COLUMNS[model], *TRAILING_COLUMNS)


def rows(request: HttpRequest, queryset: models.QuerySet) -> Iterator[dict[str, object]]:
    columns = columns_of(queryset.model)
    for record in queryset.iterator(chunk_size=500):
        row = {"url": request.build_absolute_uri(record.get_absolute_url())}
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
    request: HttpRequest, queryset: models.QuerySet, file_format: str, file_name: str
) -> StreamingHttpResponse:
    """The whole of `queryset` as a CSV or JSON download, streamed row by row."""
    records = rows(request, queryset)
    if file_format == "csv":
        header = ["url", *(name for name, _value in columns_of(queryset.model))]
        response = StreamingHttpResponse(
            csv_lines(records, header), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(json_chunks(records), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{file_name}.{file_format}"'
    return response
