"""API endpoints: one viewset per model, configured by attributes.

Lists use the site's FilterSets (catalogue/filters.py) unchanged, so a query string means the
same on `/initiatives/` and `/api/v1/initiatives/`; `?facets=kind,status` adds the site's facet
counts to a list.
"""

from django.db.models import ProtectedError
from django_filters.utils import translate_validation
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer

from api import serializers
from api.http import ConditionalGetMixin, RememberedReadsMixin
from api.renderers import CSVRenderer, FormatsMixin, JSONLDRenderer
from catalogue import filters
from catalogue.models import SDG, Actor, Agreement, City, Country, Course, Initiative, Source, Theme


class RecordInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "protected"


class RecordViewSet(ConditionalGetMixin, RememberedReadsMixin, FormatsMixin, viewsets.ModelViewSet):
    """A kind of record: anyone lists published ones and retrieves published and archived ones
    (archived records leave the lists but keep their address, as on the site); staff see every
    record. Writes follow the editorial workflow (`permissions.WritesFollowTheWorkflow`)."""

    renderer_classes = [JSONRenderer, CSVRenderer, JSONLDRenderer]
    lookup_field = "slug"
    model = None

    def get_queryset(self):
        # JSON-LD is the document the record's page embeds, made from what the page loads.
        renderer = getattr(self.request, "accepted_renderer", None)
        if isinstance(renderer, JSONLDRenderer):
            records = self.model.objects.for_detail()
        else:
            records = self.model.objects.for_api()
        user = self.request.user
        if user.is_authenticated and user.is_staff:
            return records
        return records.reachable() if self.action == "retrieve" else records.published()

    def filter_queryset(self, queryset):
        # As DjangoFilterBackend does (it stays configured, for the schema), keeping the
        # FilterSet for the facets.
        self.filterset = self.filterset_class(
            self.request.query_params, queryset=queryset, request=self.request
        )
        if not self.filterset.is_valid():
            raise translate_validation(self.filterset.errors)
        return self.filterset.qs

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
        return self.paginator.get_paginated_response(data, facets=self.facets(self.filterset.qs))

    def facets(self, results):
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
        base = self.get_queryset()
        total = self.paginator.page.paginator.count
        return {
            name: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in self.filterset.facet_values(known[name], base, results, total)
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
