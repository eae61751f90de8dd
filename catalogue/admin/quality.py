"""What admin shows curators about the catalogue's quality: the verification and "needs
attention" list filters of every record's list, the link checks, and the curators' dashboard."""

from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from catalogue import links, quality, tasks
from catalogue.history import RECORD_MODELS
from catalogue.models import LinkCheck, Publication, Record


class VerificationFilter(admin.SimpleListFilter):
    """When a record was last checked against its sources (see `Record.is_verification_overdue`)."""

    title = "verification"
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [
            ("never", "never verified"),
            ("overdue", "over a year ago"),
            ("current", "within the last year"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "never":
                return queryset.never_verified()
            case "overdue":
                return queryset.verification_overdue()
            case "current":
                return queryset.verification_current()
        return queryset


class QualityFilter(admin.SimpleListFilter):
    """The records failing one of the model's data-quality checks (`catalogue.quality`)."""

    title = "needs attention"
    parameter_name = "quality"

    def lookups(self, request, model_admin):
        return [(check.slug, check.label) for check in quality.checks_of(model_admin.model)]

    def queryset(self, request, queryset):
        check = quality.check_of(queryset.model, self.value())
        return queryset if check is None else check.records(queryset)


def changelist_url(model, **filters) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


@admin.display(description="link check")
def website_check(record: Record) -> str:
    """What the last link check found at the record's website."""
    if not record.website:
        return ""
    check = LinkCheck.objects.filter(url=record.website).first()
    if check is None:
        return "Not checked yet (manage.py check_links)."
    checked = date_format(localtime(check.checked_at), "j F Y")
    found = links.problem(check.status_code, check.error)
    if check.is_broken:
        return format_html(
            '<span class="errornote">Broken: {} (checked {}).</span>', found, checked
        )
    return f"Working: {found} (checked {checked})."


class BrokenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "broken"

    def lookups(self, request, model_admin):
        return [("yes", "broken"), ("no", "working")]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.filter(is_broken=True)
            case "no":
                return queryset.filter(is_broken=False)
        return queryset


class LinkCheckChangeList(ChangeList):
    """Knows, for the URLs on the page, which records and sources use them."""

    def get_results(self, request):
        super().get_results(request)
        users = links.users_of(check.url for check in self.result_list)
        for check in self.result_list:
            check.users = users.get(check.url, [])


class LinkCheckAdmin(admin.ModelAdmin):
    """The last check of each URL, written by `manage.py check_links`, or by the task worker
    when a curator asks for a check on this list (`check_view`), which shows how far it has
    come."""

    # Declared, so that admin need not build a form to learn them (a check is never edited).
    fields = ("url", "status_code", "error", "is_broken", "checked_at")
    list_display = ("url_link", "state", "status_code", "error", "checked_at", "used_by")
    list_display_links = None
    list_filter = (BrokenFilter,)
    search_fields = ("url",)
    ordering = ("-is_broken", "url")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return LinkCheckChangeList

    def get_urls(self):
        return [
            path(
                "check/",
                self.admin_site.admin_view(self.check_view),
                name="catalogue_linkcheck_check",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {
            "check_url": reverse(f"{self.admin_site.name}:catalogue_linkcheck_check"),
            "check_progress": tasks.progress(tasks.LINK_CHECK),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    @method_decorator(require_POST)
    def check_view(self, request):
        """Queues a check of every link for the task worker, unless one is under way."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if tasks.start_link_check():
            self.message_user(
                request,
                "The check of every link has begun; this page says how far it has come.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, "A check of every link is under way already.", messages.INFO)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:catalogue_linkcheck_changelist")
        )

    @admin.display(description="URL", ordering="url")
    def url_link(self, check: LinkCheck) -> str:
        return format_html('<a href="{}" rel="external noreferrer">{}</a>', check.url, check.url)

    @admin.display(description="state", ordering="is_broken")
    def state(self, check: LinkCheck) -> str:
        return format_html("<strong>{}</strong>", "broken") if check.is_broken else "working"

    @admin.display(description="used by")
    def used_by(self, check: LinkCheck) -> str:
        return format_html_join(
            ", ",
            '<a href="{}">{} {}</a>',
            ((change_url(user), user._meta.verbose_name, user) for user in check.users),
        )


@dataclass(frozen=True)
class Tally:
    """A number of records, described, with the admin list that shows them."""

    label: str
    count: int
    url: str


def dashboard(request):
    """The curators' dashboard: per kind of record the user may see, the records in review, those
    failing each data-quality check, and the link checks' result; each count links to the admin
    list of its records. One query per kind of record, one for the link checks."""
    models = [
        model
        for model in RECORD_MODELS
        if admin.site.get_model_admin(model).has_view_or_change_permission(request)
    ]
    sees_link_checks = admin.site.get_model_admin(LinkCheck).has_view_permission(request)
    if not models and not sees_link_checks:
        raise PermissionDenied
    review_queue = "Review queue"
    sections = {review_queue: [], **{concern.label: [] for concern in quality.Concern}}
    for model in models:
        counts = model.objects.aggregate(
            in_review=Count("pk", filter=Q(publication=Publication.IN_REVIEW)),
            **quality.check_counts(model),
        )
        plural = model._meta.verbose_name_plural.capitalize()
        sections[review_queue].append(
            Tally(
                f"{plural} in review",
                counts["in_review"],
                changelist_url(model, publication__exact=Publication.IN_REVIEW),
            )
        )
        for check in quality.checks_of(model):
            sections[check.concern.label].append(
                Tally(
                    f"{plural} {check.label}",
                    counts[check.slug],
                    changelist_url(model, **{QualityFilter.parameter_name: check.slug}),
                )
            )
    context = {
        **admin.site.each_context(request),
        "title": "Curators' dashboard",
        "sections": [(heading, tallies) for heading, tallies in sections.items() if tallies],
    }
    if sees_link_checks:
        context["link_checks"] = LinkCheck.objects.aggregate(
            checked=Count("pk"),
            broken=Count("pk", filter=Q(is_broken=True)),
            last=Max("checked_at"),
        )
        context["broken_links_url"] = changelist_url(
            LinkCheck, **{BrokenFilter.parameter_name: "yes"}
        )
    return TemplateResponse(request, "admin/catalogue/dashboard.html", context)
