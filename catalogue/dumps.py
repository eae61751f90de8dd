"""Full dumps: the whole catalogue as one JSON document keyed by slugs, and back.

A dump holds the reference data (countries, SDGs, vocabularies, sources), every record with its
relations and citations as its document (`catalogue.documents`), and, if asked, every version of
every record (`catalogue.history`). No integer id appears in it, so it loads into any database,
whatever its engine. It is written deterministically: sections in a fixed order, documents
sorted by their natural key, each document's keys sorted, indented by two spaces, UTF-8; an equal
catalogue gives a byte-identical file.

Loading is all or nothing: the whole file is checked while it is written in one transaction, and
any problem (each named by its place in the file, such as `records.initiatives[3] ("gesda")`)
undoes everything. Records are written through `documents.save_document`, which validates them as
admin does.
"""

import datetime
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils.dateparse import parse_datetime

from catalogue import history, jsontext
from catalogue.documents import (
    Document,
    DocumentInvalid,
    documents,
    instance_document,
    json_value,
    link_relation,
    link_relations_of,
    natural_key_field,
    own_fields,
    save_document,
    set_field,
)
from catalogue.models import (
    SDG,
    Actor,
    Agreement,
    Audience,
    City,
    Country,
    Course,
    Dimension,
    Driver,
    Initiative,
    Record,
    Source,
    SynonymGroup,
    Theme,
    Version,
)
from catalogue.search import forget_every_document

FORMAT = "sciplo-catalogue"
VERSION = 1
REFERENCE_SECTIONS: dict[str, type[models.Model]] = {
    "countries": Country,
    "sdgs": SDG,
    "themes": Theme,
    "dimensions": Dimension,
    "drivers": Driver,
    "audiences": Audience,
    "synonyms": SynonymGroup,
    "sources": Source,
}
# Each kind of record refers only to kinds before it, but for a parent of its own kind: loading
# in this order finds every record a document names, once parents wait for a second pass.
RECORD_SECTIONS: dict[str, type[Record]] = {
    "cities": City,
    "actors": Actor,
    "initiatives": Initiative,
    "courses": Course,
    "agreements": Agreement,
}
TOP_LEVEL_KEYS = ("format", "version", "reference", "records", "history")
REQUIRED_KEYS = ("format", "version", "reference", "records")
# A version's own fields, as a dump's history entry holds them besides its record's type and
# slug and its time.
VERSION_FIELDS = ("slug", "name", "action", "changed_fields", "document", "user_name", "message")
HISTORY_KEYS = ("record_type", "record", *VERSION_FIELDS, "created_at")
# Rows read from the database at a time, with their relations: an export of any size holds one
# chunk of documents in memory.
CHUNK_SIZE = 500
# Enough to fix a file in one go, not so many that the first cause drowns.
MAX_PROBLEMS = 50
INDENT = "  "


class DumpInvalid(Exception):
    """A dump that cannot be loaded: every problem found, each naming its place in the file."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# Export


def export_catalogue(
    write: Callable[[str], object], *, with_history: bool = False
) -> dict[str, int]:
    """Writes the whole catalogue as a dump, in pieces, through `write`; the history too if
    `with_history`. Returns how many documents each section holds."""
    counts: dict[str, int] = {}

    def counted(name: str, items: Iterable[Any]) -> Iterator[Any]:
        counts[name] = 0
        for item in items:
            counts[name] += 1
            yield item

    dump: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "reference": {
            name: counted(name, sorted_documents(model))
            for name, model in REFERENCE_SECTIONS.items()
        },
        "records": {
            name: counted(name, sorted_documents(model)) for name, model in RECORD_SECTIONS.items()
        },
    }
    if with_history:
        dump["history"] = counted("versions", history_entries())
    with consistent_reads():
        for piece in json_pieces(dump):
            write(piece)
        write("\n")
    return counts


@contextmanager
def consistent_reads() -> Iterator[None]:
    """A transaction whose queries all see the catalogue as it was at its first one, so that a
    dump taken while curators work is still consistent."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        # PostgreSQL's default (read committed) lets each query see what committed before it;
        # SQLite's transactions are serializable already.
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def sorted_documents(model: type[models.Model]) -> Iterator[Document]:
    """The documents of every row of `model`, by natural key, sorted here rather than by the
    database, whose collation may differ from one engine to another."""
    key = natural_key_field(model)
    keys = sorted(model.objects.values_list(key, flat=True))
    for start in range(0, len(keys), CHUNK_SIZE):
        chunk = model.objects.filter(**{f"{key}__in": keys[start : start + CHUNK_SIZE]})
        yield from sorted(documents(chunk), key=itemgetter(key))


def history_entries() -> Iterator[Document]:
    """Every version of every record, the versions of each record together and in the order
    they were kept, each naming its record by slug: a record's current slug, or, for a deleted
    record, the version's own slug (as `history.restore` finds a deleted record's versions once
    a dump has loaded them)."""
    content_types = ContentType.objects.get_for_models(*RECORD_SECTIONS.values())
    type_order = {content_types[model].pk: n for n, model in enumerate(RECORD_SECTIONS.values())}
    current_slugs = {
        (content_types[model].pk, pk): slug
        for model in RECORD_SECTIONS.values()
        for pk, slug in model.objects.values_list("pk", "slug")
    }
    keys = sorted(
        (type_order[type_id], current_slugs.get((type_id, record_id), slug), created_at, pk)
        for pk, type_id, record_id, slug, created_at in Version.objects.filter(
            record_type__in=type_order
        ).values_list("pk", "record_type_id", "record_id", "slug", "created_at")
    )
    model_names = [model._meta.model_name for model in RECORD_SECTIONS.values()]
    for start in range(0, len(keys), CHUNK_SIZE):
        chunk = keys[start : start + CHUNK_SIZE]
        versions = Version.objects.in_bulk([pk for *_, pk in chunk])
        for type_index, record, _created_at, pk in chunk:
            version = versions[pk]
            yield {
                "record_type": model_names[type_index],
                "record": record,
                "slug": version.slug,
                "name": version.name,
                "action": version.action,
                "changed_fields": version.changed_fields,
                "document": version.document,
                "created_at": json_value(version.created_at),
                "user_name": version.user_name,
                "message": version.message,
            }


def json_pieces(value: Any, level: int = 0) -> Iterator[str]:
    """`value` as `json.dumps(value, indent=2)` writes it, in pieces: a dict keeps its order, an
    iterator is written as a list while it is read, and each of its items (a document) is
    written with sorted keys."""
    inner = INDENT * (level + 1)
    if isinstance(value, dict):
        yield "{"
        for position, (key, item) in enumerate(value.items()):
            yield ("," if position else "") + "\n" + inner + json.dumps(key) + ": "
            yield from json_pieces(item, level + 1)
        yield ("\n" + INDENT * level if value else "") + "}"
    elif isinstance(value, Iterator):
        yield "["
        empty = True
        for item in value:
            text = json.dumps(item, indent=2, sort_keys=True, ensure_ascii=False)
            yield ("\n" if empty else ",\n") + inner + text.replace("\n", "\n" + inner)
            empty = False
        yield ("" if empty else "\n" + INDENT * level) + "]"
    else:
        yield json.dumps(value, ensure_ascii=False)


# Import


def import_catalogue(data: bytes, *, origin: str, replace: bool = False) -> dict[str, int]:
    """Loads the dump `data`, read from `origin` (named in messages and in the versions the load
    keeps), into a catalogue without records, sources or history; with `replace`, in place of
    the catalogue there is. Reference rows are created or updated. All or nothing: raises
    `DumpInvalid`, having changed nothing, if the file is not a dump or breaks a rule. Returns
    how many documents each section held."""
    dump = parse(data, origin)
    with history.recording(message=f"Imported from {origin}.") as state:
        present = catalogue_counts()
        if any(present.values()):
            if not replace:
                raise DumpInvalid(
                    [
                        f"The catalogue already holds {counted_text(present)}: import into an "
                        "empty database, or give --replace to delete them first."
                    ]
                )
            delete_catalogue()
        loader = Loader()
        loader.load(dump)
        if loader.problems:
            raise DumpInvalid(loader.problems)
        if "history" in dump:
            # The dump's versions are the history: the import itself leaves no trace in it.
            state.forget()
    return loader.counts


def parse(data: bytes, origin: str) -> dict[str, Any]:
    """The dump in `data`, whose frame (format, version, sections) is checked; or
    `DumpInvalid`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DumpInvalid(
            [f"{origin} is not UTF-8 text: byte {error.start + 1} cannot be read as UTF-8."]
        ) from None
    try:
        dump = jsontext.loads(text)
    except json.JSONDecodeError as error:
        raise DumpInvalid(
            [f"{origin} is not JSON: {error.msg} (line {error.lineno}, column {error.colno})."]
        ) from None
    except jsontext.NestedTooDeep as error:
        raise DumpInvalid([f"{origin} is refused: {error}"]) from None
    if not isinstance(dump, dict):
        raise DumpInvalid([f"{origin} holds {json_kind(dump)}, not a catalogue dump (an object)."])
    problems = [f"The file lacks the key {key!r}." for key in REQUIRED_KEYS if key not in dump]
    problems += [
        f"The file has the key {key!r}, which a catalogue dump does not have "
        f"(it has {', '.join(TOP_LEVEL_KEYS)})."
        for key in dump
        if key not in TOP_LEVEL_KEYS
    ]
    if "format" in dump and dump["format"] != FORMAT:
        problems.append(
            f"format: {json.dumps(dump['format'])} is not {json.dumps(FORMAT)}: "
            "this file is not a Sciplo catalogue dump."
        )
    if "version" in dump and dump["version"] != VERSION:
        problems.append(
            f"version: {json.dumps(dump['version'])} is not a version of the dump format this "
            f"Sciplo reads ({VERSION})."
        )
    for name, sections in (("reference", REFERENCE_SECTIONS), ("records", RECORD_SECTIONS)):
        if name in dump:
            problems += section_problems(name, dump[name], sections)
    if "history" in dump and not isinstance(dump["history"], list):
        problems.append(f"history: Give a list of versions, not {json_kind(dump['history'])}.")
    if problems:
        raise DumpInvalid(problems)
    return dump


def section_problems(name: str, value: Any, sections: dict) -> list[str]:
    if not isinstance(value, dict):
        return [f"{name}: Give an object of sections, not {json_kind(value)}."]
    problems = [f"{name}: The key {key!r} is missing." for key in sections if key not in value]
    problems += [
        f"{name}: The key {key!r} is not a section (they are {', '.join(sections)})."
        for key in value
        if key not in sections
    ]
    problems += [
        f"{name}.{key}: Give a list of documents, not {json_kind(value[key])}."
        for key in sections
        if key in value and not isinstance(value[key], list)
    ]
    return problems


def json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number")


def catalogue_counts() -> dict[str, int]:
    """What a catalogue that a dump loads into may not hold yet, by name."""
    counts = {name: model.objects.count() for name, model in RECORD_SECTIONS.items()}
    counts["sources"] = Source.objects.count()
    counts["versions"] = Version.objects.count()
    return counts


def counted_text(counts: dict[str, int]) -> str:
    parts = [f"{count} {name}" for name, count in counts.items() if count]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def self_references(model: type[models.Model]) -> list[str]:
    return [f.name for f in own_fields(model) if f.many_to_one and f.related_model is model]


def named_rows(model: type[Record], document: Document) -> Iterator[tuple[type[models.Model], Any]]:
    """The model and natural key of each row that `document` names, in its own fields and in
    its link rows."""
    fields = {field.name: field for field in own_fields(model) if field.is_relation}
    for name, value in document.items():
        if name in fields:
            values = value if isinstance(value, list) else [value]
            yield from ((fields[name].related_model, key) for key in values)
        elif name in link_relations_of(model) and isinstance(value, list):
            rel = link_relation(model, name)
            row_fields = {
                field.name: field
                for field in own_fields(rel.related_model, rel.field.name)
                if field.many_to_one
            }
            for row in value:
                if isinstance(row, dict):
                    yield from (
                        (row_fields[key].related_model, row[key])
                        for key in row
                        if key in row_fields
                    )


def delete_catalogue() -> None:
    """Deletes every record with its relations and citations, every source and all history."""
    with transaction.atomic(), history.discarding():
        for model in RECORD_SECTIONS.values():
            # A parent is protected while a child points at it, even a child deleted with it;
            # the records go in this same transaction, so no reader or version sees the change.
            for name in self_references(model):
                model.objects.update(**{name: None})
        for model in reversed(RECORD_SECTIONS.values()):
            model.objects.all().delete()
        Source.objects.all().delete()
        Version.objects.all().delete()
        forget_every_document(using=connection.alias)


class Loader:
    """Writes a dump's sections in order, keeping each problem with its place in the file."""

    def __init__(self):
        self.problems: list[str] = []
        self.counts: dict[str, int] = {}
        self.records: dict[type[Record], dict[str, Record]] = {}
        # Each record with the `updated_at` its document gives, which saving replaces.
        self.updated_at: dict[type[Record], list[tuple[Record, Any]]] = {}
        # The natural keys of the documents refused, by model: a document that names one is
        # not checked, as it would fail for that reason alone and hide the cause.
        self.refused: dict[type[models.Model], set] = {}
        self.unchecked = 0

    def problem(self, place: str, text: str) -> None:
        self.problems.append(f"{place}: {text}")
        if len(self.problems) >= MAX_PROBLEMS:
            raise DumpInvalid([*self.problems, f"The check stopped after {MAX_PROBLEMS} problems."])

    def invalid(self, place: str, messages_by_field: dict[str, list[str]]) -> None:
        for field, messages in messages_by_field.items():
            prefix = "" if field == "__all__" else f"{field}: "
            for message in messages:
                self.problem(place, prefix + message)

    def refuse(self, place: str, model: type[models.Model], key: Any, messages: dict) -> None:
        self.refused.setdefault(model, set()).add(key)
        self.invalid(place, messages)

    def names_refused(self, model: type[Record], document: Document) -> bool:
        return any(
            isinstance(key, str | int) and key in self.refused.get(related_model, ())
            for related_model, key in named_rows(model, document)
        )

    def load(self, dump: dict[str, Any]) -> None:
        for name, model in REFERENCE_SECTIONS.items():
            self.load_reference(f"reference.{name}", model, dump["reference"][name])
            self.counts[name] = len(dump["reference"][name])
        for name, model in RECORD_SECTIONS.items():
            self.load_records(f"records.{name}", model, dump["records"][name])
            self.counts[name] = len(dump["records"][name])
        if not self.problems:
            self.keep_timestamps()
        if "history" in dump:
            self.load_history(dump["history"])
            self.counts["versions"] = len(dump["history"])
        if self.unchecked:
            self.problems.append(
                f"Records not checked, as they name a document refused above: {self.unchecked}."
            )

    def entries(
        self, section: str, model: type[models.Model], entries: list
    ) -> Iterator[tuple[str, Any, Document]]:
        """The entries of a section that are documents with a natural key of their own, each
        with its place and its key; the others are problems."""
        key_field = model._meta.get_field(natural_key_field(model))
        first_place: dict[Any, str] = {}
        for position, entry in enumerate(entries):
            place = f"{section}[{position}]"
            if not isinstance(entry, dict):
                self.problem(place, f"Give a document (an object), not {json_kind(entry)}.")
                continue
            if entry.get(key_field.name) in (None, ""):
                self.problem(place, f"{key_field.name}: Give the {key_field.name}.")
                continue
            try:
                key = key_field.to_python(entry[key_field.name])
            except ValidationError as error:
                self.problem(place, f"{key_field.name}: {' '.join(error.messages)}")
                continue
            place = f"{place} ({json.dumps(key, ensure_ascii=False)})"
            if key in first_place:
                self.problem(
                    place, f"{key_field.name}: {first_place[key]} has the same {key_field.name}."
                )
                continue
            first_place[key] = f"{section}[{position}]"
            yield place, key, entry

    def load_reference(self, section: str, model: type[models.Model], entries: list) -> None:
        """Creates each reference row of `entries`, or updates the row with its natural key."""
        entries = list(self.entries(section, model, entries))
        key_name = natural_key_field(model)
        existing = model.objects.in_bulk([key for _, key, _ in entries], field_name=key_name)
        fields = {field.name: field for field in own_fields(model)}
        for place, key, document in entries:
            instance = existing.get(key) or model()
            before = instance_document(instance) if instance.pk is not None else None
            errors: dict[str, list[str]] = {}
            for name, value in document.items():
                try:
                    if name not in fields:
                        raise ValidationError("Sciplo has no such field.")
                    set_field(instance, fields[name], value)
                except ValidationError as error:
                    errors[name] = error.messages
            if errors:
                self.refuse(place, model, key, errors)
                continue
            if instance_document(instance) == before:
                continue
            try:
                instance.full_clean()
            except ValidationError as error:
                self.refuse(place, model, key, error.message_dict)
            else:
                instance.save(force_insert=before is None)

    def load_records(self, section: str, model: type[Record], entries: list) -> None:
        """Creates each record of `entries` with its relations; its parent (a record of its own
        kind, which may come later in the file) in a second pass."""
        later = self_references(model)
        written = self.records.setdefault(model, {})
        updated_at = self.updated_at.setdefault(model, [])
        parents = []
        for place, slug, document in self.entries(section, model, entries):
            if self.names_refused(model, document):
                self.refused.setdefault(model, set()).add(slug)
                self.unchecked += 1
                continue
            first = {key: value for key, value in document.items() if key not in later}
            try:
                written[slug] = save_document(model, first, instance=model())
            except DocumentInvalid as error:
                self.refuse(place, model, slug, error.messages_by_field)
                continue
            if document.get("updated_at"):
                updated_at.append((written[slug], document["updated_at"]))
            second = {key: document[key] for key in later if document.get(key)}
            if second:
                parents.append((place, written[slug], second))
        for place, record, document in parents:
            try:
                save_document(model, document, instance=record)
            except DocumentInvalid as error:
                self.invalid(place, error.messages_by_field)

    def keep_timestamps(self) -> None:
        """Gives each record the `updated_at` its document has, which saving replaced; in bulk,
        as no reader or version sees the record before the import ends."""
        field = Record._meta.get_field("updated_at")
        for model, records in self.updated_at.items():
            for record, value in records:
                record.updated_at = field.to_python(value)
            changed = [record for record, _value in records]
            model.objects.bulk_update(changed, ["updated_at"], batch_size=CHUNK_SIZE)

    def load_history(self, entries: list) -> None:
        """Keeps the dump's versions as they are, each of a record the dump holds (by its
        slug) or of a deleted record; by its user when an account has the version's user name."""
        models_by_name = {model._meta.model_name: model for model in RECORD_SECTIONS.values()}
        content_types = ContentType.objects.get_for_models(*RECORD_SECTIONS.values())
        user_names = {
            entry["user_name"]
            for entry in entries
            if isinstance(entry, dict) and isinstance(entry.get("user_name"), str)
        }
        User = get_user_model()
        users = User.objects.in_bulk(user_names, field_name=User.USERNAME_FIELD)
        versions = []
        for position, entry in enumerate(entries):
            place = f"history[{position}]"
            if not isinstance(entry, dict):
                self.problem(place, f"Give a version (an object), not {json_kind(entry)}.")
                continue
            model = models_by_name.get(entry.get("record_type"))
            if model is not None and isinstance(entry.get("record"), str):
                place += f' ({model._meta.model_name} "{entry["record"]}")'
            version = self.version(place, entry, model)
            if version is None:
                continue
            version.record_type = content_types[model]
            record = self.records[model].get(entry["record"])
            version.record_id = record.pk if record is not None else None
            version.user = users.get(version.user_name)
            versions.append(version)
        if not self.problems:
            Version.objects.bulk_create(versions, batch_size=CHUNK_SIZE)

    def version(self, place: str, entry: Document, model: type[Record] | None) -> Version | None:
        """The version `entry` describes, checked; None if it breaks a rule (a problem)."""
        errors: dict[str, list[str]] = {}
        for key in HISTORY_KEYS:
            if key not in entry:
                errors[key] = ["This key is missing."]
        for key in entry:
            if key not in HISTORY_KEYS:
                errors[key] = ["A version has no such field."]
        if "record_type" in entry and model is None:
            names = ", ".join(m._meta.model_name for m in RECORD_SECTIONS.values())
            errors["record_type"] = [f"Give one of {names}."]
        if "record" in entry and (not isinstance(entry["record"], str) or not entry["record"]):
            errors["record"] = ["Give the record's slug."]
        if "changed_fields" in entry and not (
            isinstance(entry["changed_fields"], list)
            and all(isinstance(name, str) for name in entry["changed_fields"])
        ):
            errors["changed_fields"] = ["Give a list of field names."]
        if "document" in entry and not isinstance(entry["document"], dict):
            errors["document"] = ["Give the record's document (an object)."]
        created_at = aware_datetime(entry.get("created_at"))
        if "created_at" in entry and created_at is None:
            errors["created_at"] = ["Give a time with its zone, such as 2026-03-03T10:00:00Z."]
        version = Version(
            **{key: entry[key] for key in VERSION_FIELDS if key in entry and key not in errors},
            created_at=created_at,
        )
        try:
            version.full_clean(exclude=["record_type", "record_id", "user", *errors])
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            self.invalid(place, errors)
            return None
        return version


def aware_datetime(value: Any) -> datetime.datetime | None:
    """The time with a zone that `value` writes in ISO 8601, or None."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.utcoffset() is not None else None
