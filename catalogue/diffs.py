"""Readable differences between two states of a record, and what readers are told of a change.

Pure functions over documents (`catalogue.documents`): nothing here reads the database. A
document names related objects by their natural keys (slugs, country codes, SDG numbers); a
caller that wants their names passes `names`, a mapping from (model label, natural key) to the
name to show, built from `referenced_keys` (admin's history pages do, `catalogue.admin.history`).
"""

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalogue.documents import (
    TIMESTAMPS,
    Document,
    link_relation,
    own_fields,
    parse_partial_date,
)
from catalogue.models import Publication, Record
from catalogue.models.curation import VersionAction
from catalogue.partial_dates import PartialDateField

Names = Mapping[tuple[str, Any], str]
# What curators and readers call each link relation: the rows stand for the actors and sources.
RELATION_LABELS = {
    "participations": "participants",
    "party_links": "parties",
    "provisions": "providers",
    "citations": "sources",
}
# Unchanged words shown on each side of a change in a long text; the rest is elided.
CONTEXT_WORDS = 8
ELISION = "…"
# Readers see the publication state only as a record appearing or being archived, and a new
# verification date only when nothing else changed.
READER_EVENT_FIELDS = ("publication", "last_verified")
PUBLIC_ACTION_EVENTS = {
    VersionAction.CREATED: "created",
    VersionAction.DELETED: "removed",
    VersionAction.RESTORED: "restored",
}


@dataclass(frozen=True)
class FieldChange:
    """How one key of a document changed, ready to show. `kind` says which parts are given:
    "value" a displayed `before` and `after`; "text" a long text's `text_diff`, its words
    deleted and inserted; "list" the items (related objects, link rows) `removed` and `added`."""

    key: str
    label: str
    kind: str
    before: str = ""
    after: str = ""
    text_diff: str = ""  # HTML, a SafeString
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicSummary:
    """What readers are told of one change: an event ("updated") and, for an update, the
    labels of the fields it changed."""

    event: str
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.event}: {', '.join(self.fields)}" if self.fields else self.event


def field_label(model: type[Record], key: str) -> str:
    """The name curators and readers know a document key of `model` by."""
    if key in model.link_relations:
        return RELATION_LABELS.get(
            key, str(link_relation(model, key).related_model._meta.verbose_name_plural)
        )
    try:
        return str(model._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        # A key an older version holds for a field the model has since lost.
        return key


def changed_keys(before: Document, after: Document) -> list[str]:
    """The keys whose values differ between two documents, in `after`'s order, timestamps
    aside; a missing key, None, "" and [] all mean empty."""
    keys = [*after, *(key for key in before if key not in after)]
    return [
        key
        for key in keys
        if key not in TIMESTAMPS and empty_as_none(before.get(key)) != empty_as_none(after.get(key))
    ]


def empty_as_none(value: Any) -> Any:
    return None if value in (None, "", []) else value


def record_changes(
    model: type[Record], before: Document | None, after: Document, names: Names | None = None
) -> list[FieldChange]:
    """What changed from `before` (None: nothing, as for a record just created) to `after`,
    key by key, with related objects by their `names` where given, else by their keys."""
    before = before or {}
    names = names or {}
    fields = {field.name: field for field in own_fields(model)}
    return [
        field_change(model, key, fields.get(key), before.get(key), after.get(key), names)
        for key in changed_keys(before, after)
    ]


def field_change(
    model: type[Record],
    key: str,
    field: models.Field | None,
    before: Any,
    after: Any,
    names: Names,
) -> FieldChange:
    label = field_label(model, key)
    if key in model.link_relations:
        rel = link_relation(model, key)
        removed, added = list_difference(before, after)

        def rows_text(rows: list[dict]) -> tuple[str, ...]:
            return tuple(row_text(rel.related_model, rel.field.name, row, names) for row in rows)

        return FieldChange(key, label, "list", removed=rows_text(removed), added=rows_text(added))
    if field is not None and field.many_to_many:
        removed, added = list_difference(before, after)
        return FieldChange(
            key,
            label,
            "list",
            removed=tuple(display_value(field, item, names) for item in removed),
            added=tuple(display_value(field, item, names) for item in added),
        )
    if isinstance(field, models.TextField):
        return FieldChange(key, label, "text", text_diff=word_diff(before or "", after or ""))
    return FieldChange(
        key,
        label,
        "value",
        before=display_value(field, before, names),
        after=display_value(field, after, names),
    )


def list_difference(before: list | None, after: list | None) -> tuple[list, list]:
    """The items of `before` that `after` lacks, and those of `after` that `before` lacks, in
    their order; rows (dicts) compare by their values."""

    def identity(item: Any) -> str:
        return json.dumps(item, sort_keys=True)

    before, after = before or [], after or []
    before_ids = {identity(item) for item in before}
    after_ids = {identity(item) for item in after}
    return (
        [item for item in before if identity(item) not in after_ids],
        [item for item in after if identity(item) not in before_ids],
    )


def display_value(field: models.Field | None, value: Any, names: Names) -> str:
    """A document value as curators read it: a related object by name, a choice by its
    label, a partial date as precisely as it is known ("July 2022"); empty as ""."""
    if value in (None, ""):
        return ""
    if field is None:
        return str(value)
    if field.is_relation:
        return names.get((field.related_model._meta.label_lower, value), str(value))
    if isinstance(field, PartialDateField):
        try:
            return str(parse_partial_date(value))
        except ValidationError:
            return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def row_text(link_model: type[models.Model], owner: str, row: dict, names: Names) -> str:
    """A link row in one line: the objects it links by name, then its own values,
    e.g. "Canton of Geneva (role: lead; from: 2015)"."""
    fields = {field.name: field for field in own_fields(link_model, owner)}
    linked, values = [], []
    for key, value in row.items():
        field = fields.get(key)
        text = display_value(field, value, names)
        if not text:
            continue
        if field is not None and field.many_to_one:
            linked.append(text)
        else:
            values.append(f"{field.verbose_name if field is not None else key}: {text}")
    text = ", ".join(linked)
    return f"{text} ({'; '.join(values)})" if values else text


def word_diff(before: str, after: str) -> SafeString:
    """`before` and `after` as one HTML-escaped text, the words removed in <del> and those
    added in <ins>; long unchanged runs are shortened to the words around each change."""
    runs = word_runs(words(before), words(after))
    parts = []
    for position, (changed, old, new) in enumerate(runs):
        if not changed:
            unchanged = elided(old, at_start=position == 0, at_end=position == len(runs) - 1)
            parts.append(escape(unchanged))
            continue
        if old:
            parts.append(f"<del>{escape(''.join(old))}</del>")
        if new:
            parts.append(f"<ins>{escape(''.join(new))}</ins>")
    # Safe: every piece of text is escaped above.
    return mark_safe("".join(parts))


def word_runs(old: list[str], new: list[str]) -> list[tuple[bool, list[str], list[str]]]:
    """The runs of unchanged and changed words from `old` to `new`, as (changed, old words,
    new words). A mere space between two changes joins them, so that "The first" → "A new"
    reads as one change rather than two."""
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    runs: list[tuple[bool, list[str], list[str]]] = []
    for position, (operation, old_start, old_end, new_start, new_end) in enumerate(opcodes):
        old_part, new_part = old[old_start:old_end], new[new_start:new_end]
        changed = operation != "equal" or (
            0 < position < len(opcodes) - 1 and not "".join(old_part).strip()
        )
        if changed and runs and runs[-1][0]:
            _, old_run, new_run = runs.pop()
            old_part, new_part = old_run + old_part, new_run + new_part
        runs.append((changed, old_part, new_part))
    return runs


def words(text: str) -> list[str]:
    """`text` as words and the spaces between them, so that joining them gives it back."""
    return [token for token in re.split(r"(\s+)", text) if token]


def elided(tokens: list[str], *, at_start: bool, at_end: bool) -> str:
    """An unchanged run of words, keeping only the words next to the changes around it."""
    keep = 2 * CONTEXT_WORDS  # words and the spaces between them
    if at_start and at_end:
        return "".join(tokens)
    if at_start:
        return ELISION + "".join(tokens[-keep:]) if len(tokens) > keep else "".join(tokens)
    if at_end:
        return "".join(tokens[:keep]) + ELISION if len(tokens) > keep else "".join(tokens)
    if len(tokens) > 2 * keep:
        return "".join(tokens[:keep]) + ELISION + "".join(tokens[-keep:])
    return "".join(tokens)


def referenced_keys(
    model: type[Record], before: Document | None, after: Document
) -> dict[type[models.Model], set]:
    """The natural keys of the related objects that the changes from `before` to `after`
    name, by model: what `names` needs to show them by name."""
    before = before or {}
    fields = {field.name: field for field in own_fields(model)}
    keys: dict[type[models.Model], set] = defaultdict(set)
    for key in changed_keys(before, after):
        field = fields.get(key)
        if key in model.link_relations:
            rel = link_relation(model, key)
            row_fields = [f for f in own_fields(rel.related_model, rel.field.name) if f.many_to_one]
            removed, added = list_difference(before.get(key), after.get(key))
            for row in [*removed, *added]:
                for row_field in row_fields:
                    if row.get(row_field.name) is not None:
                        keys[row_field.related_model].add(row[row_field.name])
        elif field is not None and field.many_to_many:
            removed, added = list_difference(before.get(key), after.get(key))
            keys[field.related_model].update([*removed, *added])
        elif field is not None and field.many_to_one:
            keys[field.related_model].update(
                value for value in (before.get(key), after.get(key)) if value is not None
            )
    return dict(keys)


def public_summary(
    model: type[Record], action: str, changed_fields: list[str], publication: str
) -> PublicSummary:
    """What readers are told of a version of `model` in which the record was `publication`
    (published or archived): created, published, archived, verified, restored, removed, or
    updated with the labels of the fields that changed."""
    if action != VersionAction.CHANGED:
        return PublicSummary(PUBLIC_ACTION_EVENTS[action])
    if "publication" in changed_fields:
        # The state before may be one readers never saw: say only what they see now.
        return PublicSummary("archived" if publication == Publication.ARCHIVED else "published")
    shown = tuple(
        field_label(model, key) for key in changed_fields if key not in READER_EVENT_FIELDS
    )
    if shown:
        return PublicSummary("updated", shown)
    if "last_verified" in changed_fields:
        return PublicSummary("verified")
    return PublicSummary("updated")
