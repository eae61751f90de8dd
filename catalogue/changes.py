"""The public change log: what readers are told of the records' history.

A version is public when the record was published or archived in it, a state readers could
see. Readers learn when a record changed and which of its fields (`diffs.public_summary`), never
who changed it nor the curator's message, which may hold editorial remarks, nor anything of the
states they could not see. Record pages show a record's latest public changes; the Atom feed
(`catalogue.views.feeds`) the latest across the catalogue.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform

from catalogue.compiled import CompiledRecords
from catalogue.diffs import PublicSummary, public_summary
from catalogue.models import Publication, Record, Version
from catalogue.models.curation import VersionAction

PUBLIC_STATES = (Publication.PUBLISHED, Publication.ARCHIVED)
RECORD_PAGE_CHANGES = 5
FEED_CHANGES = 50


@dataclass(frozen=True)
class PublicChange:
    """One public version: when, the record's name then, what readers are told, and (in the
    feed) the record as it is now, whose page the entry links to."""

    version_id: int
    when: datetime.datetime
    name: str
    summary: PublicSummary
    record: Record | None = None


def public_versions() -> QuerySet:
    """The versions readers may know of, newest first, without their documents (only the
    publication state is read from them)."""
    return (
        Version.objects.filter(document__publication__in=PUBLIC_STATES)
        .annotate(publication=KeyTextTransform("publication", "document"))
        .only("record_type", "record_id", "name", "action", "changed_fields", "created_at")
    )


def public_change(
    model: type[Record], version: Version, record: Record | None = None
) -> PublicChange:
    return PublicChange(
        version_id=version.pk,
        when=version.created_at,
        name=version.name,
        summary=public_summary(model, version.action, version.changed_fields, version.publication),
        record=record,
    )


def record_changes(record: Record) -> list[PublicChange]:
    """The latest public changes of `record`, in one query."""
    versions = latest_public_versions(type(record), record._state.db).instances([record.pk])
    return [public_change(type(record), version) for version in versions]


@cache
def latest_public_versions(model: type[Record], using: str) -> CompiledRecords:
    """The latest public versions of a record of `model`, compiled once."""
    opts = model._meta
    # Content type by its natural key, joined, rather than looked up in the (maybe cold)
    # content-type cache: the page's query count stays the same on every request.
    versions = public_versions().filter(
        record_type__app_label=opts.app_label, record_type__model=opts.model_name
    )
    return CompiledRecords(
        lambda ids: versions.filter(record_id__in=ids)[:RECORD_PAGE_CHANGES], using
    )


def recent_changes(limit: int = FEED_CHANGES) -> list[PublicChange]:
    """The latest public changes across the catalogue, of records readers can open now: a
    record since deleted or withdrawn from publication is left out, so every change links to a
    page. One query for the versions, then one per kind of record among them."""
    versions = list(
        public_versions()
        .exclude(action=VersionAction.DELETED)
        .select_related("record_type")[:limit]
    )
    ids_by_model: dict[type[Record], set[int]] = defaultdict(set)
    for version in versions:
        ids_by_model[version.record_type.model_class()].add(version.record_id)
    reachable = {
        (model, record.pk): record
        for model, ids in ids_by_model.items()
        for record in model.objects.reachable().filter(pk__in=ids).only("slug")
    }
    changes = []
    for version in versions:
        model = version.record_type.model_class()
        record = reachable.get((model, version.record_id))
        if record is not None:
            changes.append(public_change(model, version, record))
    return changes
