"""Full-text search over records.

Each record model lists where its text lives in `search_fields`: (weight, path) pairs, weight "A"
(names) to "C" (long text). A path may cross a relation, so an initiative is found by its actors'
acronyms or its cities' names. Every word of a search matches as the start of a word of the
document, stemmed (a search for "oceans" finds "ocean"), and results are ranked by relevance,
the weights counting.

Each record's document is stored, built from its fields and relations, so that a search reads an
index instead of building every record's document. On PostgreSQL it is a weighted `tsvector`, one
row per record in the record's search table (catalogue/models/search.py), and, turned inside out,
one row per word in its terms table, with the word's share of `ts_rank`: a search reads the
records and scores of the terms its words start from one index range per word, and a record's rank
is the sum of its matched terms' scores over the number of words, which is `ts_rank` of the words
joined by "or" (`ts_rank` of an "and" query weighs the words' distances, which an index cannot
give). On SQLite the document is an FTS5 table of the same name with `_fts` added, one column per
weight (migration 0008), ranked by `bm25` with the same weights. `update_search_vectors` rebuilds
the documents of the records a write touched, and of the records whose documents include their
names (renaming an actor changes its initiatives'): `catalogue.history` calls it when a recording
ends, and, outside any recording, as each write happens. Writes that send no signals
(bulk_create, fixtures loaded raw, queryset updates) call it themselves, or
`manage.py update_search_vectors` afterwards.
"""

import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager

import numpy as np
from django.apps import apps
from django.contrib.postgres.aggregates import StringAgg
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Exists, FloatField, OuterRef, Q, Value
from django.db.models.expressions import RawSQL

SEARCH_CONFIG = "english"
WEIGHTS = ("A", "B", "C", "D")
WORD = re.compile(r"\w+")
# Record ids per statement: PostgreSQL takes at most 65,535 parameters in one, SQLite 32,766.
UPDATE_CHUNK_SIZE = 10_000
# SQLite's page cache while FTS5 documents are written, in KiB (a negative cache_size): its
# default, 2 MB, is far smaller than an FTS5 index being written, and inside a long transaction
# (the generator's) each flush of the index then went back to the file for the pages it had
# just written: 255 s for the documents of 30,000 initiatives, 12 s with this cache.
FTS_WRITE_CACHE_KIB = 256 * 1024
# ts_rank's default weight of each class, D to A, which bm25 is given too.
RANK_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
# The weight of each occurrence of a word, `n` its place among the word's occurrences in the
# document (1 for the first), then the word's share of `ts_rank` (calc_rank_or in PostgreSQL's
# tsrank.c): the occurrences' weights, each divided by the square of its place, the heaviest one
# counted whole, over the sum of 1/n² (π²/6).
OCCURRENCE_WEIGHT = (
    "CASE occurrence.weight "
    + " ".join(f"WHEN '{weight}' THEN {value}::float8" for weight, value in RANK_WEIGHTS.items())
    + " END"
)
TERM_SCORE = f"""
    SELECT (max(w) + sum(w / (n * n)) - max(w) / (array_agg(n ORDER BY w DESC, n))[1] ^ 2)
           / 1.64493406685 AS score
    FROM (
        SELECT {OCCURRENCE_WEIGHT} AS w, n::float8 AS n
        FROM unnest(word.weights) WITH ORDINALITY AS occurrence (weight, n)
    ) AS occurrences"""
# The distinct lexemes of a search's words, as PostgreSQL stems them (stop words give none).
STEMS = (
    f"SELECT stem FROM unnest(tsvector_to_array(to_tsvector('{SEARCH_CONFIG}'::regconfig, %s)))"
    " AS stem"
)
# The terms that start with `stem`: one range of the terms' index, whose text_pattern_ops order
# is these operators' (bytes, as UTF-8 keeps the characters' order).
STARTING = (
    "term.lexeme ~>=~ stem AND term.lexeme ~<~ (left(stem, -1) || chr(ascii(right(stem, 1)) + 1))"
)


def search(queryset: models.QuerySet, text: str) -> models.QuerySet:
    """Records matching every word of `text`, annotated with `search_rank`."""
    words = WORD.findall(text)
    if not words:
        return queryset.annotate(search_rank=Value(0.0))
    if connections[queryset.db].vendor == "postgresql":
        return search_postgres(queryset, words)
    return search_sqlite(queryset, words)


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
    model = queryset.model
    terms = quoted_table(terms_model(model), queryset.db)
    key = f'"{model._meta.db_table}"."{model._meta.pk.column}"'
    text = " ".join(words)
    matching = RawSQL(
        f"SELECT term.record_id FROM ({STEMS}) AS stems CROSS JOIN LATERAL "
        f"(SELECT DISTINCT term.record_id FROM {terms} AS term WHERE {STARTING}) AS term "
        f"GROUP BY term.record_id HAVING count(*) = (SELECT count(*) FROM ({STEMS}) AS stems)",
        [text, text],
    )
    rank = RawSQL(
        f"SELECT sum(term.score) / count(DISTINCT stem) FROM ({STEMS}) AS stems "
        f"JOIN {terms} AS term ON term.record_id = {key} AND {STARTING}",
        [text],
        output_field=FloatField(),
    )
    return queryset.filter(pk__in=matching).annotate(search_rank=rank)


def search_model(model: type[models.Model]) -> type[models.Model]:
    """The table holding the search documents of `model`'s records."""
    return model._meta.get_field("search_document").related_model


def terms_model(model: type[models.Model]) -> type[models.Model]:
    """The table holding the terms of `model`'s records' search documents."""
    documents = search_model(model)
    return apps.get_model(documents._meta.app_label, f"{documents.__name__}Term")


def quoted_table(model: type[models.Model], using: str) -> str:
    return connections[using].ops.quote_name(model._meta.db_table)


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
    whose document includes text of one of them."""
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
    """(model, id) of the records whose documents include text of `record`."""
    return {
        (model, pk)
        for model in searched_models()
        for relation in referring_paths(model, type(record))
        for pk in model._default_manager.filter(**{relation: record}).values_list("pk", flat=True)
    }


def update_all_search_vectors(*, missing_only: bool = False, using: str = DEFAULT_DB_ALIAS) -> None:
    """Rebuilds the stored document of every record (or only of the records that lack one): after
    writes that send no signals."""
    for model in searched_models():
        if connections[using].vendor != "postgresql":
            store_fts_documents(model, missing_only=missing_only, using=using)
        elif missing_only:
            terms = terms_model(model).objects.filter(record_id=OuterRef("pk"))
            store_documents(model, Q(search_document__isnull=True) | ~Exists(terms), using=using)
        else:
            store_documents(model, Q(), using=using)


def store_documents(model: type[models.Model], condition: Q, *, using: str) -> None:
    """Writes the documents of `model`'s records that meet `condition`: on PostgreSQL in one
    statement, which inserts or replaces each one, then their terms."""
    if connections[using].vendor != "postgresql":
        manager = model._default_manager.db_manager(using)
        ids = list(manager.filter(condition).order_by().values_list("pk", flat=True).distinct())
        store_fts_rows(model, ids, using=using)
        return
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
            f"ON CONFLICT ({record}) DO UPDATE SET {vector} = EXCLUDED.{vector} "
            f"RETURNING {record}",
            params,
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        terms = quoted_table(terms_model(model), using)
        cursor.execute(f"DELETE FROM {terms} WHERE record_id = ANY(%s)", [ids])
        cursor.execute(
            f"INSERT INTO {terms} (record_id, lexeme, score) "
            f"SELECT document.record_id, word.lexeme, share.score FROM {table} AS document "
            f"CROSS JOIN LATERAL unnest(document.vector) AS word "
            f"CROSS JOIN LATERAL ({TERM_SCORE}) AS share "
            f"WHERE document.record_id = ANY(%s)",
            [ids],
        )


def searched_models() -> list[type[models.Model]]:
    """The models whose records have stored search documents: every kind of record."""
    return [
        model
        for model in apps.get_app_config("catalogue").get_models()
        if any(field.name == "search_document" for field in model._meta.related_objects)
    ]


def fts_table(model: type[models.Model]) -> str:
    """SQLite's FTS5 table of `model`'s documents."""
    return f"{search_model(model)._meta.db_table}_fts"


def fts_columns() -> list[str]:
    """The FTS5 table's columns: one per weight, "a" for weight A."""
    return [weight.lower() for weight in WEIGHTS]


def fts_query(words: list[str]) -> str:
    """An FTS5 query matching every word as the start of a word."""
    return " AND ".join('"{}"*'.format(word.replace('"', '""')) for word in words)


def bm25_rank(table: str) -> str:
    """SQL of a matching row's relevance, higher for better (bm25 gives lower for better)."""
    weights = ", ".join(str(RANK_WEIGHTS[weight]) for weight in WEIGHTS)
    return f"-bm25({table}, {weights})"


def search_sqlite(queryset: models.QuerySet, words: list[str]) -> models.QuerySet:
    model = queryset.model
    table = fts_table(model)
    key = f'"{model._meta.db_table}"."{model._meta.pk.column}"'
    query = fts_query(words)
    matching = RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [query])
    rank = RawSQL(
        f"SELECT {bm25_rank(table)} FROM {table} WHERE {table} MATCH %s AND rowid = {key}",
        [query],
        output_field=FloatField(),
    )
    return queryset.filter(pk__in=matching).annotate(search_rank=rank)


def document_texts(model: type[models.Model], ids: list[int], *, using: str) -> dict:
    """{id: [text of weight A, B, C, D]} of the records of `model` with `ids`: the words SQLite
    indexes, each path's values in their order."""
    manager = model._default_manager.db_manager(using)
    texts = {pk: [[] for _weight in WEIGHTS] for pk in ids}
    own = [(weight, path) for weight, path in model.search_fields if not is_many(model, path)]
    for pk, *values in manager.filter(pk__in=ids).values_list("pk", *(p for _w, p in own)):
        for (weight, _path), value in zip(own, values, strict=True):
            if value:
                texts[pk][WEIGHTS.index(weight)].append(str(value))
    for weight, path in model.search_fields:
        if (weight, path) in own:
            continue
        rows = manager.filter(pk__in=ids).order_by("pk", path).values_list("pk", path)
        for pk, value in rows.distinct():
            if value:
                texts[pk][WEIGHTS.index(weight)].append(str(value))
    return {pk: [" ".join(parts) for parts in weights] for pk, weights in texts.items()}


def store_fts_rows(model: type[models.Model], ids: list[int], *, using: str) -> None:
    """Writes the FTS5 rows of the records of `model` with `ids`, and drops those of the ids no
    record has any more."""
    table = fts_table(model)
    columns = fts_columns()
    insert = (
        f"INSERT INTO {table} (rowid, {', '.join(columns)}) "
        f"VALUES (%s, {', '.join(['%s'] * len(columns))})"
    )
    # One transaction: SQLite would otherwise commit, and sync the file, after every row.
    with (
        transaction.atomic(using=using),
        connections[using].cursor() as cursor,
        page_cache(cursor, FTS_WRITE_CACHE_KIB),
    ):
        for start in range(0, len(ids), UPDATE_CHUNK_SIZE):
            chunk = ids[start : start + UPDATE_CHUNK_SIZE]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)
            documents = document_texts(model, chunk, using=using)
            found = model._default_manager.db_manager(using).filter(pk__in=chunk)
            rows = [(pk, *documents[pk]) for pk in found.values_list("pk", flat=True)]
            cursor.executemany(insert, rows)


@contextmanager
def page_cache(cursor, kib: int):
    """SQLite's page cache of this connection set to `kib` KiB for a while, then as it was."""
    cursor.execute("PRAGMA cache_size")
    (previous,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def store_fts_documents(model: type[models.Model], *, missing_only: bool, using: str) -> None:
    manager = model._default_manager.db_manager(using)
    ids = manager.order_by("pk").values_list("pk", flat=True)
    if missing_only:
        ids = ids.exclude(pk__in=RawSQL(f"SELECT rowid FROM {fts_table(model)}", []))
    else:
        with connections[using].cursor() as cursor:
            cursor.execute(f"DELETE FROM {fts_table(model)}")
    store_fts_rows(model, list(ids), using=using)


def forget_documents(model: type[models.Model], ids: list[int], *, using: str) -> None:
    """Drops what no foreign key deletes with deleted records: their terms on PostgreSQL (their
    search documents go with them), their FTS5 documents on SQLite."""
    if model not in searched_models():
        return
    if connections[using].vendor == "postgresql":
        sql = f"DELETE FROM {quoted_table(terms_model(model), using)} WHERE record_id = ANY(%s)"
        params = [ids]
    else:
        sql = f"DELETE FROM {fts_table(model)} WHERE rowid IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)


def search_ranks(model: type[models.Model], text: str, *, ranked: bool, using: str):
    """(ids, ranks) of every record of `model` matching every word of `text`, as two arrays (the
    ranks all 0 unless `ranked`), or None when `text` has no word to search for (every record
    matches, all equal).

    The matches come back joined in the database, which numpy reads at once: a common word
    matches most of the catalogue, and a row per match cost more than finding them."""
    words = WORD.findall(text)
    if not words:
        return None
    if connections[using].vendor == "postgresql":
        return postgres_ranks(model, " ".join(words), ranked=ranked, using=using)
    table = fts_table(model)
    rank = f", {bm25_rank(table)} AS rank" if ranked else ""
    sql = f"SELECT rowid AS id{rank} FROM {table} WHERE {table} MATCH %s"
    joined = "group_concat(id, ' ')"
    if ranked:
        # Every digit, so that ranks order as the database orders them.
        joined += ", group_concat(printf('%%.17g', rank), ' ')"
    # Materialised: flattened into the aggregate, bm25 would lose the MATCH it ranks.
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"WITH found AS MATERIALIZED ({sql}) SELECT {joined} FROM found", [fts_query(words)]
        )
        found = cursor.fetchone()
    ids = np.fromstring(found[0] or "", dtype=np.int64, sep=" ")
    ranks = np.fromstring(found[1] or "", sep=" ") if ranked else np.zeros(len(ids))
    return ids, ranks


def postgres_ranks(model: type[models.Model], text: str, *, ranked: bool, using: str):
    """search_ranks on PostgreSQL: for each stem of `text`, the records and scores of the terms
    it starts, read from the terms' index as one binary string each; a record matches when it
    has a term of every stem, and ranks the sum of its terms' scores over the stems."""
    terms = quoted_table(terms_model(model), using)
    scores = "string_agg(float8send(term.score), ''::bytea)" if ranked else "NULL::bytea"
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT found.ids, found.scores FROM ({STEMS}) AS stems CROSS JOIN LATERAL "
            f"(SELECT string_agg(int8send(term.record_id), ''::bytea) AS ids, {scores} AS scores "
            f"FROM {terms} AS term WHERE {STARTING}) AS found",
            [text],
        )
        found = cursor.fetchall()
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids = [np.frombuffer(row[0] or b"", dtype=">i8").astype(np.int64) for row in found]
    # Counted by id, as ids come from a sequence: an array as long as the largest id costs less
    # than sorting the matches.
    size = max((int(part.max()) + 1 for part in ids if len(part)), default=0)
    stems_had = np.zeros(size, dtype=np.int64)
    for part in ids:
        stems_had += np.bincount(part, minlength=size).astype(bool)
    matched = np.flatnonzero(stems_had == len(found))
    if not ranked:
        return matched, np.zeros(len(matched))
    scores = np.concatenate([np.frombuffer(row[1] or b"", dtype=">f8") for row in found])
    ranks = np.bincount(np.concatenate(ids), weights=scores, minlength=size) / len(found)
    return matched, ranks[matched]
