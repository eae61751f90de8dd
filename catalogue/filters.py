"""One FilterSet per public model, shared by the readers' pages and the JSON API.

A query string means the same everywhere: `/initiatives/?theme=oceans&level=city` and
`/api/v1/initiatives/?theme=oceans&level=city` select the same records. Several values of one
parameter combine with OR, different parameters with AND. Each FilterSet also declares its
`facets` (catalogue/facets.py): the filters whose values are counted beside the results.
"""

import copy
import operator
from collections.abc import Callable, Iterable
from functools import reduce

import django_filters
from django import forms
from django.db.models import F, OrderBy, Q
from django.utils import timezone

from catalogue.facets import DecadeFacet, Facet
from catalogue.models import (
    SDG,
    Actor,
    ActorKind,
    Agreement,
    AgreementKind,
    AgreementStatus,
    Approach,
    Audience,
    City,
    Country,
    Course,
    CourseFormat,
    CourseKind,
    CourseState,
    Dimension,
    Driver,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    Level,
    ParticipationRole,
    Record,
    Sector,
    Strategy,
    Theme,
)
from catalogue.models.actors import kinds_in_sector
from catalogue.models.base import FIRST_PLAUSIBLE_YEAR, LAST_PLAUSIBLE_YEAR, choice_labels
from catalogue.models.courses import LANGUAGE_NAMES, state_condition


def region_choices() -> list[tuple[str, str]]:
    regions = Country.objects.exclude(region="").values_list("region", flat=True)
    return [(region, region) for region in sorted(set(regions))]


def year_choices() -> list[tuple[int, str]]:
    return [(year, str(year)) for year in range(FIRST_PLAUSIBLE_YEAR, LAST_PLAUSIBLE_YEAR + 1)]


class AnyAcrossRelationsMixin:
    """For a multiple-choice filter: records with any of the chosen values at `field_name`, a
    path that may cross a to-many relation. Matching through a subquery keeps each record
    once, however many of its relations match."""

    def filter(self, queryset, value):
        if not value:
            return queryset
        matching = queryset.model._default_manager.filter(**{f"{self.field_name}__in": value})
        return queryset.filter(pk__in=matching.values("pk"))


class RelatedFilter(AnyAcrossRelationsMixin, django_filters.ModelMultipleChoiceFilter):
    """Records related to any of the chosen objects, named by slug (or `to_field_name`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)


class AnyValueFilter(django_filters.MultipleChoiceFilter):
    """Records whose own field holds any of the chosen values.

    No relation is crossed, so no record can come twice: without django-filter's DISTINCT, which
    would make the database compare whole rows to count a list.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class AnyOfFilter(AnyAcrossRelationsMixin, django_filters.MultipleChoiceFilter):
    """Records with any of the chosen values at a path that may cross a to-many relation."""


class BucketFilter(AnyValueFilter):
    """Records meeting the condition of any chosen bucket: computed values ("open for
    application", the kinds of a sector), each a (value, label, Q) triple of `buckets()`, which
    the filter's facet counts by. A condition may cross a to-many relation: matching through a
    subquery keeps each record once."""

    def __init__(self, buckets: Callable[[], Iterable[tuple[str, str, Q]]], **kwargs):
        self.buckets = buckets
        super().__init__(**kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        chosen = set(value)
        conditions = [met for bucket, _label, met in self.buckets() if bucket in chosen]
        matching = queryset.model._default_manager.filter(reduce(operator.or_, conditions))
        return queryset.filter(pk__in=matching.values("pk"))


class SharedDeclarations(dict):
    """A FilterSet's filters, which django-filter deep-copies for each FilterSet made, copied
    shallowly instead: each instance sets its own `model` and `parent` on its copies, and shares
    what was declared (fields, choices, querysets), which no request changes. Deep copies of
    every filter's querysets and choices cost a tenth of a list request's CPU."""

    def __deepcopy__(self, memo):
        return {name: own_copy(declared) for name, declared in self.items()}


def own_copy(declared: django_filters.Filter) -> django_filters.Filter:
    copied = copy.copy(declared)
    if declared.method is not None:
        # Bound to the copy, so that it calls the method of the copy's FilterSet.
        copied.method = declared.method
    return copied


class CatalogueFilterSet(django_filters.FilterSet):
    """Search, sorting and facets, shared by every record's FilterSet.

    `sort_options` maps each `sort` value to the fields it orders by; "relevance" (the default
    when `q` is given) ranks by the search. Subclasses list their `facets`.
    """

    q = django_filters.CharFilter(method="filter_search", label="Search")
    sort = django_filters.ChoiceFilter(method="filter_sort", label="Sort by", empty_label=None)

    sort_options: dict[str, tuple[str, tuple[str, ...]]] = {
        "name": ("name A–Z", ("name",)),
        "-name": ("name Z–A", ("-name",)),
        "-updated": ("recently updated", ("-updated_at",)),
    }
    default_sort = "name"
    facets: tuple[Facet, ...] = ()

    def __init__(self, *args, **kwargs):
        self.form_class()
        super().__init__(*args, **kwargs)

    @classmethod
    def form_class(cls) -> type:
        """The form that validates a query string, made once per FilterSet (django-filter makes
        one for each instance): its filters' labels are their facets' titles, as they read
        everywhere (chips, errors), and `sort` offers relevance and the sort options."""
        if "prepared_form_class" not in cls.__dict__:
            # Its own filters: those declared on a base class (search, sort) are shared.
            cls.base_filters = SharedDeclarations(copy.deepcopy(cls.base_filters))
            for declared in cls.base_filters.values():
                # A field made before would lack the labels and choices set here.
                declared.__dict__.pop("_field", None)
            choices = [
                ("relevance", "relevance"),
                *[(k, v[0]) for k, v in cls.sort_options.items()],
            ]
            cls.base_filters["sort"].extra["choices"] = choices
            for facet in cls.facets:
                if facet.param in cls.base_filters:
                    cls.base_filters[facet.param].label = facet.title
            fields = {name: declared.field for name, declared in cls.base_filters.items()}
            cls.prepared_form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
        return cls.prepared_form_class

    def get_form_class(self) -> type:
        return self.form_class()

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_sort(self, queryset, name, value):
        # Sorting happens last, in filter_queryset, once the search has ranked the records.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        searched = bool(self.form.cleaned_data.get("q", "").strip())
        sort = self.form.cleaned_data.get("sort") or ("relevance" if searched else "")
        if sort == "relevance" and searched:
            return queryset.order_by("-search_rank", "name", "pk")
        return queryset.order_by(*self.ordering(sort if sort in self.sort_options else ""))

    @classmethod
    def ordering(cls, sort: str) -> list[OrderBy]:
        """The order of the sort option `sort` (the default one if empty), ties broken by name
        and id. Records without a value come last in both directions, on every database: an
        undated record is neither the oldest nor the newest."""
        _label, fields = cls.sort_options[sort or cls.default_sort]
        options = cls._meta.model._meta
        ordering = []
        for field in (*fields, "name", options.pk.name):
            name = field.removeprefix("-")
            # Only where a value may be missing: NULLS LAST on a column that has none would
            # keep the database from reading it in the order of its index.
            nulls_last = options.get_field(name).null or None
            column = F(name)
            ordering.append(
                column.desc(nulls_last=nulls_last)
                if field.startswith("-")
                else column.asc(nulls_last=nulls_last)
            )
        return ordering

    def value_label(self, param: str, value: str) -> str:
        """How a chosen value of `param` reads: a record's name, a choice's label."""
        field = self.form.fields.get(param)
        if isinstance(field, forms.ModelMultipleChoiceField):
            for chosen in self.form.cleaned_data.get(param) or ():
                if str(getattr(chosen, field.to_field_name or "pk")) == value:
                    return str(chosen)
        elif isinstance(field, forms.ChoiceField):
            return str(dict(field.choices).get(value, value))
        return value


def facet_of(param: str, title: str, declared: django_filters.Filter) -> Facet:
    """The facet of the filter `declared` (of parameter `param`), counting the values where
    the filter looks: the records it relates to, by the key the filter is given and their names
    (only published ones, when they are records); the values of a field, labelled as its fixed
    choices are; or the filter's buckets."""
    if isinstance(declared, BucketFilter):
        return Facet(param, title, buckets=declared.buckets)
    path = declared.field_name or param
    if isinstance(declared, django_filters.ModelMultipleChoiceFilter):
        key = declared.extra.get("to_field_name") or "pk"
        related = declared.queryset.model
        return Facet(
            param,
            title,
            path=f"{path}__{key}",
            label_path=f"{path}__name",
            published_via=path if issubclass(related, Record) else "",
        )
    choices = declared.extra.get("choices")
    # Choices drawn from the data (regions, years) are their own labels.
    labels = {} if choices is None or callable(choices) else choice_labels(choices)
    return Facet(param, title, path=path, labels=labels)


def year_range(field_name: str, verb: str) -> tuple[django_filters.NumberFilter, ...]:
    """The `<param>_min` and `<param>_max` filters a `DecadeFacet` sets."""
    bounds = {"min_value": FIRST_PLAUSIBLE_YEAR, "max_value": LAST_PLAUSIBLE_YEAR}
    return (
        django_filters.NumberFilter(
            field_name=field_name, lookup_expr="gte", label=f"{verb} in or after", **bounds
        ),
        django_filters.NumberFilter(
            field_name=field_name, lookup_expr="lte", label=f"{verb} in or before", **bounds
        ),
    )


def lead_kinds() -> list[tuple[str, str, Q]]:
    """An initiative's lead actors' kinds."""
    return [
        (
            kind.value,
            kind.label,
            Q(participations__role=ParticipationRole.LEAD, participations__actor__kind=kind),
        )
        for kind in ActorKind
    ]


def sectors() -> list[tuple[str, str, Q]]:
    """An actor's sector, which its kind says."""
    return [(sector.value, sector.label, Q(kind__in=kinds_in_sector(sector))) for sector in Sector]


def course_states() -> list[tuple[str, str, Q]]:
    """A course's state today."""
    today = timezone.localdate()
    return [(state.value, state.label, state_condition(state, today)) for state in CourseState]


class InitiativeFilterSet(CatalogueFilterSet):
    kind = AnyValueFilter(choices=InitiativeKind.choices)
    status = AnyValueFilter(choices=InitiativeStatus.choices)
    level = AnyValueFilter(choices=Level.choices, label="Level of governance")
    theme = RelatedFilter(field_name="themes", queryset=Theme.objects.all())
    sdg = RelatedFilter(
        field_name="sdgs", queryset=SDG.objects.all(), to_field_name="number", label="SDG"
    )
    dimension = RelatedFilter(field_name="dimensions", queryset=Dimension.objects.all())
    driver = RelatedFilter(field_name="drivers", queryset=Driver.objects.all())
    country = RelatedFilter(
        field_name="countries", queryset=Country.objects.all(), to_field_name="code"
    )
    region = AnyOfFilter(field_name="countries__region", choices=region_choices)
    city = RelatedFilter(field_name="cities", queryset=City.objects.published())
    actor = RelatedFilter(
        field_name="actors", queryset=Actor.objects.published(), label="Participating actor"
    )
    lead_kind = BucketFilter(lead_kinds, choices=ActorKind.choices, label="Kind of lead actor")
    start_year_min, start_year_max = year_range("start_year", "Started")

    sort_options = {
        **CatalogueFilterSet.sort_options,
        "start_year": ("oldest first", ("start_year",)),
        "-start_year": ("newest first", ("-start_year",)),
    }
    facets = (
        facet_of("kind", "Kind", kind),
        facet_of("status", "Status", status),
        facet_of("level", "Level of governance", level),
        facet_of("theme", "Theme", theme),
        facet_of("sdg", "SDG", sdg),
        facet_of("dimension", "Science-diplomacy dimension", dimension),
        facet_of("driver", "Driver", driver),
        facet_of("region", "Region", region),
        facet_of("country", "Country", country),
        facet_of("city", "City", city),
        facet_of("actor", "Participating actor", actor),
        facet_of("lead_kind", "Kind of lead actor", lead_kind),
        DecadeFacet("start_year", "Started", path="start_year"),
    )

    class Meta:
        model = Initiative
        fields = []


class ActorFilterSet(CatalogueFilterSet):
    kind = AnyValueFilter(choices=ActorKind.choices)
    sector = BucketFilter(sectors, choices=Sector.choices)
    country = RelatedFilter(
        field_name="country", queryset=Country.objects.all(), to_field_name="code"
    )
    region = AnyOfFilter(field_name="country__region", choices=region_choices)
    city = RelatedFilter(field_name="city", queryset=City.objects.published(), label="Based in")
    role = AnyOfFilter(
        field_name="participations__role",
        choices=ParticipationRole.choices,
        label="Role in initiatives",
    )
    theme = RelatedFilter(
        field_name="initiatives__themes",
        queryset=Theme.objects.all(),
        label="Theme of its initiatives",
    )

    facets = (
        facet_of("kind", "Kind", kind),
        facet_of("sector", "Sector", sector),
        facet_of("region", "Region", region),
        facet_of("country", "Country", country),
        facet_of("city", "Based in", city),
        facet_of("role", "Role in initiatives", role),
        facet_of("theme", "Theme of its initiatives", theme),
    )

    class Meta:
        model = Actor
        fields = []


class CourseFilterSet(CatalogueFilterSet):
    kind = AnyValueFilter(choices=CourseKind.choices)
    # Not "format", which selects the response format (CSV, JSON) everywhere.
    course_format = AnyValueFilter(
        field_name="format", choices=CourseFormat.choices, label="Format"
    )
    state = BucketFilter(course_states, choices=CourseState.choices)
    city = RelatedFilter(field_name="city", queryset=City.objects.published())
    country = RelatedFilter(
        field_name="city__country", queryset=Country.objects.all(), to_field_name="code"
    )
    provider = RelatedFilter(field_name="providers", queryset=Actor.objects.published())
    audience = RelatedFilter(field_name="audiences", queryset=Audience.objects.all())
    language = AnyValueFilter(choices=sorted(LANGUAGE_NAMES.items()))
    year = AnyValueFilter(field_name="starts_on__year", choices=year_choices, label="Starts in")

    sort_options = {
        **CatalogueFilterSet.sort_options,
        "starts_on": ("soonest first", ("starts_on",)),
        "-starts_on": ("latest first", ("-starts_on",)),
    }
    facets = (
        facet_of("state", "State", state),
        facet_of("kind", "Kind", kind),
        facet_of("course_format", "Format", course_format),
        facet_of("year", "Starts in", year),
        facet_of("audience", "Audience", audience),
        facet_of("provider", "Provider", provider),
        facet_of("country", "Country", country),
        facet_of("city", "City", city),
        facet_of("language", "Language", language),
    )

    class Meta:
        model = Course
        fields = []


class AgreementFilterSet(CatalogueFilterSet):
    kind = AnyValueFilter(choices=AgreementKind.choices)
    status = AnyValueFilter(choices=AgreementStatus.choices)
    party = RelatedFilter(field_name="parties", queryset=Actor.objects.published())
    party_kind = AnyOfFilter(
        field_name="parties__kind", choices=ActorKind.choices, label="Kind of party"
    )
    country = RelatedFilter(
        field_name="parties__country",
        queryset=Country.objects.all(),
        to_field_name="code",
        label="Country of a party",
    )
    city = RelatedFilter(field_name="cities", queryset=City.objects.published())
    theme = RelatedFilter(field_name="themes", queryset=Theme.objects.all())
    initiative = RelatedFilter(
        field_name="initiatives",
        queryset=Initiative.objects.published(),
        label="Initiative it establishes or governs",
    )
    signed_year_min, signed_year_max = year_range("signed_on__year", "Signed")

    sort_options = {
        **CatalogueFilterSet.sort_options,
        "signed": ("signed, oldest first", ("signed_on",)),
        "-signed": ("signed, newest first", ("-signed_on",)),
    }
    facets = (
        facet_of("kind", "Kind", kind),
        facet_of("status", "Status", status),
        facet_of("party", "Party", party),
        facet_of("party_kind", "Kind of party", party_kind),
        facet_of("country", "Country of a party", country),
        facet_of("city", "City", city),
        facet_of("theme", "Theme", theme),
        DecadeFacet("signed_year", "Signed", path="signed_on__year"),
    )

    class Meta:
        model = Agreement
        fields = []


class CityFilterSet(CatalogueFilterSet):
    country = RelatedFilter(
        field_name="country", queryset=Country.objects.all(), to_field_name="code"
    )
    region = AnyOfFilter(field_name="country__region", choices=region_choices)
    strategy = AnyValueFilter(choices=Strategy.choices, label="Science-diplomacy strategy")
    approach = AnyValueFilter(choices=Approach.choices)
    theme = RelatedFilter(
        field_name="initiatives__themes",
        queryset=Theme.objects.all(),
        label="Theme of its initiatives",
    )

    facets = (
        facet_of("region", "Region", region),
        facet_of("country", "Country", country),
        facet_of("strategy", "Science-diplomacy strategy", strategy),
        facet_of("approach", "Approach", approach),
        facet_of("theme", "Theme of its initiatives", theme),
    )

    class Meta:
        model = City
        fields = []


# Each kind of record, by its list's FilterSet, in the order the pages show them.
RECORD_FILTERSETS = (
    InitiativeFilterSet,
    ActorFilterSet,
    CourseFilterSet,
    AgreementFilterSet,
    CityFilterSet,
)
