"""A record's history in admin: its versions with what each changed, a revert to any of them,
and the recovery of deleted records (see `catalogue.history`, which keeps the versions).

`HistoryAdminMixin` is one of `RecordAdmin`'s bases. Its pages ask the admin's own permission
methods, so the editorial workflow's rules apply: whoever may view a record sees its history;
whoever may change it (a contributor: only a draft) may revert it; whoever may delete records of
its kind (curators) may restore one.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.timezone import localtime

from catalogue import history, workflow
from catalogue.admin.forms import ChangeNoteForm, RevertForm
from catalogue.diffs import FieldChange, Names, field_label, record_changes, referenced_keys
from catalogue.documents import Document, DocumentInvalid, natural_key_field, record_document
from catalogue.models import Publication, Record, Version

VERSIONS_PER_PAGE = 50
# Who a version is by when nobody signed in made it: the seed catalogue, a command, a shell.
SYSTEM_AUTHOR = "Sciplo"


@dataclass(frozen=True)
class HistoryEntry:
    """A version as the history page lists it: its changes from the version before, the
    labels of the fields it changed, and where to revert to it (if the user may)."""

    version: Version
    changes: list[FieldChange]
    changed_labels: list[str]
    revert_url: str


def related_names(references: Mapping[type[models.Model], set]) -> Names:
    """The names to show the related objects that `references` gives by natural key: one query
    per model. An object since deleted keeps showing by its key."""
    names = {}
    for model, keys in references.items():
        key_field = natural_key_field(model)
        for obj in model.objects.filter(**{f"{key_field}__in": keys}):
            names[(model._meta.label_lower, getattr(obj, key_field))] = str(obj)
    return names


def names_for(model: type[Record], pairs: Iterable[tuple[Document | None, Document]]) -> Names:
    """The names the changes between each (before, after) pair of documents need."""
    references: dict[type[models.Model], set] = defaultdict(set)
    for before, after in pairs:
        for related_model, keys in referenced_keys(model, before, after).items():
            references[related_model] |= keys
    return related_names(references)


class HistoryAdminMixin:
    """For a record's `ModelAdmin`: the History page lists the record's versions, newest first,
    each with a readable diff against the version before it and a revert; the list page links
    to the record's kind's deleted records, which can be restored with their relations."""

    object_history_template = "admin/catalogue/record_history.html"

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "<path:object_id>/history/<int:version_id>/revert/",
                self.admin_site.admin_view(self.revert_view),
                name=f"{prefix}_revert",
            ),
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name=f"{prefix}_deleted",
            ),
            path(
                "deleted/<int:version_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name=f"{prefix}_restore",
            ),
            *super().get_urls(),
        ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        may_write = (
            self.has_add_permission(request)
            if obj is None
            else self.has_change_permission(request, obj)
        )
        if not may_write:
            return fieldsets
        return (*fieldsets, ("History", {"fields": ("change_note",)}))

    def save_model(self, request, obj, form, change):
        # The request's recording keeps one version for the record and its inlines together.
        history.describe_change(form.cleaned_data.get("change_note", ""))
        super().save_model(request, obj, form, change)

    # The catalogue's versions are a record's one audit trail: admin's own log (`LogEntry`) is
    # not written for records beside them.
    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None

    def changelist_view(self, request, extra_context=None):
        if self.has_delete_permission(request):
            extra_context = {
                **(extra_context or {}),
                "recover_deleted_url": self.admin_url("deleted"),
                "recover_deleted_label": f"Recover deleted {self.model._meta.verbose_name_plural}",
            }
        return super().changelist_view(request, extra_context)

    def admin_url(self, view: str, *args) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}",
            args=[quote(arg) for arg in args],
        )

    def page_context(self, request, title: str, **context) -> dict[str, Any]:
        opts = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": opts,
            "module_name": capfirst(opts.verbose_name_plural),
            **context,
        }

    def history_view(self, request, object_id, extra_context=None):
        """The record's versions, newest first: when, who, what, why, and the changes."""
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_view_or_change_permission(request, record):
            raise PermissionDenied
        versions = Version.objects.of(record)
        paginator = self.get_paginator(request, versions, VERSIONS_PER_PAGE)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        shown = list(page.object_list)
        # Each version is compared with the one before it, which for the page's last version
        # is on the next page (or nowhere, for the first version of all).
        older = list(versions[page.end_index() : page.end_index() + 1]) if shown else []
        previous = [*shown[1:], *older, None][: len(shown)]
        pairs = [
            (before.document if before else None, version.document)
            for version, before in zip(shown, previous, strict=True)
        ]
        names = names_for(self.model, pairs)
        may_revert = self.has_change_permission(request, record)
        entries = [
            HistoryEntry(
                version=version,
                changes=record_changes(self.model, before, after, names),
                changed_labels=[field_label(self.model, key) for key in version.changed_fields],
                # The newest version is the record as it is: nothing to revert to.
                revert_url=(
                    self.admin_url("revert", record.pk, version.pk)
                    if may_revert and not (page.number == 1 and position == 0)
                    else ""
                ),
            )
            for position, (version, (before, after)) in enumerate(zip(shown, pairs, strict=True))
        ]
        context = self.page_context(
            request,
            f"Change history: {record}",
            object=record,
            entries=entries,
            page_obj=page,
            page_range=paginator.get_elided_page_range(page.number),
            page_var=PAGE_VAR,
            system_author=SYSTEM_AUTHOR,
            **(extra_context or {}),
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def revert_view(self, request, object_id, version_id):
        """Shows what reverting the record to a version changes, then reverts it."""
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.of(record), pk=version_id)
        current = record_document(record)
        target = history.restorable(version.document)
        errors = self.publication_refusal(request, current, target)
        when = f"{localtime(version.created_at):%d %B %Y %H:%M}"
        history_url = self.admin_url("history", record.pk)
        form = RevertForm(
            request.POST if request.method == "POST" else None,
            initial={"saves_when_opened": record.lock_version},
        )
        confirmed = request.method == "POST" and not errors and form.is_valid()
        saved_since = confirmed and form.cleaned_data["saves_when_opened"] != record.lock_version
        if saved_since:
            # Asked again, with the changes from the record as it is now.
            form = RevertForm(
                initial={
                    "saves_when_opened": record.lock_version,
                    "change_note": form.cleaned_data["change_note"],
                }
            )
        elif confirmed:
            try:
                reverted = history.revert(
                    record, version, user=request.user, message=form.cleaned_data["change_note"]
                )
            except DocumentInvalid as error:
                errors = self.labelled_errors(error.messages_by_field)
            else:
                self.message_user(
                    request, f'"{reverted}" is back to its version of {when}.', messages.SUCCESS
                )
                return HttpResponseRedirect(self.admin_url("change", record.pk))
        changes = record_changes(
            self.model, current, target, names_for(self.model, [(current, target)])
        )
        context = self.page_context(
            request,
            f"Revert {record} to its version of {when}",
            object=record,
            version=version,
            system_author=SYSTEM_AUTHOR,
            changes=changes,
            errors=errors,
            saved_since=saved_since,
            form=form,
            history_url=history_url,
        )
        return TemplateResponse(request, "admin/catalogue/record_revert.html", context)

    def publication_refusal(
        self, request, current: Document, target: Document
    ) -> dict[str, list[str]]:
        """Refuses a revert that would put the record in a state the user may not set (a
        contributor publishing a draft by reverting it to a published version)."""
        publication = target.get("publication", current["publication"])
        if publication == current["publication"] or workflow.can_set_publication(
            request.user, self.model, publication
        ):
            return {}
        label = Publication(publication).label
        return {
            field_label(self.model, "publication"): [
                f"This version is {label}; only a curator may make the record {label}."
            ]
        }

    def labelled_errors(self, messages_by_field: dict[str, list[str]]) -> dict[str, list[str]]:
        return {field_label(self.model, key): texts for key, texts in messages_by_field.items()}

    def deleted_view(self, request):
        """The deleted records of this kind, each with when, by whom, and a restore."""
        if not self.has_delete_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        paginator = self.get_paginator(
            request, Version.objects.deleted(self.model), VERSIONS_PER_PAGE
        )
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = self.page_context(
            request,
            f"Recover deleted {opts.verbose_name_plural}",
            versions=page.object_list,
            page_obj=page,
            page_range=paginator.get_elided_page_range(page.number),
            page_var=PAGE_VAR,
            system_author=SYSTEM_AUTHOR,
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalogue/deleted_records.html", context)

    def restore_view(self, request, version_id):
        """Shows a deleted record as it will come back, then restores it."""
        if not self.has_delete_permission(request):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.deleted(self.model), pk=version_id)
        errors = {}
        form = ChangeNoteForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                record = history.restore(
                    version, user=request.user, message=form.cleaned_data["change_note"]
                )
            except DocumentInvalid as error:
                errors = self.labelled_errors(error.messages_by_field)
            else:
                self.message_user(request, f'"{record}" is restored.', messages.SUCCESS)
                return HttpResponseRedirect(self.admin_url("change", record.pk))
        document = version.document
        context = self.page_context(
            request,
            f"Restore {version.name}",
            version=version,
            system_author=SYSTEM_AUTHOR,
            changes=record_changes(
                self.model, None, document, names_for(self.model, [(None, document)])
            ),
            errors=errors,
            form=form,
            deleted_url=self.admin_url("deleted"),
        )
        return TemplateResponse(request, "admin/catalogue/record_restore.html", context)
