"""Full-text search over records.

Each record model lists where its text lives in `search_fields`: (weight, path) pairs, weight "A"
(names) to "C" (long text). A path may cross a relation, so an initiative is found by its actors'
acronyms or its cities' names. PostgreSQL matches every word as a prefix against a weighted
document and ranks by relevance; SQLite, which has no ranking, matches every word as a substring
and puts records whose name matches first.

On PostgreSQL the weighted document is stored, one row per record in the record's search table
(catalogue/models/search.py) with a GIN index, so that a search reads an index instead of
building every record's document. `update_search_vectors` rebuilds the documents of the records
a write touched, and of the records whose documents include their names (renaming an actor
changes its initiatives'): `catalogue.history` calls it when a recording ends, and, outside any
recording, as each write happens. Writes that send no signals (bulk_create, fixtures loaded raw,
queryset updates) call it themselves, or `manage.py update_search_vectors` afterwards.
"""

import re
from collections.abc import Iterable, Mapping

import numpy as np
from django.apps import apps
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Case, F, Q, Value, When

SEARCH_CONFIG = "english"
WEIGHTS = ("A", "B", "C", "D")
WORD = re.compile(r"\w+")
# Record ids per statement: PostgreSQL takes at most 65,535 parameters in one.
UPDATE_CHUNK_SIZE = 10_000


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


def document_rows(model: type[models.Model], records: models.QuerySet) -> tuple[str, list]:
    """SQL selecting (id, weighted document) of each of `records`, built from `model`'s
    `search_fields`, and its parameters.

    The record's own columns and its to-one paths come from one query; the to-many paths of each
    relation (an initiative's actors' names and acronyms) from one grouped query over the same
    records, each path's values joined in their order (a document's positions follow its words,
    so joined in the plan's order the same record would get another document whenever the
    planner chose another join). Grouping once per relation, not once per record, lets
    PostgreSQL build a whole catalogue's documents with a few hash joins.
    """
    records = records.order_by()
    own = [path for _weight, path in model.search_fields if not is_many(model, path)]
    sql, params = records.values_list("pk", *own).query.sql_with_params()
    columns = ", ".join(["pk", *(f"text{number}" for number in range(len(own)))])
    joins = [f"({sql}) AS record ({columns})"]
    texts = {path: f"record.text{number}" for number, path in enumerate(own)}
    by_relation: dict[str, list[str]] = {}
    for _weight, path in model.search_fields:
        if path not in own:
            by_relation.setdefault(path.split("__")[0], []).append(path)
    for relation, paths in by_relation.items():
        alias = f"related_{relation}"
        joined = {
            f"text{number}": StringAgg(path, delimiter=" ", order_by=path)
            for number, path in enumerate(paths)
        }
        grouped = records.values("pk").annotate(**joined).values_list("pk", *joined)
        grouped_sql, grouped_params = grouped.query.sql_with_params()
        joins.append(
            f"LEFT JOIN ({grouped_sql}) AS {alias} (pk, {', '.join(joined)}) "
            f"ON {alias}.pk = record.pk"
        )
        params = (*params, *grouped_params)
        texts.update((path, f"{alias}.text{number}") for number, path in enumerate(paths))
    vectors = []
    for weight, path in model.search_fields:
        if weight not in WEIGHTS:
            raise ValueError(f"{model.__name__}.search_fields: {weight!r} is not a weight.")
        vectors.append(
            f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, "
            f"COALESCE({texts[path]}::text, '')), '{weight}')"
        )
    return f"SELECT record.pk, {' || '.join(vectors)} FROM {' '.join(joins)}", list(params)


def search_postgres(queryset: models.QuerySet, words: list[str]) -> models.QuerySet:
    query = SearchQuery(
        " & ".join(f"{word}:*" for word in words), search_type="raw", config=SEARCH_CONFIG
    )
    return queryset.filter(search_document__vector=query).annotate(
        search_rank=SearchRank(F("search_document__vector"), query)
    )


def search_model(model: type[models.Model]) -> type[models.Model]:
    """The table holding the search documents of `model`'s records."""
    return model._meta.get_field("search_document").related_model


def referring_paths(model: type[models.Model], named: type[models.Model]) -> list[str]:
    """The relations of `model` through which its documents include text of `named` records
    (an initiative's `actors` for actors), by their `search_fields`."""
    paths = []
    for _weight, path in model.search_fields:
        if "__" not in path:
            continue
        relation = path.split("__")[0]
        if model._meta.get_field(relation).related_model is named and relation not in paths:
            paths.append(relation)
    return paths


def update_search_vectors(
    written: Mapping[type[models.Model], Iterable], *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Rebuilds the stored documents of the records `written` (model → ids) and of every record
    whose document includes text of one of them; nothing but on PostgreSQL."""
    if connections[using].vendor != "postgresql":
        return
    written = {model: list(pks) for model, pks in written.items() if pks}
    for model in searched_models():
        for named, pks in written.items():
            relations = referring_paths(model, named)
            if named is model:
                relations.insert(0, "pk")
            for relation in relations:
                for start in range(0, len(pks), UPDATE_CHUNK_SIZE):
                    chunk = pks[start : start + UPDATE_CHUNK_SIZE]
                    store_documents(model, Q(**{f"{relation}__in": chunk}), using=using)


def records_naming(record: models.Model) -> set[tuple[type[models.Model], object]]:
    """(model, id) of the records whose documents include text of `record`; none but on
    PostgreSQL, the only database that stores documents."""
    if connections[record._state.db or DEFAULT_DB_ALIAS].vendor != "postgresql":
        return set()
    return {
        (model, pk)
        for model in searched_models()
        for relation in referring_paths(model, type(record))
        for pk in model._default_manager.filter(**{relation: record}).values_list("pk", flat=True)
    }


def update_all_search_vectors(*, missing_only: bool = False, using: str = DEFAULT_DB_ALIAS) -> None:
    """Rebuilds the stored document of every record (or only of the records that lack one), in
    one statement per kind of record: after writes that send no signals. Nothing but on
    PostgreSQL."""
    if connections[using].vendor != "postgresql":
        return
    for model in searched_models():
        store_documents(
            model, Q(search_document__isnull=True) if missing_only else Q(), using=using
        )


def store_documents(model: type[models.Model], condition: Q, *, using: str) -> None:
    """Writes the documents of `model`'s records that meet `condition` in one statement, which
    inserts or replaces each one."""
    manager = model._default_manager.db_manager(using)
    # A subquery, not a join, keeps each record once however many of its relations match.
    records = manager.filter(pk__in=manager.filter(condition).values("pk"))
    sql, params = document_rows(model, records)
    connection = connections[using]
    table = connection.ops.quote_name(search_model(model)._meta.db_table)
    record, vector = (connection.ops.quote_name(column) for column in ("record_id", "vector"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({record}, {vector}) {sql} "
            f"ON CONFLICT ({record}) DO UPDATE SET {vector} = EXCLUDED.{vector}",
            params,
        )


def searched_models() -> list[type[models.Model]]:
    """The models whose records have stored search documents: every kind of record."""
    return [
        model
        for model in apps.get_app_config("catalogue").get_models()
        if any(field.name == "search_document" for field in model._meta.related_objects)
    ]


def search_substrings(queryset: models.QuerySet, words: list[str]) -> models.QuerySet:
    model = queryset.model
    for word in words:
        # A related path is searched in a subquery of its own: joining every to-many path in
        # one query would match the word against each combination of an initiative's actors
        # and cities, a hundred times the rows at 100,000 initiatives.
        anywhere = Q()
        for _weight, path in model.search_fields:
            condition = Q(**{f"{path}__icontains": word})
            if is_many(model, path):
                matching = model._default_manager.filter(condition).values("pk")
                condition = Q(pk__in=matching)
            anywhere |= condition
        queryset = queryset.filter(anywhere)
    name_matches = Q()
    for word in words:
        name_matches &= Q(name__icontains=word)
    return queryset.annotate(
        search_rank=Case(When(name_matches, then=Value(1.0)), default=Value(0.0))
    )


def search_ranks(model: type[models.Model], text: str, *, using: str = DEFAULT_DB_ALIAS):
    """(ids, ranks) of every record of `model` matching every word of `text`, as two arrays, or
    None when `text` has no word to search for (every record matches, all equal)."""
    words = WORD.findall(text)
    if not words:
        return None
    records = search(model._default_manager.db_manager(using).all(), text)
    rows = records.order_by().values_list("pk", "search_rank")
    sql, params = rows.query.sql_with_params()
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    ids = np.fromiter((pk for pk, _rank in found), dtype=np.int64, count=len(found))
    ranks = np.fromiter((rank for _pk, rank in found), dtype=np.float64, count=len(found))
    return ids, ranks
