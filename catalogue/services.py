"""Writes of a record together with its relations, shared by every way of writing the catalogue.

Each function validates with the models' own `full_clean()`, so a caller gets the messages admin
shows, and saves in one transaction: a write happens whole or not at all.
"""

import re
from collections.abc import Mapping, Sequence, Sized
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.urls.converters import SlugConverter

from catalogue.constraints import broken_checks, merged
from catalogue.models import Record

# A many-to-many field's new objects, or a relation's new link rows as their field values.
Relations = Mapping[str, Sequence[models.Model] | Sequence[Mapping[str, Any]]]
RowErrors = dict[str, list[ValidationError | None]]

# What a natural key is: a slug, a country's code (an SDG's is its number).
KEY = re.compile(SlugConverter.regex)

# How many related records, or link rows, one relation of a record holds at most: far more than
# the largest network the catalogue describes, few enough that a write stays a short one.
MAX_RELATED = 500


class RecordInvalid(ValidationError):
    """What is wrong with a record and its link rows.

    Django's `ValidationError` merges the errors it is given in a list, so the link rows' errors
    are also kept row by row in `rows` (a relation's name → its rows' errors in the order given,
    None for a good row), for a caller that shows each error beside its row.
    """

    def __init__(self, errors: dict[str, list[ValidationError]], rows: RowErrors):
        merged = {
            name: [error for error in row_errors if error]
            for name, row_errors in rows.items()
            if any(row_errors)
        }
        super().__init__({**errors, **merged})
        self.rows = rows


@transaction.atomic
def record_save(*, record: Record, relations: Relations) -> Record:
    """Saves `record` and the relations in `relations`, each replacing what the record had.

    `relations` maps a many-to-many field (`cities`) to the objects it now holds, or a relation of
    link rows (`participations`, `party_links`, `provisions`, `citations`) to the field values
    of its rows; a relation left out is kept. Raises `RecordInvalid` and saves nothing if the
    record or a row breaks a rule. The record's kind may complete the relations first
    (`Record.completed_relations`).
    """
    if isinstance(record, Record):  # a source, also written here, has no rules of relations
        relations = record.completed_relations(relations)
    too_many = {}
    for name, objects in relations.items():
        try:
            check_related_count(objects)
        except ValidationError as error:
            too_many[name] = [error]
    if too_many:
        raise RecordInvalid(too_many, {})
    opts = record._meta
    links = {name: opts.get_field(name) for name in relations if opts.get_field(name).one_to_many}
    new_rows = {
        name: [
            link.related_model(**{link.field.name: record}, **values) for values in relations[name]
        ]
        for name, link in links.items()
    }
    try:
        record.full_clean()
    except ValidationError as error:
        errors = error.error_dict
    else:
        errors = {}
    # The record's old rows all go, so a row's unique rules are judged against the rows before
    # it; its other rules that involve the record (an actor is a party once) wait for the
    # record. The records a row points at were looked up by the caller, and are not again; the
    # rows' check constraints are judged in one query.
    row_errors = {}
    for name, rows in new_rows.items():
        owner = links[name].field.name
        field_errors = [row_field_errors(row, exclude=[owner]) for row in rows]
        excludes = [{owner, *getattr(error, "error_dict", ())} for error in field_errors]
        row_errors[name] = [
            merged(errors)
            for errors in zip(
                field_errors,
                broken_checks(rows, excludes),
                repeated_rows(rows, owner),
                strict=True,
            )
        ]
    if errors or has_errors(row_errors):
        raise RecordInvalid(errors, row_errors)

    record.save()
    for name, objects in relations.items():
        if name not in links:
            getattr(record, name).set(objects)
    for name, rows in new_rows.items():
        links[name].related_model.objects.filter(**{links[name].field.name: record}).delete()
        links[name].related_model.objects.bulk_create(rows)
    return record


def validation_error(instance: models.Model, **kwargs) -> ValidationError | None:
    """What `full_clean()` finds wrong with `instance`, or None."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as error:
        return error
    return None


def row_field_errors(row: models.Model, exclude: list[str]) -> ValidationError | None:
    """What `full_clean()` finds wrong with a link row's own values, the constraints aside: a
    record it points at was looked up by the caller, and is not looked up again."""
    return validation_error(
        row, exclude=[*exclude, *looked_up_keys(row)], validate_constraints=False
    )


def check_related_count(objects: Sized) -> None:
    """Refuses a relation of more than `MAX_RELATED` related records or link rows."""
    if len(objects) > MAX_RELATED:
        raise ValidationError(
            f"A record holds at most {MAX_RELATED} of these; this gives {len(objects)}.",
            code="max_related",
        )


def looked_up_keys(instance: models.Model) -> list[str]:
    """The foreign keys of `instance` set to a record read from the database."""
    return [
        field.name
        for field in instance._meta.concrete_fields
        if field.many_to_one and field.is_cached(instance) and getattr(instance, field.name)
    ]


def repeated_rows(rows: Sequence[models.Model], owner: str) -> list[ValidationError | None]:
    """For each of one record's link `rows`, the unique rule it breaks by repeating a row
    before it, as `full_clean()` says so against saved rows; `owner` is the record's key."""
    rules = (
        [rule for rule in rows[0]._meta.total_unique_constraints if owner in rule.fields]
        if rows
        else []
    )
    seen = set()
    errors = []
    for row in rows:
        error = None
        for rule in rules:
            key = [row.serializable_value(name) for name in rule.fields if name != owner]
            values = (rule.name, *key)
            if values in seen:
                message = ValidationError(rule.get_violation_error_message(), code="unique")
                error = ValidationError({NON_FIELD_ERRORS: [message]})
            seen.add(values)
        errors.append(error)
    return errors


def has_errors(row_errors: RowErrors) -> bool:
    return any(any(errors) for errors in row_errors.values())
