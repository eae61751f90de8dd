"""Serializers: each record with its fields as machine values and its relations as brief
objects (`slug`, `name`, `url`, `html_url`), with roles and dated actions where a link has them.

Related records are written by their slug (countries by code, SDGs by number) and read as brief
objects: `BriefRelatedField` does both, so one serializer per model serves reading and writing.
A record is written with its relations through `catalogue.services`, which validates them as admin
does; its errors come back keyed as the payload names the fields, a link row's at the row's place.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.settings import api_settings

from catalogue import services, workflow
from catalogue.addresses import path_to
from catalogue.documents import is_key, objects_by_key
from catalogue.models import (
    SDG,
    Actor,
    Agreement,
    AgreementParty,
    Audience,
    City,
    Country,
    Course,
    CourseProvider,
    Dimension,
    Driver,
    Initiative,
    Participation,
    Record,
    Source,
    Theme,
)
from catalogue.partial_dates import DatePrecision
from catalogue.representations import api_route, lookup_field, representations

# The API's routes take no other key than a natural key.
KEY_PATTERN = services.KEY.pattern


def api_url(request, instance) -> str | None:
    model = type(instance)
    route = api_route(model)
    if route is None:
        return None
    path = path_to(route, getattr(instance, lookup_field(model)))
    return request.build_absolute_uri(path) if request else path


class BriefRelatedField(serializers.SlugRelatedField):
    """A related object, written by its slug (or code, or number) and read as a brief object
    (`catalogue.representations.brief`; the schema says so, api/schema.py). Written in a list
    (`many=True`, or a field of link rows), the list's objects are looked up in one query."""

    default_error_messages = {
        "not_a_key": "A key is letters, digits, hyphens and underscores: {value!r} is none.",
    }

    def __init__(self, **kwargs):
        model = kwargs["queryset"].model if "queryset" in kwargs else kwargs.pop("model")
        kwargs.setdefault("slug_field", lookup_field(model))
        super().__init__(**kwargs)
        # The objects a list being written names, by key (`look_up`).
        self.known: dict | None = None

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return BriefRelatedList(child_relation=cls(*args, **kwargs), **list_kwargs)

    def to_internal_value(self, data):
        key = self.key_of(data)
        # Nothing else is looked up: a NUL byte in a text parameter is an error to the database.
        if isinstance(key, str) and not is_key(key):
            self.fail("not_a_key", value=key)
        if self.known is None or not is_key(key):
            return super().to_internal_value(key)
        if key not in self.known:
            self.fail("does_not_exist", slug_name=self.slug_field, value=key)
        return self.known[key]

    def key_of(self, data):
        return data.get(self.slug_field) if isinstance(data, dict) else data

    def look_up(self, items) -> None:
        """Looks up at once the objects that `items` (what a list writes) name."""
        self.known = objects_by_key(self.get_queryset(), (self.key_of(item) for item in items))


class BriefRelatedList(serializers.ManyRelatedField):
    """Related objects (`BriefRelatedField`), at most `services.MAX_RELATED`."""

    def to_internal_value(self, data):
        if isinstance(data, list):
            check_count(data)
            self.child_relation.look_up(data)
        return super().to_internal_value(data)


class LinkRowsSerializer(serializers.ListSerializer):
    """A record's link rows, at most `services.MAX_RELATED`, the records they name looked up in
    one query per field."""

    def to_internal_value(self, data):
        if isinstance(data, list):
            check_count(data)
            rows = [row for row in data if isinstance(row, dict)]
            for field in self.child.fields.values():
                if isinstance(field, BriefRelatedField) and not field.read_only:
                    field.look_up(row.get(field.field_name) for row in rows)
        return super().to_internal_value(data)


def check_count(items: list) -> None:
    try:
        services.check_related_count(items)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from None


def date_precision() -> serializers.ChoiceField:
    """A partial date's precision, which its model field keeps out of forms (the date widget sets
    it) and so out of ModelSerializer's writable fields."""
    return serializers.ChoiceField(choices=DatePrecision.choices, allow_blank=True, required=False)


def field_errors(error: DjangoValidationError) -> dict:
    """Django's errors by field, those about no one field where DRF puts them."""
    return {
        api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key: value
        for key, value in serializers.as_serializer_error(error).items()
    }


def related(model, **kwargs) -> BriefRelatedField:
    if kwargs.get("read_only"):
        return BriefRelatedField(model=model, **kwargs)
    manager = model.objects.published() if issubclass(model, Record) else model.objects.all()
    return BriefRelatedField(queryset=manager, **kwargs)


class CitationSerializer(serializers.Serializer):
    source = BriefRelatedField(queryset=Source.objects.all())
    locator = serializers.CharField(allow_blank=True, required=False, max_length=200)

    class Meta:
        list_serializer_class = LinkRowsSerializer


class RecordSerializer(serializers.ModelSerializer):
    """The fields every record has; subclasses add their own in `Meta.fields`. A record is read
    as its representation (catalogue/representations.py), which shows these fields."""

    url = serializers.URLField(read_only=True)
    html_url = serializers.URLField(read_only=True)
    citations = CitationSerializer(many=True, required=False)

    record_fields = (
        "url",
        "html_url",
        "slug",
        "name",
        "acronym",
        "alternative_names",
        "summary",
        "description",
        "website",
        "wikidata_id",
        "publication",
        "last_verified",
        "created_at",
        "updated_at",
    )

    def to_representation(self, record: Record) -> dict:
        origin = self.context["request"].build_absolute_uri("/").removesuffix("/")
        return representations(type(record), [record.pk], origin, using=record._state.db)[0]

    def validate_publication(self, publication: str) -> str:
        # Refused as a permission, not a bad value: a curator's token may send the same payload.
        model = self.Meta.model
        if not workflow.can_set_publication(self.context["request"].user, model, publication):
            allowed = " or ".join(f"“{state}”" for state in workflow.CONTRIBUTOR_STATES)
            raise exceptions.PermissionDenied(
                f"Setting publication to “{publication}” needs the permission "
                f"{workflow.permission(model, 'publish')} (curators); a contributor sets {allowed}."
            )
        return publication

    def create(self, validated_data):
        fields, relations = self.relations_apart(validated_data)
        return self.write(self.Meta.model(**fields), relations)

    def update(self, instance, validated_data):
        # A fresh copy: the view's holds the relations its page shows, published records only,
        # which writing the relations would take for all of them.
        record = self.Meta.model.objects.get(pk=instance.pk)
        fields, relations = self.relations_apart(validated_data)
        for name, value in fields.items():
            setattr(record, name, value)
        return self.write(record, relations)

    def relations_apart(self, validated_data: dict) -> tuple[dict, dict]:
        """The record's own values, and its relations (the lists in the payload) by model name."""
        relations = {
            field.source
            for field in self.fields.values()
            if isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField)
        }
        return (
            {name: value for name, value in validated_data.items() if name not in relations},
            {name: value for name, value in validated_data.items() if name in relations},
        )

    def write(self, record: Record, relations: dict) -> Record:
        try:
            record = services.record_save(record=record, relations=relations)
        except services.RecordInvalid as error:
            raise serializers.ValidationError(self.payload_errors(error)) from None
        return record

    def payload_errors(self, error: services.RecordInvalid) -> dict:
        """The errors keyed as the payload names its fields, a link row's at its row's place."""
        errors = field_errors(error)
        for relation, row_errors in error.rows.items():
            if any(row_errors):
                # The bad rows by number, as DRF reports a row's bad values.
                errors[relation] = {row: field_errors(e) for row, e in enumerate(row_errors) if e}
        names = {field.source: name for name, field in self.fields.items()}
        return {names.get(key, key): value for key, value in errors.items()}


class CitySerializer(RecordSerializer):
    country = related(Country)

    class Meta:
        model = City
        fields = (
            *RecordSerializer.record_fields,
            "country",
            "latitude",
            "longitude",
            "geonames_id",
            "strategy",
            "strategy_since",
            "approach",
            "citations",
        )


class ActorSerializer(RecordSerializer):
    country = related(Country, required=False, allow_null=True)
    city = related(City, required=False, allow_null=True)
    parent = related(Actor, required=False, allow_null=True)
    sector = serializers.CharField(read_only=True)

    class Meta:
        model = Actor
        fields = (
            *RecordSerializer.record_fields,
            "kind",
            "sector",
            "country",
            "city",
            "parent",
            "founded",
            "ror_id",
            "citations",
        )


class ParticipationSerializer(serializers.ModelSerializer):
    actor = related(Actor)

    class Meta:
        model = Participation
        list_serializer_class = LinkRowsSerializer
        fields = ("actor", "role", "start_year", "end_year")


class InitiativeSerializer(RecordSerializer):
    parent = related(Initiative, required=False, allow_null=True)
    cities = related(City, many=True, required=False)
    countries = related(Country, many=True, required=False)
    themes = related(Theme, many=True, required=False)
    sdgs = related(SDG, many=True, required=False)
    dimensions = related(Dimension, many=True, required=False)
    drivers = related(Driver, many=True, required=False)
    participations = ParticipationSerializer(many=True, required=False)

    class Meta:
        model = Initiative
        fields = (
            *RecordSerializer.record_fields,
            "kind",
            "status",
            "status_as_of",
            "level",
            "start_year",
            "end_year",
            "parent",
            "cities",
            "countries",
            "themes",
            "sdgs",
            "dimensions",
            "drivers",
            "participations",
            "citations",
        )


class CourseProviderSerializer(serializers.ModelSerializer):
    actor = related(Actor)

    class Meta:
        model = CourseProvider
        list_serializer_class = LinkRowsSerializer
        fields = ("actor", "role")


class CourseSerializer(RecordSerializer):
    city = related(City, required=False, allow_null=True)
    initiative = related(Initiative, required=False, allow_null=True)
    audiences = related(Audience, many=True, required=False)
    provisions = CourseProviderSerializer(many=True, required=False)
    state = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Course
        fields = (
            *RecordSerializer.record_fields,
            "kind",
            "edition",
            "format",
            "city",
            "starts_on",
            "ends_on",
            "application_deadline",
            "state",
            "audiences",
            "language",
            "is_free",
            "fee",
            "initiative",
            "provisions",
            "citations",
        )


class AgreementPartySerializer(serializers.ModelSerializer):
    actor = related(Actor)
    signed_on_precision = date_precision()
    joined_on_precision = date_precision()
    withdrew_on_precision = date_precision()

    class Meta:
        model = AgreementParty
        fields = (
            "actor",
            "role",
            "signed_on",
            "signed_on_precision",
            "joined_on",
            "joined_on_precision",
            "withdrew_on",
            "withdrew_on_precision",
        )


class PartiesSerializer(LinkRowsSerializer):
    """An agreement's parties: written as all its parties, read as those whose actor is published
    (`published_party_links`, see `AgreementQuerySet.with_parties`)."""

    def get_attribute(self, instance):
        return instance.published_party_links


class AgreementSerializer(RecordSerializer):
    signed_on_precision = date_precision()
    in_force_on_precision = date_precision()
    ended_on_precision = date_precision()
    cities = related(City, many=True, required=False)
    initiatives = related(Initiative, many=True, required=False)
    themes = related(Theme, many=True, required=False)
    parties = PartiesSerializer(
        child=AgreementPartySerializer(), required=False, source="party_links"
    )
    is_bilateral = serializers.BooleanField(read_only=True)
    is_multilateral = serializers.BooleanField(read_only=True)
    is_city_to_state = serializers.BooleanField(read_only=True)

    class Meta:
        model = Agreement
        fields = (
            *RecordSerializer.record_fields,
            "kind",
            "status",
            "status_as_of",
            "signed_on",
            "signed_on_precision",
            "in_force_on",
            "in_force_on_precision",
            "ended_on",
            "ended_on_precision",
            "is_bilateral",
            "is_multilateral",
            "is_city_to_state",
            "parties",
            "cities",
            "initiatives",
            "themes",
            "citations",
        )


class ThemeSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Theme
        fields = ("url", "slug", "name", "description")

    def get_url(self, theme) -> str:
        return api_url(self.context.get("request"), theme)


class SDGSerializer(ThemeSerializer):
    class Meta:
        model = SDG
        fields = ("url", "number", "name")


class CountrySerializer(ThemeSerializer):
    class Meta:
        model = Country
        fields = ("url", "code", "name", "numeric_code", "region", "sub_region")


class SourceSerializer(ThemeSerializer):
    # The document's own address; `url` is this object's address in the API, as everywhere.
    document_url = serializers.URLField(source="url", allow_blank=True, required=False)
    published_on_precision = date_precision()

    class Meta:
        model = Source
        fields = (
            "url",
            "slug",
            "title",
            "author",
            "publisher",
            "kind",
            "document_url",
            "published_on",
            "published_on_precision",
            "accessed_on",
            "note",
        )


class NameSerializer(serializers.Serializer):
    """A record a search box offers: its kind, name, acronym and page."""

    type = serializers.CharField()
    name = serializers.CharField()
    acronym = serializers.CharField()
    url = serializers.URLField()


class NamesSerializer(serializers.Serializer):
    results = NameSerializer(many=True)
