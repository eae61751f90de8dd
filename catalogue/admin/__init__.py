"""Django admin for curators: every model, with the relations edited inline."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.utils import timezone

from catalogue.admin.duplicates import DuplicateGuardAdminMixin
from catalogue.admin.forms import RecordAdminForm
from catalogue.admin.history import HistoryAdminMixin
from catalogue.admin.imports import ImportExportAdminMixin
from catalogue.admin.quality import (
    LinkCheckAdmin,
    QualityFilter,
    VerificationFilter,
    website_check,
)
from catalogue.admin.workflow import WorkflowAdminMixin, WorkflowInlineMixin
from catalogue.history import describe_change
from catalogue.models import (
    SDG,
    Actor,
    ActorCitation,
    Agreement,
    AgreementCitation,
    AgreementParty,
    Audience,
    City,
    CityCitation,
    Country,
    Course,
    CourseCitation,
    CourseProvider,
    Dimension,
    Driver,
    Initiative,
    InitiativeCitation,
    LinkCheck,
    Participation,
    Source,
    SynonymGroup,
    Theme,
)
from catalogue.services import MAX_RELATED

admin.site.site_header = "Sciplo curation"
admin.site.site_title = "Sciplo curation"
admin.site.index_title = "Catalogue"

RECORD_FIELDS_BEFORE = ("name", "acronym", "alternative_names", "slug", "summary", "description")
RECORD_FIELDS_AFTER = ("website", website_check, "wikidata_id")


def record_fieldsets(*specific_fields) -> tuple:
    """The same frame on every record's form: what it is, its own facts, links, curation."""
    return (
        (None, {"fields": RECORD_FIELDS_BEFORE}),
        ("Details", {"fields": specific_fields}),
        ("Links", {"fields": RECORD_FIELDS_AFTER}),
        ("Curation", {"fields": ("publication", "last_verified")}),
    )


class CatalogueAdmin(admin.ModelAdmin):
    # A curator who types "example.org" means https://example.org.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class LinkRowInline(WorkflowInlineMixin, admin.TabularInline):
    """A record's link rows, at most as many as every other way of writing allows."""

    extra = 0
    max_num = MAX_RELATED

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_max=True, **kwargs)


class ActorLinkInline(LinkRowInline):
    """An actor's part in a record: a participation, a provision, a party."""

    autocomplete_fields = ("actor",)


class CitationInline(LinkRowInline):
    fields = ("source", "locator")
    autocomplete_fields = ("source",)
    verbose_name = "source cited"
    verbose_name_plural = "sources cited"


class RecordAdmin(
    DuplicateGuardAdminMixin,
    HistoryAdminMixin,
    WorkflowAdminMixin,
    ImportExportAdminMixin,
    CatalogueAdmin,
):
    """What every record's admin shares; subclasses add their own columns, filters and inlines."""

    form = RecordAdminForm
    search_fields = ("name", "acronym", "alternative_names", "slug", "summary")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at", website_check)
    list_filter = ("publication",)
    list_per_page = 50
    actions = (*WorkflowAdminMixin.actions, "mark_verified")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        timestamps = ("created_at", "updated_at")
        if self.has_change_permission(request, obj):
            timestamps += ("saves_when_opened",)
        return (*fieldsets, ("Timestamps", {"fields": timestamps}))

    def get_object(self, request, object_id, from_field=None):
        record = super().get_object(request, object_id, from_field)
        if record is None or request.method in ("GET", "HEAD"):
            return record
        # The row as it is now, locked until the request's transaction ends: the form, the
        # workflow and the permissions judge what the save will write over.
        return self.model.objects.select_for_update().get(pk=record.pk)

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), VerificationFilter, QualityFilter)

    @admin.action(description="Mark the selected records verified today", permissions=["change"])
    def mark_verified(self, request, queryset):
        """Sets `last_verified` to today on each selected record the user may change, saving
        each, so that each gets a version."""
        today = timezone.localdate()
        describe_change("Verified against its sources.")
        verified, refused = 0, []
        chosen = self.model.objects.filter(pk__in=queryset.values("pk"))
        for record in chosen.exclude(last_verified=today).select_for_update():
            if not self.has_change_permission(request, record):
                refused.append(f'"{record}"')
                continue
            record.last_verified = today
            record.save(update_fields=["last_verified"])
            verified += 1
        self.message_user(request, f"{verified} record(s) marked verified today.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{len(refused)} record(s) you may not change left as they were: "
                f"{', '.join(refused)}.",
                messages.WARNING,
            )


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "numeric_code", "region", "sub_region")
    list_filter = ("region", "sub_region")
    search_fields = ("name", "code")


@admin.register(SDG)
class SDGAdmin(admin.ModelAdmin):
    list_display = ("number", "name")
    search_fields = ("name", "=number")


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "description")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


admin.site.register(Theme, VocabularyAdmin)
admin.site.register(Dimension, VocabularyAdmin)
admin.site.register(Driver, VocabularyAdmin)
admin.site.register(Audience, VocabularyAdmin)
admin.site.register(LinkCheck, LinkCheckAdmin)


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("__str__", "slug", "note")
    search_fields = ("terms", "slug", "note")


@admin.register(Source)
class SourceAdmin(ImportExportAdminMixin, CatalogueAdmin):
    list_display = ("title", "author", "kind", "published_display", "url")
    list_filter = ("kind",)
    search_fields = ("title", "author", "publisher", "url", "slug")
    prepopulated_fields = {"slug": ("title",)}

    @admin.display(description="published", ordering="published_on")
    def published_display(self, source: Source) -> str:
        return str(source.published or "")


class CityCitationInline(CitationInline):
    model = CityCitation


@admin.register(City)
class CityAdmin(RecordAdmin):
    list_display = ("name", "country", "strategy", "approach", "has_coordinates", "publication")
    list_filter = ("publication", "strategy", "approach", "country__region")
    list_select_related = ("country",)
    search_fields = (*RecordAdmin.search_fields, "country__name")
    autocomplete_fields = ("country",)
    fieldsets = record_fieldsets(
        "country", "latitude", "longitude", "geonames_id", "strategy", "strategy_since", "approach"
    )
    inlines = (CityCitationInline,)

    @admin.display(boolean=True, description="coordinates")
    def has_coordinates(self, city: City) -> bool:
        return city.has_coordinates


class ActorCitationInline(CitationInline):
    model = ActorCitation


@admin.register(Actor)
class ActorAdmin(RecordAdmin):
    list_display = ("name", "acronym", "kind", "sector", "country", "parent", "publication")
    list_filter = ("publication", "kind", "country__region")
    list_select_related = ("country", "parent")
    autocomplete_fields = ("country", "city", "parent")
    fieldsets = record_fieldsets("kind", "country", "city", "parent", "founded", "ror_id")
    inlines = (ActorCitationInline,)

    @admin.display(description="sector")
    def sector(self, actor: Actor) -> str:
        return actor.sector.label


class ParticipationInline(ActorLinkInline):
    model = Participation
    fields = ("actor", "role", "start_year", "end_year")


class InitiativeCitationInline(CitationInline):
    model = InitiativeCitation


@admin.register(Initiative)
class InitiativeAdmin(RecordAdmin):
    list_display = (
        "name",
        "kind",
        "status",
        "status_as_of",
        "level",
        "start_year",
        "actor_count",
        "publication",
    )
    list_filter = ("publication", "kind", "status", "level", "themes", "dimensions", "drivers")
    search_fields = (*RecordAdmin.search_fields, "actors__acronym")
    autocomplete_fields = ("parent", "cities", "countries", "themes", "sdgs")
    filter_horizontal = ("dimensions", "drivers")
    fieldsets = record_fieldsets(
        "kind",
        ("status", "status_as_of"),
        "level",
        ("start_year", "end_year"),
        "parent",
        "cities",
        "countries",
        "themes",
        "sdgs",
        "dimensions",
        "drivers",
    )
    inlines = (ParticipationInline, InitiativeCitationInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(actor_count=Count("actors", distinct=True))

    @admin.display(description="actors", ordering="actor_count")
    def actor_count(self, initiative: Initiative) -> int:
        return initiative.actor_count


class CourseProviderInline(ActorLinkInline):
    model = CourseProvider
    fields = ("actor", "role")


class CourseCitationInline(CitationInline):
    model = CourseCitation


@admin.register(Course)
class CourseAdmin(RecordAdmin):
    list_display = ("name", "kind", "format", "city", "starts_on", "state", "publication")
    list_filter = ("publication", "kind", "format", "audiences")
    list_select_related = ("city",)
    autocomplete_fields = ("city", "initiative", "audiences")
    fieldsets = record_fieldsets(
        "kind",
        "edition",
        "format",
        "city",
        ("starts_on", "ends_on", "application_deadline"),
        "audiences",
        "language",
        ("is_free", "fee"),
        "initiative",
    )
    inlines = (CourseProviderInline, CourseCitationInline)

    @admin.display(description="state")
    def state(self, course: Course) -> str:
        return course.state.label if course.state else "dates unknown"


class AgreementPartyInline(ActorLinkInline):
    model = AgreementParty
    fields = ("actor", "role", "signed_on", "joined_on", "withdrew_on")


class AgreementCitationInline(CitationInline):
    model = AgreementCitation


@admin.register(Agreement)
class AgreementAdmin(RecordAdmin):
    list_display = (
        "name",
        "kind",
        "status",
        "status_as_of",
        "signed_display",
        "party_count",
        "publication",
    )
    list_filter = ("publication", "kind", "status", "themes")
    autocomplete_fields = ("cities", "initiatives", "themes")
    fieldsets = record_fieldsets(
        "kind",
        ("status", "status_as_of"),
        "signed_on",
        "in_force_on",
        "ended_on",
        "cities",
        "initiatives",
        "themes",
    )
    inlines = (AgreementPartyInline, AgreementCitationInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(party_count=Count("parties", distinct=True))

    @admin.display(description="signed", ordering="signed_on")
    def signed_display(self, agreement: Agreement) -> str:
        return str(agreement.signed or "")

    @admin.display(description="parties", ordering="party_count")
    def party_count(self, agreement: Agreement) -> int:
        return agreement.party_count
