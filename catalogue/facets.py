"""Facets: counts of the current results by the values of one filter.

A facet is computed over the results of every *other* filter, so the number beside a value is
the number of results that clicking it gives: for a value not yet chosen, the current results
plus the records it adds (values within one facet combine with OR); for a chosen value, the
current results that carry it. The counts come from the list index (catalogue/index.py), which
also puts the values in their order: chosen ones first, then by count and label. A facet
declares where its values come from and makes each offered value with the link that toggles it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Q
from django.http import QueryDict


class QueryString:
    """A request's query string, for the links that change some of its parameters, back on page
    one: each parameter is encoded once, so that a page with hundreds of facet values does not
    copy and encode the whole query for each of them. A changed parameter keeps its place; a new
    one comes last; an empty list removes one (as `QueryDict.setlist` and `urlencode` do)."""

    def __init__(self, data: QueryDict):
        self.data = data
        self.encoded = {key: encoded(key, values) for key, values in data.lists() if key != "page"}

    def with_changes(self, **params: list[str]) -> str:
        parts = {**self.encoded}
        for key, values in params.items():
            parts[key] = encoded(key, values)
        return "&".join(part for part in parts.values() if part)


def encoded(key: str, values: list[str]) -> str:
    return urlencode([(key, str(value)) for value in values])


def with_changes(data: QueryDict, **params: list[str]) -> str:
    """The query string with `params` replaced (an empty list removes one), back on page one."""
    return QueryString(data).with_changes(**params)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    # The query string it stands beside, and the parameters choosing it sets there.
    query: QueryString = field(repr=False)
    changes: dict[str, list[str]] = field(repr=False)

    @cached_property
    def url(self) -> str:
        """The query string that chooses (or, if chosen, drops) the value: made only for the
        values a page shows, as a facet may have thousands."""
        return self.query.with_changes(**self.changes)


@dataclass
class Facet:
    """A facet over one multiple-choice filter parameter.

    A record's values are those at `path`, labelled by `label_path` or by `labels` (value to
    label), or, for computed values such as "open for application", those of the `buckets` whose
    condition it meets: a function returning (value, label, Q) triples, shown in their order.
    When the values are other records, `published_via` names the relation to them, so that only
    published ones are offered.
    """

    param: str
    title: str
    path: str = ""
    label_path: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    buckets: Callable[[], Iterable[tuple[str, str, Q]]] | None = None
    published_via: str = ""

    @property
    def params(self) -> tuple[str, ...]:
        """The query parameters this facet sets, left out when counting it."""
        return (self.param,)

    def value(self, query: QueryString, value: str, label: str, count: int, selected: bool):
        chosen = query.data.getlist(self.param)
        toggled = [v for v in chosen if v != value] if selected else [*chosen, value]
        return FacetValue(value, label, count, selected, query, {self.param: toggled})


@dataclass
class DecadeFacet:
    """Decades of a year field at `path`, each setting the `<param>_min` and `<param>_max` range
    filters.

    Choosing a decade replaces the range, so each count is simply the records of that decade.
    """

    param: str
    title: str
    path: str

    @property
    def params(self) -> tuple[str, ...]:
        return (f"{self.param}_min", f"{self.param}_max")

    def offered(self, query: QueryString, years: dict[int, int]) -> list[FacetValue]:
        """The decades of `years` ({year: records}, over the results of the other filters)."""
        decades: dict[int, int] = {}
        for year, count in years.items():
            decades[year - year % 10] = decades.get(year - year % 10, 0) + count
        low, high = self.params
        offered = []
        for decade, count in sorted(decades.items()):
            selected = query.data.get(low) == str(decade) and query.data.get(high) == str(
                decade + 9
            )
            changes = (
                {low: [], high: []} if selected else {low: [str(decade)], high: [str(decade + 9)]}
            )
            offered.append(FacetValue(str(decade), f"{decade}s", count, selected, query, changes))
        return offered
