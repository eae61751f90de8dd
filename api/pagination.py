"""Pages of results: `count`, `next`, `previous` and `results`, plus `facets` when asked."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 500

    def get_paginated_response(self, data, facets=None):
        body = {
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        }
        if facets is not None:
            body["facets"] = facets
        return Response(body)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = "The number of results, on every page."
        response["properties"]["next"]["description"] = "The next page's address; null on the last."
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
