"""The duplicate guard in admin (see `catalogue.duplicates`).

`RecordAdminForm` refuses to add a record, or rename one, whose name is close to an existing
record's until the curator ticks "This is not a duplicate: save anyway"; this mixin shows the
likely duplicates and that box above the form. While the curator types a name, a script asks
`likely_duplicates_view` for them and lists them under the field: only a hint, since saving
checks again.
"""

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse

from catalogue.duplicates import LikelyDuplicate, likely_duplicates


class DuplicateGuardAdminMixin:
    """For a record's `ModelAdmin` whose form is a `RecordAdminForm`."""

    class Media:
        js = ("catalogue/admin-likely-duplicates.js",)

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "likely-duplicates/",
                self.admin_site.admin_view(self.likely_duplicates_view),
                name=f"{opts.app_label}_{opts.model_name}_likely_duplicates",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        adminform = context["adminform"]
        form = adminform.form
        if form.likely_duplicates:
            adminform.fieldsets = [
                self.likely_duplicates_fieldset(form.likely_duplicates),
                *adminform.fieldsets,
            ]
        if "name" in form.fields:
            form.fields["name"].widget.attrs.update(
                {
                    "data-likely-duplicates-url": self.admin_url("likely_duplicates"),
                    "data-record": "" if obj is None else obj.pk,
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def likely_duplicates_fieldset(self, duplicates: list[LikelyDuplicate]) -> tuple:
        """The records a new name is close to, each linked, and the box to tick to save all the
        same."""
        listing = render_to_string(
            "admin/catalogue/likely_duplicates.html",
            {"duplicates": [(duplicate, self.change_url(duplicate)) for duplicate in duplicates]},
        )
        return (
            "Likely duplicates",
            {"fields": ("save_despite_duplicates",), "description": listing},
        )

    def likely_duplicates_view(self, request):
        """JSON: the likely duplicates of `name` (and `acronym`), leaving out the record being
        changed (`record`, its primary key)."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        try:
            record = self.model._meta.pk.to_python(request.GET.get("record") or None)
        except ValidationError:
            return JsonResponse({"error": {"record": "Give the id of a record."}}, status=400)
        duplicates = likely_duplicates(
            self.model,
            request.GET.get("name", ""),
            acronym=request.GET.get("acronym", ""),
            exclude_pk=record,
        )
        return JsonResponse(
            {
                "duplicates": [
                    {
                        "name": duplicate.record.name,
                        "reason": duplicate.reason,
                        "publication": duplicate.record.get_publication_display(),
                        "url": self.change_url(duplicate),
                    }
                    for duplicate in duplicates
                ]
            }
        )

    def admin_url(self, view: str, *args) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}", args=args
        )

    def change_url(self, duplicate: LikelyDuplicate) -> str:
        return self.admin_url("change", quote(duplicate.record.pk))
