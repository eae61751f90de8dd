"""Database constraints that report their violations like form fields do, and the judging of
many rows' check constraints in one query."""

import operator
from collections.abc import Collection, Iterable, Sequence
from functools import reduce

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import BooleanField, F, Q
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE


class FieldCheckConstraint(models.CheckConstraint):
    """A check constraint whose violation is reported against one form field.

    The database enforces the rule; `full_clean()` (admin, API, imports) reports it under
    `field`, so the person who typed the bad value sees the message beside it.
    """

    def __init__(self, *, field: str, **kwargs):
        self.field = field
        super().__init__(**kwargs)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from None

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return (
            isinstance(other, FieldCheckConstraint)
            and self.field == other.field
            and super().__eq__(other)
        )


def broken_checks(
    rows: Sequence[models.Model],
    excludes: Sequence[Collection[str]],
    using: str = DEFAULT_DB_ALIAS,
) -> list[ValidationError | None]:
    """What each of `rows` (of one model, unsaved) breaks of its model's check constraints, as
    each constraint's own `validate()` says it, judged for every row in one query: each row's
    column of the query adds the bit of each check it fails. A row's check that involves a
    field in its `excludes` (its owner's key, a field already refused) is not judged, as
    `validate()` leaves it."""
    checks = rows[0]._meta.constraints if rows else []
    checks = [check for check in checks if isinstance(check, models.CheckConstraint)]
    if not checks:
        return [None] * len(rows)
    meta = rows[0]._meta
    query = Query(None)
    for position, (row, exclude) in enumerate(zip(rows, excludes, strict=True)):
        prefix = f"row{position}_"
        for name, value in row._get_field_expression_map(meta=meta, exclude=exclude).items():
            query.add_annotation(value, prefix + name, select=False)
        bits = [
            models.Case(
                models.When(
                    Coalesce(prefixed(check.condition, prefix), True, output_field=BooleanField()),
                    then=0,
                ),
                default=2**bit,
            )
            if not references(meta.model, check) & set(exclude)
            else models.Value(0)
            for bit, check in enumerate(checks)
        ]
        query.add_annotation(reduce(operator.add, bits), f"row{position}")
    failed = query.get_compiler(using=using).execute_sql(SINGLE)
    return [
        merged(violation(check) for bit, check in enumerate(checks) if mask & 2**bit)
        for mask in failed
    ]


def references(model: type[models.Model], check: models.CheckConstraint) -> set[str]:
    """The fields `check` is about."""
    return {reference[0] for reference in model._get_expr_references(check.condition)}


def violation(check: models.CheckConstraint) -> ValidationError:
    """The error `check.validate()` raises for a row that breaks it."""
    error = ValidationError(check.get_violation_error_message(), code=check.violation_error_code)
    if isinstance(check, FieldCheckConstraint):
        return ValidationError({check.field: error.error_list})
    return error


def merged(errors: Iterable[ValidationError | None]) -> ValidationError | None:
    """`errors` as one, by field; None if there are none."""
    by_field: dict = {}
    for error in errors:
        if error is not None:
            error.update_error_dict(by_field)
    return ValidationError(by_field) if by_field else None


def prefixed(condition, prefix: str):
    """`condition` (a Q, or one of its lookups) about the fields named with `prefix` first."""
    if isinstance(condition, Q):
        children = [prefixed(child, prefix) for child in condition.children]
        return Q(*children, _connector=condition.connector, _negated=condition.negated)
    if isinstance(condition, tuple):
        lookup, value = condition
        return prefix + lookup, prefixed(value, prefix)
    if isinstance(condition, F):
        return F(prefix + condition.name)
    return condition
