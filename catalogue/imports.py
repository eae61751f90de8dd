"""Bulk imports: the rows of a file (`catalogue.tabular`) saved as records, all or nothing.

Each row is a document (`catalogue.documents`) matched to a record by its slug: a new slug
creates a record, a known one updates it, through the same validation as every other write. The
whole import is one recording (`catalogue.history`), so each record it changes gets a version
naming the importing user and the file; if any row is refused, or on a dry run, nothing is kept.
"""

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import models, transaction

from catalogue import history, workflow
from catalogue.documents import (
    Document,
    DocumentInvalid,
    changed_fields,
    documents,
    own_fields,
    record_document,
    save_document,
)
from catalogue.models import Publication, Record
from catalogue.tabular import Row


class RowAction(enum.StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass
class RowOutcome:
    """What an import does with one row of the file, or what is wrong with it (messages by
    field; a link row's prefixed with its position in the cell)."""

    number: int
    slug: str
    name: str = ""
    action: RowAction | None = None
    changed_fields: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ImportResult:
    """The outcome of every row, in the file's order."""

    rows: list[RowOutcome]
    dry_run: bool

    @property
    def has_errors(self) -> bool:
        return bool(self.error_rows)

    @property
    def error_rows(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.errors]

    @property
    def imported(self) -> bool:
        """Whether the rows were written: not a dry run, and no row refused."""
        return not self.dry_run and not self.has_errors

    def count(self, action: RowAction) -> int:
        return sum(row.action == action for row in self.rows)

    def summary(self) -> str:
        """ "Imported 5 rows: 2 created, 1 changed, 2 unchanged." """
        text = (
            f"Imported {len(self.rows)} row{'s' if len(self.rows) != 1 else ''}: "
            f"{self.count(RowAction.CREATED)} created, {self.count(RowAction.CHANGED)} changed"
        )
        unchanged = self.count(RowAction.UNCHANGED)
        return text + (f", {unchanged} unchanged." if unchanged else ".")


def import_rows(
    model: type[models.Model],
    rows: Sequence[Row],
    *,
    user: history.User,
    dry_run: bool,
    file_name: str,
    progress: Callable[[int], object] | None = None,
) -> ImportResult:
    """Creates or updates a record of `model` from each row, matched by slug, in one
    transaction kept only if every row is valid and this is not a `dry_run`.

    A row may name a record that a later row creates (an actor's parent further down): rows are
    saved after those they refer to. A user who may not publish `model` may create and change
    drafts only (`catalogue.workflow`); the caller checks that `user` may add and change
    `model`. `progress` is told how many rows are done after each.
    """
    outcomes = [row_outcome(row) for row in rows]
    refuse_repeated_slugs(rows, outcomes)
    slugs = [outcome.slug for outcome in outcomes]
    with (
        history.recording(user=user, message=f"Imported from {file_name}") as recording,
        recording.savepoint(),
    ):
        # Locked until the import ends, so that its rows change the records as read here and
        # the workflow judges the states they are in.
        existing = model.objects.filter(slug__in=set(slugs) - {""}).select_for_update(of=("self",))
        instances = {instance.slug: instance for instance in existing}
        before = {document["slug"]: document for document in documents(existing)}
        for done, index in enumerate(save_order(model, rows, slugs), start=1):
            outcome = outcomes[index]
            if not outcome.errors:
                document, instance = rows[index].document, instances.get(outcome.slug)
                outcome.errors = publication_errors(model, user, document, instance)
            if not outcome.errors:
                save_row(model, document, instance, before.get(outcome.slug), outcome, recording)
            if progress:
                progress(done)
        result = ImportResult(outcomes, dry_run=dry_run)
        if not result.imported:
            transaction.set_rollback(True)
    return result


def row_outcome(row: Row) -> RowOutcome:
    slug = row.document.get("slug", "")
    name = row.document.get("name", row.document.get("title", ""))
    outcome = RowOutcome(row.number, slug=str(slug or ""), name=str(name or ""))
    outcome.errors = dict(row.errors)
    if not isinstance(slug, str) and "slug" not in outcome.errors:
        outcome.errors["slug"] = ["Write the slug as text."]
    return outcome


def refuse_repeated_slugs(rows: Sequence[Row], outcomes: list[RowOutcome]) -> None:
    first_row_of: dict[str, int] = {}
    for row, outcome in zip(rows, outcomes, strict=True):
        if not outcome.slug:
            continue
        if outcome.slug in first_row_of:
            outcome.errors.setdefault("slug", []).append(
                f'Row {first_row_of[outcome.slug]} already has the slug "{outcome.slug}".'
            )
        else:
            first_row_of[outcome.slug] = row.number


def save_order(model: type[models.Model], rows: Sequence[Row], slugs: Sequence[str]) -> list[int]:
    """The positions of `rows` (whose slugs are `slugs`) in an order that saves a record before
    the rows that refer to it through a field pointing at `model` itself (an actor's parent),
    otherwise as in the file. Rows that refer to each other in a circle keep the file's order:
    validation then says which reference cannot be made."""
    self_references = [
        f.name for f in own_fields(model) if f.is_relation and f.related_model is model
    ]
    references = []
    for row, slug in zip(rows, slugs, strict=True):
        values = [row.document.get(name) for name in self_references]
        keys = [key for value in values for key in (value if isinstance(value, list) else [value])]
        references.append({key for key in keys if isinstance(key, str)} - {slug})
    unsaved = set(slugs)
    remaining = list(range(len(rows)))
    order: list[int] = []
    while remaining:
        ready = [index for index in remaining if not references[index] & unsaved] or remaining
        order += ready
        unsaved -= {slugs[index] for index in ready}
        remaining = [index for index in remaining if index not in set(ready)]
    return order


def publication_errors(
    model: type[models.Model],
    user: history.User,
    document: Document,
    instance: models.Model | None,
) -> dict[str, list[str]]:
    """Why `user` may not write this row under the editorial workflow (`catalogue.workflow`):
    a user who may not publish imports drafts only, new or changed; they submit them for review
    one by one."""
    if not issubclass(model, Record) or workflow.can_publish(user, model):
        return {}
    opts = model._meta
    if instance is not None and not workflow.can_edit(user, instance):
        state = Publication(instance.publication).label
        return {
            "publication": [
                f"This {opts.verbose_name} is {state}: only a curator may change it; you may "
                "change drafts."
            ]
        }
    publication = document.get("publication", Publication.DRAFT)
    if publication in Publication.values and publication != Publication.DRAFT:
        return {
            "publication": [
                f"Only a curator may import a record {Publication(publication).label}; import "
                "it as a draft."
            ]
        }
    return {}


def save_row(
    model: type[models.Model],
    document: Document,
    instance: models.Model | None,
    before: Document | None,
    outcome: RowOutcome,
    recording: history.Recording,
) -> None:
    """Saves one row's document into `instance` (whose document was `before`), or a new
    record, and notes in `outcome` what that did; a row that changes nothing is not saved at
    all, so that its record's `updated_at` stays."""
    try:
        with recording.savepoint():
            record = save_document(model, document, instance=instance)
            outcome.name = str(record)
            if before is None:
                outcome.action = RowAction.CREATED
            elif changes := changed_fields(before, record_document(record)):
                outcome.action = RowAction.CHANGED
                outcome.changed_fields = changes
            else:
                outcome.action = RowAction.UNCHANGED
                transaction.set_rollback(True)
    except DocumentInvalid as error:
        outcome.errors = error.messages_by_field
