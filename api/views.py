"""API endpoints: one viewset per model, configured by attributes.

Lists use the site's FilterSets (catalogue/filters.py) unchanged, so a query string means the
same on `/initiatives/` and `/api/v1/initiatives/`; `?facets=kind,status` adds the site's facet
counts to a list.
"""

from collections.abc import Sequence

from django.db.models import ProtectedError
from django.http import Http404
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers
from api.http import (
    READS,
    ConditionalGetMixin,
    PreconditionsMixin,
    RememberedReadsMixin,
    SavedState,
)
from api.renderers import CSVRenderer, FormatsMixin, JSONLDRenderer
from catalogue import filters
from catalogue.index import SelectedRecords, Selection, index_for, search_every_kind
from catalogue.models import SDG, Actor, Agreement, City, Country, Course, Initiative, Source, Theme
from catalogue.models.base import REACHABLE
from catalogue.representations import find, representations
from catalogue.search import read_search


class RecordInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "protected"


class RepresentedReadsMixin:
    """For a viewset of records: its JSON reads. A list is selected, counted and ordered by the
    list index (catalogue/index.py); a page of it, or one record, is shown as its representation
    (catalogue/representations.py), loaded from rows."""

    def list(self, request, *args, **kwargs):
        self.selection = self.selected(self.get_queryset())
        page = self.paginate_queryset(SelectedRecords(self.selection, self.represented))
        return self.get_paginated_response(page)

    def exported_ids(self, records) -> Sequence[int]:
        return self.selected(records).ids()

    def selected(self, records) -> Selection:
        """The records the query string selects, in the list index of their kind."""
        self.filterset = self.valid_filterset(records)
        return index_for(self.filterset_class, using=records.db).select(
            self.filterset, published_only=not self.sees_drafts()
        )

    def retrieve(self, request, *args, **kwargs):
        found = find(self.model, kwargs[self.lookup_field], using=self.get_queryset().db)
        if found is None or not (self.sees_drafts() or found[1] in REACHABLE):
            raise Http404(f"No {self.model._meta.verbose_name} has this address.")
        pk, _publication, *saved = found
        self.saved = SavedState(*saved)
        return Response(self.represented([pk])[0])

    def represented(self, ids: Sequence[int]) -> Sequence[dict]:
        origin = self.request.build_absolute_uri("/").removesuffix("/")
        return representations(self.model, ids, origin, using=self.get_queryset().db)


class RecordViewSet(
    PreconditionsMixin,
    ConditionalGetMixin,
    RememberedReadsMixin,
    FormatsMixin,
    RepresentedReadsMixin,
    viewsets.ModelViewSet,
):
    """A kind of record: anyone lists published ones and retrieves published and archived ones
    (archived records leave the lists but keep their address, as on the site); staff see every
    record. Writes follow the editorial workflow (`permissions.WritesFollowTheWorkflow`) and
    honour `If-Match` (`PreconditionsMixin`)."""

    renderer_classes = [JSONRenderer, CSVRenderer, JSONLDRenderer]
    lookup_field = "slug"
    # Nothing but a key is looked up (a NUL byte in a text parameter is an error to the
    # database, not a miss), as on the site's routes.
    lookup_value_regex = serializers.KEY_PATTERN
    model = None

    def get_queryset(self):
        if self.request.method not in READS:
            # Locked until the request ends: writes to a record follow each other, each judged
            # (workflow, If-Match) on the record as the one before left it.
            return self.model.objects.select_for_update(of=("self",))
        # JSON-LD is the document the record's page embeds, made from what the page loads.
        renderer = getattr(self.request, "accepted_renderer", None)
        if isinstance(renderer, JSONLDRenderer):
            records = self.model.objects.for_detail()
        else:
            records = self.model.objects.all()
        if self.sees_drafts():
            return records
        return records.reachable() if self.action == "retrieve" else records.published()

    def sees_drafts(self) -> bool:
        user = self.request.user
        return user.is_authenticated and user.is_staff

    def filter_queryset(self, queryset):
        # As DjangoFilterBackend does (it stays configured, for the schema).
        return self.valid_filterset(queryset).qs

    def valid_filterset(self, queryset):
        """The FilterSet of the query string over `queryset`, or the API's error when a value in
        it is not valid."""
        filterset = self.filterset_class(
            self.request.query_params, queryset=queryset, request=self.request
        )
        # An empty value chooses nothing the schema offers (a choice, a key, a year): refused by
        # name rather than taken as no filter, as the site's forms may send it. `q` is free text.
        empty = {
            name: ["Give a value, or leave the parameter out."]
            for name, values in self.request.query_params.lists()
            if name in filterset.filters and name != "q" and "" in values
        }
        if empty:
            raise ValidationError(empty)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset

    def perform_destroy(self, instance):
        # Its own link rows and citations go with it; other records' links to it keep it, as in
        # admin, until a curator removes them.
        try:
            instance.delete()
        except ProtectedError as error:
            referrers = "; ".join(sorted(str(referrer) for referrer in error.protected_objects))
            raise RecordInUse(
                f"{instance} cannot be deleted while these refer to it: {referrers}."
            ) from None

    def get_paginated_response(self, data):
        return self.paginator.get_paginated_response(
            data, facets=self.facets(), suggestion=self.suggestion()
        )

    def suggestion(self) -> str | None:
        """`q` with each word no record holds replaced by the word searched instead, when one
        was (catalogue.search.Search.corrections)."""
        text = self.request.query_params.get("q", "").strip()
        return read_search(text, using=self.selection.index.using).corrected_text if text else None

    def facets(self):
        """The facets named in `?facets=`, or None when none is asked for."""
        names = [name for name in self.request.query_params.get("facets", "").split(",") if name]
        if not names:
            return None
        known = {facet.param: facet for facet in self.filterset_class.facets}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValidationError(
                {"facets": [f"Unknown facet: {', '.join(unknown)}. Known: {', '.join(known)}."]}
            )
        return {
            name: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in self.selection.facet_values(known[name])[0]
            ]
            for name in names
        }


class InitiativeViewSet(RecordViewSet):
    model = Initiative
    serializer_class = serializers.InitiativeSerializer
    filterset_class = filters.InitiativeFilterSet


class ActorViewSet(RecordViewSet):
    model = Actor
    serializer_class = serializers.ActorSerializer
    filterset_class = filters.ActorFilterSet


class CourseViewSet(RecordViewSet):
    model = Course
    serializer_class = serializers.CourseSerializer
    filterset_class = filters.CourseFilterSet


class AgreementViewSet(RecordViewSet):
    model = Agreement
    serializer_class = serializers.AgreementSerializer
    filterset_class = filters.AgreementFilterSet


class CityViewSet(RecordViewSet):
    model = City
    serializer_class = serializers.CitySerializer
    filterset_class = filters.CityFilterSet


class ReferenceViewSet(
    ConditionalGetMixin, RememberedReadsMixin, FormatsMixin, viewsets.ReadOnlyModelViewSet
):
    """Reference data: read only through the API."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    filter_backends = []
    lookup_value_regex = serializers.KEY_PATTERN

    def exported_ids(self, records) -> Sequence[int]:
        return list(records.values_list("pk", flat=True))


class ThemeViewSet(ReferenceViewSet):
    queryset = Theme.objects.order_by("name")
    serializer_class = serializers.ThemeSerializer
    lookup_field = "slug"


class SDGViewSet(ReferenceViewSet):
    queryset = SDG.objects.order_by("number")
    serializer_class = serializers.SDGSerializer
    lookup_field = "number"


class CountryViewSet(ReferenceViewSet):
    queryset = Country.objects.order_by("name")
    serializer_class = serializers.CountrySerializer
    lookup_field = "code"


class SourceViewSet(ReferenceViewSet):
    queryset = Source.objects.order_by("title")
    serializer_class = serializers.SourceSerializer
    lookup_field = "slug"


# How many records of each kind a type-ahead offers, and the longest text it looks for.
NAMES_PER_KIND = 3
LONGEST_NAME_SEARCH = 200


@extend_schema(parameters=[OpenApiParameter("q", str, description="The words typed so far.")])
class NamesView(APIView):
    """Published records whose names a search for `q` finds, the best few of each kind, as the
    site's search finds them: what a search box offers while a reader types."""

    serializer_class = serializers.NamesSerializer

    def get(self, request):
        text = request.query_params.get("q", "").strip()
        if len(text) > LONGEST_NAME_SEARCH:
            raise ValidationError({"q": [f"Give at most {LONGEST_NAME_SEARCH} characters."]})
        found = search_every_kind(filters.RECORD_FILTERSETS, text, NAMES_PER_KIND) if text else []
        return Response(
            {
                "results": [
                    {
                        "type": str(kind.model._meta.verbose_name),
                        "name": record.name,
                        "acronym": record.acronym,
                        "url": request.build_absolute_uri(record.get_absolute_url()),
                    }
                    for kind in found
                    for record in kind.best
                ]
            }
        )
