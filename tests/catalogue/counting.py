"""The database's own counts of the lists, to hold the list index (catalogue/index.py) against.

`database_counts` counts one facet by a grouped query, as Sciplo counted facets before the index;
`catalogue_counts` counts every list's published records and every facet of it, and
`print_catalogue_counts` prints them as JSON for tests that compare what server processes answer
with the database (test_index_processes.py runs it through `manage.py shell`).
"""

import json

from django.db.models import Count

from catalogue import filters
from catalogue.facets import DecadeFacet
from catalogue.models import Publication

FILTERSETS = [
    filters.InitiativeFilterSet,
    filters.ActorFilterSet,
    filters.CourseFilterSet,
    filters.AgreementFilterSet,
    filters.CityFilterSet,
]


def database_counts(facet, records) -> dict[str, int]:
    """{value: records carrying it} by a grouped query over `records`, as the database counts a
    facet (published values only, where the values are other records)."""
    if isinstance(facet, DecadeFacet):
        decades: dict[str, int] = {}
        grouped = records.order_by().values_list(facet.path).annotate(n=Count("pk", distinct=True))
        for year, count in grouped:
            if year is not None:
                decade = str(year - year % 10)
                decades[decade] = decades.get(decade, 0) + count
        return decades
    if facet.buckets is not None:
        # Each record once, however many of its rows meet the condition (two leads).
        return {
            value: records.filter(pk__in=records.filter(condition).values("pk")).count()
            for value, _label, condition in facet.buckets()
        }
    if facet.published_via:
        records = records.filter(**{f"{facet.published_via}__publication": Publication.PUBLISHED})
    grouped = records.order_by().values_list(facet.path).annotate(n=Count("pk", distinct=True))
    return {str(value): count for value, count in grouped if value not in (None, "")}


def catalogue_counts() -> dict[str, dict]:
    """For each kind of record (by its API path's name): its published records' number and every
    facet's non-zero counts over them."""
    counted = {}
    for filterset_class in FILTERSETS:
        model = filterset_class._meta.model
        records = model.objects.published()
        counted[str(model._meta.verbose_name_plural)] = {
            "count": records.count(),
            "facets": {
                facet.param: {
                    value: count
                    for value, count in database_counts(facet, records).items()
                    if count
                }
                for facet in filterset_class.facets
            },
        }
    return counted


def print_catalogue_counts() -> None:
    print(json.dumps(catalogue_counts(), sort_keys=True))
