"""Full-text search over records.

Each record model lists where its text lives in `search_fields`: (weight, path) pairs, weight "A"
(names) to "C" (long text). A path may cross a relation, so an initiative is found by its actors'
acronyms or its cities' names. PostgreSQL matches every word as a prefix against a weighted
document and ranks by relevance; SQLite, which has no ranking, matches every word as a substring
and puts records whose name matches first.
"""

import re

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections, models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

SEARCH_CONFIG = "english"
WORD = re.compile(r"\w+")


def search(queryset: models.QuerySet, text: str) -> models.QuerySet:
    """Records matching every word of `text`, annotated with `search_rank`."""
    words = WORD.findall(text)
    if not words:
        return queryset.annotate(search_rank=Value(0.0))
    if connections[queryset.db].vendor == "postgresql":
        return search_postgres(queryset, words)
    return search_substrings(queryset, words)


def is_many(model: type[models.Model], path: str) -> bool:
    field = model._meta.get_field(path.split("__")[0])
    return field.many_to_many or field.one_to_many


def related_text(model: type[models.Model], path: str) -> Coalesce:
    """The values at a to-many `path`, joined into one text per record."""
    joined = (
        model._default_manager.filter(pk=OuterRef("pk"))
        .values("pk")
        .annotate(text=StringAgg(path, delimiter=" "))
        .values("text")
    )
    return Coalesce(Subquery(joined), Value(""), output_field=models.TextField())


def search_postgres(queryset: models.QuerySet, words: list[str]) -> models.QuerySet:
    model = queryset.model
    document = None
    for weight, path in model.search_fields:
        expression = related_text(model, path) if is_many(model, path) else path
        vector = SearchVector(expression, weight=weight, config=SEARCH_CONFIG)
        document = vector if document is None else document + vector
    query = SearchQuery(
        " & ".join(f"{word}:*" for word in words), search_type="raw", config=SEARCH_CONFIG
    )
    return queryset.annotate(
        search_document=document, search_rank=SearchRank(F("search_document"), query)
    ).filter(search_document=query)


def search_substrings(queryset: models.QuerySet, words: list[str]) -> models.QuerySet:
    model = queryset.model
    for word in words:
        anywhere = Q()
        for _weight, path in model.search_fields:
            anywhere |= Q(**{f"{path}__icontains": word})
        queryset = queryset.filter(pk__in=model._default_manager.filter(anywhere).values("pk"))
    name_matches = Q()
    for word in words:
        name_matches &= Q(name__icontains=word)
    return queryset.annotate(
        search_rank=Case(When(name_matches, then=Value(1.0)), default=Value(0.0))
    )
