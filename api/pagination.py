"""Pages of results: `count`, `next`, `previous` and `results`, plus `facets` when asked and a
`suggestion` when a search took a word of `q` for a typing error."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 500

    def get_page_size(self, request):
        self.check_parameters(request)
        return int(request.query_params.get(self.page_size_query_param, self.page_size))

    def check_parameters(self, request) -> None:
        """Refuses, by name, a `page` that is not a whole number from 1, or a `per_page` that is
        not one from 1 to `max_page_size`: a script asking for more must not get fewer without
        being told. (A CSV list, which is never paged, checks them too.)"""
        errors = {}
        page = request.query_params.get(self.page_query_param)
        if page is not None and not (page.isdigit() and int(page) >= 1):
            errors[self.page_query_param] = ["Enter a whole number from 1."]
        size = request.query_params.get(self.page_size_query_param)
        if size is not None and not (size.isdigit() and 1 <= int(size) <= self.max_page_size):
            errors[self.page_size_query_param] = [
                f"Enter a whole number from 1 to {self.max_page_size}."
            ]
        if errors:
            raise ValidationError(errors)

    def get_paginated_response(self, data, facets=None, suggestion=None):
        body = {
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        }
        if facets is not None:
            body["facets"] = facets
        if suggestion is not None:
            body["suggestion"] = suggestion
        return Response(body)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = "The number of results, on every page."
        response["properties"]["next"]["description"] = "The next page's address; null on the last."
        response["properties"]["suggestion"] = {
            "type": "string",
            "description": "When a word of `q` is held by no record: `q` with that word "
            "replaced by the most alike word of the published names, which the results are "
            "those of.",
        }
        response["properties"]["facets"] = {
            "type": "object",
            "description": "With `facets`: for each facet named, its values, each with the number "
            "of results that choosing it gives, or, if chosen, the results that carry it.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["value", "label", "count", "selected"],
                    "properties": {
                        "value": {"type": "string", "description": "The filter's value."},
                        "label": {"type": "string"},
                        "count": {"type": "integer"},
                        "selected": {
                            "type": "boolean",
                            "description": "Whether the query string chooses it.",
                        },
                    },
                },
            },
        }
        return response

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": "The page, from 1; a page past the last is a 404. Follow `next` "
                "rather than counting.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Results per page, at most {self.max_page_size}.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]
