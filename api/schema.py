"""How the OpenAPI schema (drf-spectacular) describes what it cannot infer from the views: the
filters with their allowed values, `facets` and `format`, related objects as brief objects, the
error body of every failure, the headers of conditional requests and rate limits, and that anyone
may read.
"""

import copy

from django.core.exceptions import FieldDoesNotExist
from django_filters import ModelMultipleChoiceFilter
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from api.permissions import WritesFollowTheWorkflow
from api.serializers import KEY_PATTERN
from catalogue.models import Record
from catalogue.representations import lookup_field

ERROR = {
    "type": "object",
    "description": "The body of every error, whatever its status.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status, repeated."},
                "code": {
                    "type": "string",
                    "description": "What went wrong, for programs: `invalid`, `bad_request`, "
                    "`not_authenticated`, `authentication_failed`, `permission_denied`, "
                    "`not_found`, `method_not_allowed`, `protected`, `throttled`, "
                    "`server_error` …",
                },
                "message": {"type": "string", "description": "What went wrong, for people."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "With `invalid`: the messages about each query parameter "
                    "or payload field, by its name, nested as the payload is.",
                },
            },
        }
    },
}

ERRORS = {
    400: "A query parameter or a payload field is not valid; see `fields`.",
    401: "No credentials where a write needs them, or a token that is not valid.",
    403: "The token's user may not make this change.",
    404: (
        "No such record (drafts are hidden from anonymous readers), a page past the last, or "
        "no such `format`."
    ),
    409: "The record cannot be deleted while other records refer to it.",
    412: "The record was saved since the read whose ETag `If-Match` sends.",
    413: "The body is larger than 2.5 MB.",
    415: "The body is not JSON: writes take `Content-Type: application/json`.",
    428: "This server requires `If-Match` on writes to a record (`API_REQUIRE_IF_MATCH`).",
    429: "Too many requests from this client; retry after `Retry-After` seconds.",
}


# The bodies of the formats besides JSON (api/renderers.py), which are not the serializer's: a
# list's CSV (the whole filtered result, not a page), a record's JSON-LD document.
BODY_OF_FORMAT = {"text/csv": OpenApiTypes.STR, "application/ld+json": OpenApiTypes.OBJECT}


def expected_errors(method: str, is_list: bool) -> tuple[int, ...]:
    if method == "GET":
        return (400, 401, 404, 429) if is_list else (401, 404, 429)
    if method == "POST":
        return (400, 401, 403, 404, 413, 415, 429)
    if method == "DELETE":
        return (401, 403, 404, 409, 412, 428, 429)
    return (400, 401, 403, 404, 412, 413, 415, 428, 429)


class BriefRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """A related object, written by its slug (or code, or number) and read as a brief object."""

    target_class = "api.serializers.BriefRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        model = self.target.queryset.model
        lookup = lookup_field(model)
        key = auto_schema._map_model_field(model._meta.get_field(lookup), direction=None)
        if direction == "request":
            return key
        properties = {
            lookup: key,
            "name": {"type": "string"},
            "url": {
                "type": "string",
                "format": "uri",
                "nullable": True,
                "description": "Its address in the API; null for a vocabulary it does not serve.",
            },
        }
        if issubclass(model, Record):
            properties["html_url"] = {
                "type": "string",
                "format": "uri",
                "description": "Its page on the site.",
            }
        name = f"{model.__name__}Brief"
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema={"type": "object", "required": list(properties), "properties": properties},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class BlankableChoiceFieldExtension(OpenApiSerializerFieldExtension):
    """A read-only choice whose model field may be blank, which DRF builds without `allow_blank`
    although it answers "" for no value (a partial date's precision when there is no date)."""

    target_class = "rest_framework.fields.ChoiceField"
    match_subclasses = True

    @classmethod
    def _matches(cls, target) -> bool:
        if not (super()._matches(target) and target.read_only and not target.allow_blank):
            return False
        serializer = getattr(target, "parent", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        try:
            return model is not None and model._meta.get_field(target.source).blank
        except FieldDoesNotExist:
            return False

    def map_serializer_field(self, auto_schema, direction):
        field = copy.copy(self.target)
        field.allow_blank = True
        return auto_schema._map_serializer_field(field, direction, bypass_extensions=True)


class CatalogueFilterExtension(DjangoFilterExtension):
    """Describes the filters of a FilterSet instance, its choices evaluated.

    The site's FilterSets set the choices of `sort` when instantiated and compute others (regions
    from the countries there are, years), which drf-spectacular, reading the class, would leave
    without their allowed values. A range of whole numbers is described by its bounds.
    """

    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        filterset_class = getattr(auto_schema.view, "filterset_class", None)
        if filterset_class is None:
            return []
        model = filterset_class._meta.model
        filterset = filterset_class(queryset=model._default_manager.none())
        return [
            parameter
            for name, filter_field in filterset.filters.items()
            for parameter in self.resolve_filter_field(
                auto_schema, model, filterset_class, name, filter_field
            )
        ]

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        choices = filter_field.extra.get("choices")
        if callable(choices):
            # A new dict: the FilterSet's filters share theirs with every other FilterSet.
            filter_field.extra = {**filter_field.extra, "choices": list(choices())}
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            schema = parameter["schema"].get("items", parameter["schema"])
            values = schema.get("enum", [])
            if values and all(isinstance(value, int) for value in values):
                low, high = min(values), max(values)
                if len(values) == high - low + 1:
                    del schema["enum"]
                    schema.update(type="integer", minimum=low, maximum=high)
                    parameter["description"] = f"{filter_field.label}: {low} to {high}."
            for bound, keyword in (("min_value", "minimum"), ("max_value", "maximum")):
                if bound in filter_field.extra:
                    schema[keyword] = filter_field.extra[bound]
            if isinstance(filter_field, ModelMultipleChoiceFilter):
                related = filter_field.queryset.model._meta.verbose_name_plural
                key = filter_field.extra.get("to_field_name") or "slug"
                parameter["description"] = (
                    f"{filter_field.label}: one of the {related}, by its {key}."
                )
                schema["pattern"] = f"^{KEY_PATTERN}$"
            if parameter["schema"].get("type") == "array":
                text = parameter.get("description") or str(filter_field.label)
                parameter["description"] = f"{text}\n\nSeveral values: any of them."
        return parameters


class ApiSchema(AutoSchema):
    """The views' schema, with what every list, record and failure has in common."""

    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), *self.format_parameters()]
        if self.method == "GET":
            parameters += self.read_headers()
        if self.method in ("PUT", "PATCH", "DELETE"):
            parameters += self.write_headers()
        if self.method in ("POST", "PUT", "PATCH"):
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description="The ETag of the record as written, for `If-Match` on the next "
                    "write.",
                )
            )
        if self.method == "GET" and self._is_list_view():
            parameters += self.list_parameters()
        parameters.append(
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[429],
                description="Seconds to wait before the next request.",
            )
        )
        return parameters

    def format_parameters(self) -> list[OpenApiParameter]:
        return [
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=self.map_renderers("format"),
                description="The response's format, instead of the `Accept` header.",
            )
        ]

    def list_parameters(self) -> list[OpenApiParameter]:
        filterset_class = getattr(self.view, "filterset_class", None)
        if filterset_class is None:
            return []
        return [
            OpenApiParameter(
                "facets",
                OpenApiTypes.STR,
                many=True,
                explode=False,
                style="form",
                enum=[facet.param for facet in filterset_class.facets],
                description="Facets to count beside the results, comma-separated "
                "(`facets=kind,status`): each value with the number of results that choosing "
                "it gives.",
            )
        ]

    def read_headers(self) -> list[OpenApiParameter]:
        if not hasattr(self.view, "get_queryset"):
            # A view of no records (the names a search box offers) sends none of these.
            return []
        model = get_view_model(self.view)
        headers = [
            ("ETag", "A hash of the body: send it back in `If-None-Match` to get a 304 if the "
             "body is unchanged."),
            ("Cache-Control", "`public, max-age=…` for anonymous readers, `private, no-cache` "
             "for authenticated ones."),
        ]  # fmt: skip
        if not self._is_list_view() and any(f.name == "updated_at" for f in model._meta.fields):
            headers.append(
                ("Last-Modified", "When the record was last saved; `If-Modified-Since` with it "
                 "gets a 304 if it was not saved since.")
            )  # fmt: skip
        return [
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200, 304],
                description=text,
            )
            for name, text in headers
        ]

    def write_headers(self) -> list[OpenApiParameter]:
        return [
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of your last read or write of the record (or `*`): the "
                "write is made only if nobody saved the record since, else 412. Required where "
                "the server sets `API_REQUIRE_IF_MATCH` (428 without it).",
            )
        ]

    def get_response_serializers(self):
        serializers = super().get_response_serializers()
        if isinstance(serializers, dict):
            responses = dict(serializers)
        elif self.method == "DELETE":
            responses = {204: None}
        else:
            status = 201 if self._is_create_operation() else 200
            responses = {
                (status, media_type): BODY_OF_FORMAT.get(media_type, serializers)
                for media_type in self.map_renderers("media_type")
            }
        if self.method == "GET" and hasattr(self.view, "get_queryset"):
            responses[304] = OpenApiResponse(
                description="Not modified: the body would be the one `If-None-Match` or "
                "`If-Modified-Since` names."
            )
        error = self.error_component().ref
        for status in expected_errors(self.method, self._is_list_view(serializers)):
            responses.setdefault(
                (status, "application/json"), OpenApiResponse(error, description=ERRORS[status])
            )
        return responses

    def error_component(self) -> ResolvedComponent:
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR
        )
        self.registry.register_on_missing(component)
        return component

    def get_auth(self):
        auths = super().get_auth()
        permissions = [permission.__class__ for permission in self.view.get_permissions()]
        if self.method in SAFE_METHODS and WritesFollowTheWorkflow in permissions:
            auths.append({})
        return auths
