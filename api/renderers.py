"""The API's formats besides JSON, and the viewset mixin that serves them.

JSON stays the default; `?format=csv` or `Accept: text/csv` gives a list as CSV, and
`?format=jsonld` or `Accept: application/ld+json` gives a record as JSON-LD. A CSV list is the
whole filtered result, not a page, streamed by `catalogue.exports` with the columns of the site's
exports; a record's JSON-LD is the document of `catalogue.jsonld`, the one its page embeds.
"""

from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from catalogue import jsonld
from catalogue.exports import export_response


class CSVRenderer(BaseRenderer):
    """Names CSV for content negotiation. It renders nothing itself: a list can be longer than
    memory should hold, so `FormatsMixin.csv_response` streams it instead."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"


class JSONLDRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


# The one action each format serves; other renderers serve every action.
ACTION_OF_FORMAT = {CSVRenderer.format: "list", JSONLDRenderer.format: "retrieve"}


class FormatsMixin:
    """Serves the viewset's `renderer_classes`, each for its action: CSV for the list, JSON-LD
    for one record; anything else, and every error, in JSON. So `?format=csv` on a record is not
    found (404) and `Accept: text/csv` there not acceptable (406)."""

    def get_renderers(self):
        # No action: a method the viewset does not answer, refused (405) in any format.
        return [
            renderer
            for renderer in super().get_renderers()
            if self.action is None
            or ACTION_OF_FORMAT.get(renderer.format, self.action) == self.action
        ]

    def perform_content_negotiation(self, request, force=False):
        # An empty `format` names no format, as an unknown one does (DRF would ignore it).
        if not force and request.query_params.get("format") == "":
            raise NotFound("The format is empty: name one (json, csv …) or leave `format` out.")
        return super().perform_content_negotiation(request, force)

    def list(self, request, *args, **kwargs):
        if isinstance(request.accepted_renderer, CSVRenderer):
            return self.csv_response(request)
        return super().list(request, *args, **kwargs)

    def csv_response(self, request):
        """The list's whole result, streamed: the JSON list's records, filters, search and sort,
        without its pages (the viewset's `exported_ids(records)`, in order)."""
        self.paginator.check_parameters(request)
        records = self.get_queryset()
        return export_response(request, records.model, self.exported_ids(records), "csv")

    def retrieve(self, request, *args, **kwargs):
        if not isinstance(request.accepted_renderer, JSONLDRenderer):
            return super().retrieve(request, *args, **kwargs)
        return Response(jsonld.document(request, self.get_object()))

    def handle_exception(self, exc):
        # The API's one error body is JSON, whatever format was asked for.
        renderer = self.get_renderers()[0]
        self.request.accepted_renderer = renderer
        self.request.accepted_media_type = renderer.media_type
        return super().handle_exception(exc)
