"""Facets: counts of the current results by the values of one filter.

A facet is computed over the results of every *other* filter, so the number beside a value is
the number of results that clicking it gives: for a value not yet chosen, the current results
plus the records it adds (values within one facet combine with OR); for a chosen value, the
current results that carry it. Counting happens in the database, one grouped query per facet
(two when the facet has a selection), whatever the number of records; a count is remembered
until the catalogue changes (`catalogue.revision`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models
from django.db.models import Count, Q
from django.http import QueryDict

from catalogue.revision import remembered


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    # The query string it stands beside, and the parameters choosing it sets there.
    data: QueryDict = field(repr=False)
    changes: dict[str, list[str]] = field(repr=False)

    @cached_property
    def url(self) -> str:
        """The query string that chooses (or, if chosen, drops) the value: made only for the
        values a page shows, as a facet may have thousands."""
        return with_changes(self.data, **self.changes)


def with_changes(data: QueryDict, **params: list[str]) -> str:
    """The query string with `params` replaced (an empty list removes one), back on page one."""
    query = data.copy()
    for param, values in params.items():
        query.setlist(param, values)
    query.pop("page", None)
    return query.urlencode()


@dataclass
class Facet:
    """A facet over one multiple-choice filter parameter.

    Values are counted by grouping on `path`, labelled by `label_path` or by `labels` (value to
    label), or, for computed values such as "open for application", by `buckets`: a function
    returning (value, label, Q) triples. When the values are other records, `published_via`
    names the relation to them, so that only published ones are offered.
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

    def count(self, queryset: models.QuerySet) -> dict[str, tuple[str, int]]:
        """{value: (label, number of records)} over `queryset`."""
        if self.buckets is not None:
            buckets = list(self.buckets())
            counts = {value: Count("pk", filter=q, distinct=True) for value, _label, q in buckets}
            # The buckets' conditions may hang on the day (a course open for application).
            totals = remembered(
                queryset, lambda: queryset.aggregate(**counts), purpose=repr(buckets)
            )
            return {value: (label, totals[value]) for value, label, _q in buckets}
        if self.published_via:
            queryset = queryset.filter(**{f"{self.published_via}__publication": "published"})
        grouped = (
            queryset.order_by()
            .values_list(self.path, self.label_path or self.path)
            .annotate(total=Count("pk", distinct=True))
        )
        rows = remembered(grouped, lambda: list(grouped))
        # Records without a value form a group of their own, which is not a value to offer.
        return {
            str(value): (self.labels.get(str(value), str(label)), total)
            for value, label, total in rows
            if value not in (None, "")
        }

    def values(
        self,
        data: QueryDict,
        others: models.QuerySet,
        results: models.QuerySet,
        total: int,
        label_of: Callable[[str], str],
    ) -> list[FacetValue]:
        """The values to offer, given the results of the other filters and the current ones;
        `label_of` names a chosen value that no record carries any more."""
        chosen = [value for value in data.getlist(self.param) if value]
        counted = self.count(others)
        added = self.count(others.exclude(pk__in=results.values("pk"))) if chosen else {}
        offered = []
        for value, (label, count) in counted.items():
            if chosen and value not in chosen:
                count = total + added.get(value, ("", 0))[1]
            if count or value in chosen:
                offered.append(self.value(data, value, label, count, value in chosen))
        offered += [
            self.value(data, value, label_of(value), 0, True)
            for value in chosen
            if value not in counted
        ]
        if self.buckets is None:
            offered.sort(key=lambda item: (not item.selected, -item.count, item.label.lower()))
        return offered

    def value(self, data: QueryDict, value: str, label: str, count: int, selected: bool):
        chosen = data.getlist(self.param)
        toggled = [v for v in chosen if v != value] if selected else [*chosen, value]
        return FacetValue(value, label, count, selected, data, {self.param: toggled})


@dataclass
class DecadeFacet(Facet):
    """Decades of a year field, each setting the `<param>_min` and `<param>_max` range filters.

    Choosing a decade replaces the range, so each count is simply the records of that decade.
    """

    @property
    def params(self) -> tuple[str, ...]:
        return (f"{self.param}_min", f"{self.param}_max")

    def values(
        self,
        data: QueryDict,
        others: models.QuerySet,
        results: models.QuerySet,
        total: int,
        label_of: Callable[[str], str],
    ) -> list[FacetValue]:
        grouped = (
            others.order_by().values_list(self.path).annotate(total=Count("pk", distinct=True))
        )
        decades: dict[int, int] = {}
        for year, count in remembered(grouped, lambda: list(grouped)):
            if year is None:
                continue
            decades[year - year % 10] = decades.get(year - year % 10, 0) + count
        low, high = self.params
        offered = []
        for decade, count in sorted(decades.items()):
            selected = data.get(low) == str(decade) and data.get(high) == str(decade + 9)
            changes = (
                {low: [], high: []} if selected else {low: [str(decade)], high: [str(decade + 9)]}
            )
            offered.append(FacetValue(str(decade), f"{decade}s", count, selected, data, changes))
        return offered
