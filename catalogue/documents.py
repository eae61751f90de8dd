"""Records as documents: plain JSON values keyed by slugs.

A document is the one form in which a record and the rows that belong to it are versioned
(`catalogue.history`), imported and exported in bulk, and dumped whole. It holds:

- the record's own fields, by name; a date known to a month or a year as ISO 8601 at its
  precision ("2022-07"); a timestamp as ISO 8601 in UTC;
- a foreign key or a many-to-many field as the natural key of what it points at: a slug, a
  country code, an SDG number (a list of them, sorted, for a many-to-many field);
- each of the record's link relations (`Record.link_relations`: participations, parties,
  provisions, citations) as the list of its rows, each row a document of its own fields.

Integer ids never appear, so a document means the same in every database.
"""

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from catalogue.models import Record
from catalogue.partial_dates import DatePrecision, PartialDate, PartialDateField
from catalogue.services import (
    KEY,
    RecordInvalid,
    check_related_count,
    record_save,
)

Document = dict[str, Any]
# Set by every save, so they never count as a change and a revert leaves them alone.
TIMESTAMPS = ("created_at", "updated_at")
PRECISION_OF_LENGTH = {4: DatePrecision.YEAR, 7: DatePrecision.MONTH, 10: DatePrecision.DAY}


class DocumentInvalid(ValidationError):
    """What is wrong with a document: messages by top-level key, a link row's prefixed with
    its position ("row 2: actor: …"), so that a curator can find each one."""

    def __init__(self, messages: dict[str, list[str]]):
        super().__init__(messages)
        self.messages_by_field = messages


def own_fields(model: type[models.Model], owner: str | None = None) -> list[models.Field]:
    """The fields a document of `model` holds, in the model's order: every concrete field but
    an automatic key (a country's code, its natural key, stays), a partial date's precision
    (part of the date's value), the count of saves (`lock_version`, the database's own) and,
    for a link row, its `owner`; then the many-to-many fields that have no through model of
    their own."""
    precisions = {
        f.precision_attname for f in model._meta.concrete_fields if isinstance(f, PartialDateField)
    }
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.auto_created)
        and field.attname not in precisions
        and field.name not in (owner, "lock_version")
    ]
    many = [
        field for field in model._meta.many_to_many if field.remote_field.through._meta.auto_created
    ]
    return [*fields, *many]


def link_relations_of(model: type[models.Model]) -> tuple[str, ...]:
    """The link relations of `model`'s documents: a record's, none for a source."""
    return getattr(model, "link_relations", ())


def link_relation(model: type[Record], name: str) -> models.ManyToOneRel:
    return model._meta.get_field(name)


def natural_key_field(model: type[models.Model]) -> str:
    """The field a document names `model`'s rows by: the slug, or else the primary key."""
    names = {field.name for field in model._meta.concrete_fields}
    return "slug" if "slug" in names else model._meta.pk.name


def with_document_relations(queryset: models.QuerySet) -> models.QuerySet:
    """`queryset` loading what its records' documents hold, in a fixed number of queries."""
    model = queryset.model
    foreign_keys = [f.name for f in own_fields(model) if f.many_to_one]
    prefetches = [f.name for f in own_fields(model) if f.many_to_many]
    for name in link_relations_of(model):
        rel = link_relation(model, name)
        row_keys = [f.name for f in own_fields(rel.related_model, rel.field.name) if f.many_to_one]
        prefetches.append(
            models.Prefetch(name, queryset=rel.related_model.objects.select_related(*row_keys))
        )
    return queryset.select_related(*foreign_keys).prefetch_related(*prefetches)


def record_document(record: Record) -> Document:
    """`record` as a document, read afresh from the database."""
    model = type(record)
    return next(documents(model.objects.filter(pk=record.pk)))


def documents(queryset: models.QuerySet) -> Iterator[Document]:
    """The documents of the records in `queryset`, in its order."""
    model = queryset.model
    for record in with_document_relations(queryset):
        document = instance_document(record)
        for name in link_relations_of(model):
            rel = link_relation(model, name)
            rows = [
                instance_document(row, owner=rel.field.name) for row in getattr(record, name).all()
            ]
            document[name] = sorted(rows, key=row_sort_key)
        yield document


def instance_document(instance: models.Model, owner: str | None = None) -> Document:
    document = {}
    for field in own_fields(type(instance), owner):
        if field.many_to_many:
            key = natural_key_field(field.related_model)
            document[field.name] = sorted(
                getattr(related, key) for related in getattr(instance, field.name).all()
            )
        elif field.many_to_one:
            related = getattr(instance, field.name)
            key = natural_key_field(field.related_model)
            document[field.name] = None if related is None else getattr(related, key)
        elif isinstance(field, PartialDateField):
            value = PartialDate.of(instance, field.attname)
            document[field.name] = value.iso if value else None
        else:
            document[field.name] = json_value(getattr(instance, field.attname))
    return document


def json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def row_sort_key(row: Document) -> tuple:
    """Rows in a fixed order whatever the database returns: by their values as text."""
    return tuple(str(value) for value in row.values())


def changed_fields(before: Document | None, after: Document) -> list[str]:
    """The keys of `after` whose values differ from `before`'s, timestamps aside."""
    if before is None:
        return []
    return [
        key
        for key, value in after.items()
        if key not in TIMESTAMPS and before.get(key, value) != value
    ]


def save_document(
    model: type[Record], document: Document, *, instance: Record | None = None
) -> Record:
    """Creates or updates a record from `document`, through the services that validate every
    write; a key the document leaves out keeps its value (or default). `instance` is the record
    to update; by default the record with the document's slug, if there is one, locked until
    the transaction ends."""
    try:
        with transaction.atomic():
            if instance is None and document.get("slug"):
                instance = model.objects.select_for_update().filter(slug=document["slug"]).first()
            record, relations = record_from_document(model, document, instance=instance)
            return record_save(record=record, relations=relations)
    except RecordInvalid as error:
        raise DocumentInvalid(record_invalid_messages(error, model)) from error


def record_from_document(
    model: type[Record], document: Document, *, instance: Record | None = None
) -> tuple[Record, dict[str, list]]:
    """The record (`instance` changed, or a new one) and the relations `document` gives, for
    `services.record_save`; raises `DocumentInvalid` naming every key that is wrong."""
    record = instance if instance is not None else model()
    fields = {field.name: field for field in own_fields(model)}
    errors: dict[str, list[str]] = {}
    relations: dict[str, list] = {}
    for key, value in document.items():
        try:
            if key in fields and fields[key].many_to_many:
                relations[key] = related_objects(fields[key].related_model, value)
            elif key in fields:
                set_field(record, fields[key], value)
            elif key in link_relations_of(model):
                relations[key] = link_rows(model, key, value)
            else:
                raise ValidationError("Sciplo has no such field.")
        except ValidationError as error:
            errors[key] = error.messages
    if errors:
        raise DocumentInvalid(errors)
    return record, relations


def set_field(
    instance: models.Model,
    field: models.Field,
    value: Any,
    known: dict[Any, models.Model] | None = None,
) -> None:
    """Sets `field` on `instance` from its document value, or raises `ValidationError`; a
    foreign key's record is taken from `known` (by key), if given, or looked up."""
    if field.many_to_one:
        related = None
        if value not in (None, ""):
            if known is None:
                related = related_object(field.related_model, value)
            elif is_key(value) and value in known:
                related = known[value]
            else:
                raise missing_key(field.related_model, [value])
        setattr(instance, field.name, related)
    elif isinstance(field, PartialDateField):
        date = parse_partial_date(value)
        setattr(instance, field.attname, date.date if date else None)
        setattr(instance, field.precision_attname, date.precision if date else "")
    elif value is None and not field.null:
        setattr(instance, field.attname, "" if field.empty_strings_allowed else value)
    else:
        try:
            setattr(instance, field.attname, field.to_python(value))
        except TypeError:
            # Django's date and time fields parse text only: a number there is invalid too.
            message = field.error_messages.get("invalid", "Enter a valid value.")
            raise ValidationError(message, code="invalid", params={"value": value}) from None


def parse_partial_date(value: Any) -> PartialDate | None:
    if value in (None, ""):
        return None
    text = str(value)
    precision = PRECISION_OF_LENGTH.get(len(text))
    padded = {4: f"{text}-01-01", 7: f"{text}-01", 10: text}.get(len(text), "")
    try:
        return PartialDate(datetime.date.fromisoformat(padded), precision)
    except (TypeError, ValueError):
        raise ValidationError(
            f'"{text}" is not a date: write 2022, 2022-07 or 2022-07-15.'
        ) from None


def related_object(model: type[models.Model], key: Any) -> models.Model:
    return related_objects(model, [key])[0]


def related_objects(model: type[models.Model], keys: Any) -> list[models.Model]:
    """The objects of `model` whose natural keys are `keys`, looked up in one query; raises
    `ValidationError` naming the keys no object has."""
    if not isinstance(keys, list):
        raise ValidationError("Give a list.")
    check_related_count(keys)
    found = objects_by_key(model.objects.all(), keys)
    missing = [key for key in keys if not is_key(key) or key not in found]
    if missing:
        raise missing_key(model, missing)
    return [found[key] for key in keys]


def missing_key(model: type[models.Model], keys: list[Any]) -> ValidationError:
    field = natural_key_field(model)
    return ValidationError(
        f"No {model._meta.verbose_name} has the {field} "
        + ", ".join(f'"{key}"' for key in keys)
        + "."
    )


def objects_by_key(queryset: models.QuerySet, keys: Iterable[Any]) -> dict[Any, models.Model]:
    """The objects of `queryset` whose natural keys are among `keys`, by key, in one query;
    what cannot be a key (a NUL byte, a list) is not looked up."""
    field = queryset.model._meta.get_field(natural_key_field(queryset.model))
    wanted = {key for key in keys if is_key(key)}
    if isinstance(field, models.IntegerField):
        wanted = {key for key in wanted if isinstance(key, int)}
    found = queryset.filter(**{f"{field.name}__in": wanted}) if wanted else []
    return {getattr(obj, field.name): obj for obj in found}


def is_key(value: Any) -> bool:
    """Whether `value` has a natural key's form: a slug or code, or a number."""
    if isinstance(value, str):
        return KEY.fullmatch(value) is not None
    return isinstance(value, int) and not isinstance(value, bool)


def link_rows(model: type[Record], name: str, rows: Any) -> list[dict[str, Any]]:
    """The field values of the link rows `rows` of relation `name`, for `record_save`; the
    records they point at looked up in one query per field."""
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValidationError("Give a list of rows, each an object of fields.")
    check_related_count(rows)
    rel = link_relation(model, name)
    fields = {f.name: f for f in own_fields(rel.related_model, rel.field.name)}
    known = {
        name: objects_by_key(field.related_model.objects.all(), (row.get(name) for row in rows))
        for name, field in fields.items()
        if field.many_to_one
    }
    values, messages = [], []
    for position, row in enumerate(rows, start=1):
        row_object = rel.related_model()
        for key, value in row.items():
            try:
                if key not in fields:
                    raise ValidationError("Sciplo has no such field.")
                set_field(row_object, fields[key], value, known.get(key))
            except ValidationError as error:
                messages.extend(f"row {position}: {key}: {text}" for text in error.messages)
        values.append(row_values(row_object, rel.field.name))
    if messages:
        raise ValidationError(messages)
    return values


def row_values(row: models.Model, owner: str) -> dict[str, Any]:
    """A link row's field values but its `owner`, for `record_save`: a record it points at as
    itself, so that it is not looked up again."""
    values = {}
    for field in row._meta.concrete_fields:
        if field.primary_key or field.name == owner:
            continue
        if field.many_to_one and field.is_cached(row):
            values[field.name] = getattr(row, field.name)
        else:
            values[field.attname] = getattr(row, field.attname)
    return values


def record_invalid_messages(error: RecordInvalid, model: type[Record]) -> dict[str, list[str]]:
    """`RecordInvalid`'s errors as a document's: link rows' prefixed with their position."""
    messages = {
        key: list(errors) for key, errors in error.message_dict.items() if key not in error.rows
    }
    for name, row_errors in error.rows.items():
        for position, row_error in enumerate(row_errors, start=1):
            if row_error is None:
                continue
            for field, texts in row_error_items(row_error):
                prefix = f"row {position}: " + (f"{field}: " if field else "")
                messages.setdefault(name, []).extend(prefix + text for text in texts)
    return messages


def row_error_items(error: ValidationError) -> Iterable[tuple[str | None, list[str]]]:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            yield (None if field == "__all__" else field), errors
    else:
        yield None, error.messages
