"""Bulk import and export in admin, for the records and the sources they cite.

Export: the change list's actions "Export selected as CSV / XLSX / JSON" download the selected
rows (select all, after filtering, for a filtered list) as `catalogue.tabular` writes them.

Import: an "Import" page per model takes a CSV, XLSX or JSON file and always shows a dry run
first, row by row: what each row will create or change, and every error. Only a file without
errors can be confirmed; the upload waits in the session meanwhile, and confirming imports it
afresh (`catalogue.imports`), all or nothing.
"""

import base64
import hashlib

from django import forms
from django.contrib import messages
from django.contrib.admin import action
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify

from catalogue.documents import documents
from catalogue.imports import import_rows
from catalogue.tabular import (
    TabularError,
    csv_export,
    format_of,
    json_export,
    read_rows,
    xlsx_export,
)

MAX_IMPORT_MEGABYTES = 5
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
        """Uploads a file and previews its dry run; confirms and imports a previewed file."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        session_key = f"catalogue-import-{opts.label_lower}"
        form, result, upload = ImportForm(), None, None
        if request.method == "POST" and "confirm" in request.POST:
            upload = request.session.get(session_key)
            if upload is None or upload["digest"] != request.POST.get("upload"):
                self.message_user(
                    request,
                    "That preview has expired or been replaced: upload the file again.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(self.import_url())
            try:
                result = self.run_import(request, upload, dry_run=False)
            except TabularError as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(self.import_url())
            if result.imported:
                del request.session[session_key]
                self.message_user(request, result.summary(), messages.SUCCESS)
                return HttpResponseRedirect(self.changelist_url())
        elif request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = uploaded(form.cleaned_data["file"])
                try:
                    result = self.run_import(request, upload, dry_run=True)
                except TabularError as error:
                    form.add_error("file", str(error))
                else:
                    request.session[session_key] = upload
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import {opts.verbose_name_plural}",
            "opts": opts,
            "form": form,
            "result": result,
            "upload": upload,
            "row_label": "Item" if upload and format_of(upload["file_name"]) == "json" else "Row",
            "changelist_url": self.changelist_url(),
        }
        return TemplateResponse(request, "admin/catalogue/import.html", context)

    def run_import(self, request, upload: dict, *, dry_run: bool):
        file_format = format_of(upload["file_name"])
        rows = read_rows(self.model, file_format, base64.b64decode(upload["content"]))
        return import_rows(
            self.model, rows, user=request.user, dry_run=dry_run, file_name=upload["file_name"]
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


def uploaded(file) -> dict:
    """An uploaded file as the session keeps it until its import is confirmed."""
    content = file.read()
    return {
        "file_name": file.name,
        "content": base64.b64encode(content).decode("ascii"),
        "digest": hashlib.sha256(content).hexdigest(),
    }
