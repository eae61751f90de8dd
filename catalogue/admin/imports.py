"""Bulk import and export in admin, for the records and the sources they cite.

Export: the change list's actions "Export selected as CSV / XLSX / JSON" download the selected
rows (select all, after filtering, for a filtered list) as `catalogue.tabular` writes them.

Import: an "Import" page per model takes a CSV, XLSX or JSON file, kept as an `ImportJob`, and
always shows a dry run first, row by row: what each row will create or change, and every error.
Only a file without errors can be confirmed, which imports it afresh (`catalogue.imports`), all
or nothing. Both runs are tasks of the task worker (`catalogue.tasks`), whatever the file's
size; the job's page shows how far a run has come, and refreshes itself until it ends.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import action
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify

from catalogue.documents import documents
from catalogue.imports import ImportResult, RowOutcome
from catalogue.models import ImportJob, ImportState
from catalogue.tabular import TabularError, csv_export, format_of, json_export, xlsx_export
from catalogue.tasks import import_key, job_result, progress, run_import

MAX_IMPORT_MEGABYTES = 5
# How many of a curator's latest imports the import page lists, and how many rows of a file
# its page shows.
RECENT_IMPORTS = 10
PREVIEW_ROWS = 1000
EXPORT_ACTIONS = ("export_csv", "export_xlsx", "export_json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text=(
            f"CSV, XLSX or JSON, up to {MAX_IMPORT_MEGABYTES} MB, with the columns of an export. "
            "Nothing is imported before you confirm the preview."
        )
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            format_of(upload.name)
        except TabularError as error:
            raise ValidationError(str(error)) from None
        if upload.size > MAX_IMPORT_MEGABYTES * 1024 * 1024:
            raise ValidationError(
                f"The file is larger than {MAX_IMPORT_MEGABYTES} MB: import it in parts."
            )
        return upload


class ImportExportAdminMixin:
    """For a `ModelAdmin`: an import page, linked from the change list, and export actions."""

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            path(
                "import/<uuid:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name=f"{opts.app_label}_{opts.model_name}_import_job",
            ),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if IS_POPUP_VAR not in request.GET and self.has_view_permission(request):
            actions.update((name, self.get_action(name)) for name in EXPORT_ACTIONS)
        return actions

    def changelist_view(self, request, extra_context=None):
        if self.has_import_permission(request):
            extra_context = {**(extra_context or {}), "import_url": self.import_url()}
        return super().changelist_view(request, extra_context)

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_url(self) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_import")

    def changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")

    def import_view(self, request):
        """Uploads a file to import: it is kept, and checked by the task worker."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportForm()
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                job = ImportJob.objects.create(
                    model=self.model._meta.label_lower,
                    file_name=form.cleaned_data["file"].name,
                    content=form.cleaned_data["file"].read(),
                    user=request.user,
                    state=ImportState.PREVIEW_QUEUED,
                )
                run_import.enqueue(str(job.pk))
                return HttpResponseRedirect(self.import_job_url(job))
        return self.import_page(request, form=form, recent=self.recent_imports(request))

    def import_job_view(self, request, job_id):
        """An uploaded file: how far its check or import has come, its preview row by row, and
        the confirmation that imports it."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        jobs = ImportJob.objects.defer("content")
        job = get_object_or_404(
            jobs, pk=job_id, user=request.user, model=self.model._meta.label_lower
        )
        result = job_result(job)
        if request.method == "POST" and "confirm" in request.POST:
            can_import = job.state == ImportState.PREVIEWED and not result.has_errors
            if can_import and jobs.filter(pk=job.pk, state=job.state).update(
                state=ImportState.IMPORT_QUEUED
            ):
                run_import.enqueue(str(job.pk))
            else:
                self.message_user(
                    request,
                    "This file cannot be imported: it has errors, or was imported already.",
                    messages.ERROR,
                )
            return HttpResponseRedirect(self.import_job_url(job))
        return self.import_page(
            request,
            form=ImportForm(),
            job=job,
            result=result,
            shown_rows=shown_rows(result),
            progress=progress(import_key(job)) if job.is_running else None,
            row_label="Item" if format_of(job.file_name) == "json" else "Row",
        )

    def import_page(self, request, **context) -> TemplateResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import {opts.verbose_name_plural}",
            "opts": opts,
            "changelist_url": self.changelist_url(),
            "import_url": self.import_url(),
            **context,
        }
        return TemplateResponse(request, "admin/catalogue/import.html", context)

    def recent_imports(self, request) -> list[ImportJob]:
        jobs = ImportJob.objects.filter(user=request.user, model=self.model._meta.label_lower)
        return list(jobs.defer("content", "rows")[:RECENT_IMPORTS])

    def import_job_url(self, job: ImportJob) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_import_job", args=[job.pk]
        )

    @action(description="Export selected as CSV")
    def export_csv(self, request, queryset):
        return self.export(queryset, "csv")

    @action(description="Export selected as XLSX")
    def export_xlsx(self, request, queryset):
        return self.export(queryset, "xlsx")

    @action(description="Export selected as JSON")
    def export_json(self, request, queryset):
        return self.export(queryset, "json")

    def export(self, queryset, file_format: str) -> HttpResponse:
        """The documents of `queryset` as a download named after the model and the day."""
        model = self.model
        selected = documents(queryset)
        if file_format == "xlsx":
            response = HttpResponse(xlsx_export(model, selected))
        elif file_format == "csv":
            response = StreamingHttpResponse(csv_export(model, selected))
        else:
            response = StreamingHttpResponse(json_export(selected))
        response["Content-Type"] = CONTENT_TYPES[file_format]
        name = slugify(model._meta.verbose_name_plural)
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{timezone.localdate().isoformat()}.{file_format}"'
        )
        return response


def shown_rows(result: ImportResult | None) -> list[RowOutcome]:
    """The rows of an import's page: all of them, or for a file of more than a page's worth
    the refused ones (else the first), up to a page's worth."""
    if result is None:
        return []
    if len(result.rows) <= PREVIEW_ROWS:
        return result.rows
    return (result.error_rows or result.rows)[:PREVIEW_ROWS]
