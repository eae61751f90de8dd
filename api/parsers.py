"""How the API reads request bodies."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from catalogue import jsontext


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the catalogue's bound on nesting (`catalogue.jsontext`): a body
    nested too deep is a parse error (400) naming the limit, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            jsontext.check_depth(data)
        except (RecursionError, jsontext.NestedTooDeep):
            raise ParseError(f"JSON parse error - {jsontext.NestedTooDeep()}") from None
        return data
