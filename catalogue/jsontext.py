"""JSON from outside (an API body, an import file, a dump), read with a bound on its nesting.

The catalogue's own JSON is shallow: a dump, the deepest, nests eight levels (sections, records,
a version's document, its link rows, a row's values). Python's parser nests by recursion and
fails past about a thousand levels with an error that is not a parse error; a thousand levels take
two kilobytes. So a text nested deeper than `MAX_DEPTH` is refused, as a parse error naming the
limit, however deep it goes.
"""

import json
from typing import Any

MAX_DEPTH = 32


class NestedTooDeep(ValueError):
    def __init__(self):
        super().__init__(f"The JSON is nested more than {MAX_DEPTH} levels deep.")


def loads(text: str | bytes) -> Any:
    """`json.loads(text)`, or `NestedTooDeep`; `json.JSONDecodeError` as json raises it."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise NestedTooDeep() from None
    check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """Raises `NestedTooDeep` if lists and objects in `value` nest deeper than `MAX_DEPTH`."""
    level, depth = [value], 0
    while level := [outer for outer in level if isinstance(outer, list | dict)]:
        depth += 1
        if depth > MAX_DEPTH:
            raise NestedTooDeep()
        level = [
            inner
            for outer in level
            for inner in (outer.values() if isinstance(outer, dict) else outer)
        ]
