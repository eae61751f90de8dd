"""Writes of a record together with its relations, shared by every way of writing the catalogue.

Each function validates with the models' own `full_clean()`, so a caller gets the messages admin
shows, and saves in one transaction: a write happens whole or not at all.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from catalogue.models import Initiative, Record
from catalogue.models.initiatives import involved_countries

# A many-to-many field's new objects, or a relation's new link rows as their field values.
Relations = Mapping[str, Sequence[models.Model] | Sequence[Mapping[str, Any]]]
RowErrors = dict[str, list[ValidationError | None]]


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
    record or a row breaks a rule.
    """
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
    # A row's rules that involve the record (an actor is a party once) wait for the record.
    row_errors = {
        name: [validation_error(row, exclude=[links[name].field.name]) for row in rows]
        for name, rows in new_rows.items()
    }
    if errors or has_errors(row_errors):
        raise RecordInvalid(errors, row_errors)

    record.save()
    for name, objects in relations.items():
        if name not in links:
            getattr(record, name).set(objects)
    for name, rows in new_rows.items():
        fk_name = links[name].field.name
        links[name].related_model.objects.filter(**{fk_name: record}).delete()
        # Row by row, so that each is checked against those saved before it; the transaction
        # undoes the whole write if one fails.
        row_errors[name] = []
        for row in rows:
            setattr(row, fk_name, record)  # Its key, which the record lacked when it was new.
            error = validation_error(row)
            if error is None:
                row.save()
            row_errors[name].append(error)
    if has_errors(row_errors):
        raise RecordInvalid({}, row_errors)
    return record


@transaction.atomic
def initiative_save(*, initiative: Initiative, relations: Relations) -> Initiative:
    """`record_save` for an initiative, whose countries gain those of its cities, as in admin."""
    if "cities" in relations or "countries" in relations:
        saved = initiative.pk is not None
        cities = relations.get("cities", initiative.cities.all() if saved else [])
        countries = relations.get("countries", initiative.countries.all() if saved else [])
        countries = involved_countries(countries, cities)
        relations = {**relations, "countries": list(countries)}
    return record_save(record=initiative, relations=relations)


def validation_error(instance: models.Model, **kwargs) -> ValidationError | None:
    """What `full_clean()` finds wrong with `instance`, or None."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as error:
        return error
    return None


def has_errors(row_errors: RowErrors) -> bool:
    return any(any(errors) for errors in row_errors.values())
