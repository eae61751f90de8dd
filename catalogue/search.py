"""Full-text search over records.

Each record model lists where its text lives in `search_fields`: (weight, path) pairs, weight "A"
(names) to "C" (long text). A path may cross a relation, so an initiative is found by its actors'
acronyms or its cities' names. Every word of a search matches as the start of a word of the
document, stemmed (a search for "oceans" finds "ocean"), and results are ranked by relevance,
the weights counting.

A search is read (`read_search`) into needs, one per word or per phrase a synonym group holds
(catalogue.models.SynonymGroup), each met by any of its alternatives: the words typed, their
synonyms, and for a word no record holds, the most alike word of the names (a typing error,
`closest_word`). Synonyms are read at search time, not stored in documents, so a curator's edit
counts from the next search on.

Each record's document is stored, built from its fields and relations, turned inside out: one row
per word (stemmed: a lexeme) of each record in the terms table of its kind
(catalogue/models/search.py), with the word's share of the record's rank. A search reads the
records and scores of the terms its words start, one index range per word; a record matches when
it meets every need, and its rank is the sum of its matched terms' scores over the number of
needs. A score is `ts_rank`'s for that word alone, so a rank is `ts_rank` of the words
joined by "or" (`ts_rank` of an "and" query also weighs how far apart the words stand, which an
index of words cannot give). Accents count for nothing ("lès" and "les" are one word).
PostgreSQL stems the words with its `english` text-search configuration after `unaccent`
(`SEARCH_CONFIG`) and keeps each document whole too, as a weighted `tsvector` in the record's
search table, from which its terms are made; SQLite's terms are stemmed here by the same
Snowball stemmer, with accents left out, and its search tables stay empty.

`update_search_vectors` rebuilds the documents of the records a write touched, and of the records
whose documents include their names (renaming an actor changes its initiatives'):
`catalogue.history` calls it when a recording ends, and, outside any recording, as each write
happens. Writes that send no signals (bulk_create, fixtures loaded raw, queryset updates) call it
themselves, or `manage.py update_search_vectors` afterwards.
"""

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import snowballstemmer
from django.apps import apps
from django.contrib.postgres.aggregates import StringAgg
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Exists, FloatField, OuterRef, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# PostgreSQL's English configuration, leaving out accents and keeping stop words (migration 0017).
SEARCH_CONFIG = "sciplo_english"
WEIGHTS = ("A", "B", "C", "D")
WORD = re.compile(r"\w+")
# Record ids per statement: PostgreSQL takes at most 65,535 parameters in one, SQLite 32,766.
UPDATE_CHUNK_SIZE = 10_000
# SQLite's page cache while terms are written, in KiB (a negative cache_size): its default,
# 2 MB, is far smaller than the index being written, and inside a long transaction (the
# generator's) each flush of it then went back to the file for the pages it had just written
# (as it did for the FTS5 documents kept before: 255 s for 30,000 initiatives, 12 s with this
# cache).
WRITE_CACHE_KIB = 256 * 1024
# ts_rank's default weight of each class, D to A.
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
# The distinct stems of a search's words as PostgreSQL stems them, the words given as arrays: the
# need and alternative each belongs to (`Search.words`), the word, and whether it matches whole
# words only. A stem that two words of an alternative give matches whole words if either asks it.
POSTGRES_STEMS = (
    "SELECT word.need, word.alternative, stem, bool_or(word.whole) AS whole "
    "FROM unnest(%s::int[], %s::int[], %s::text[], %s::bool[]) "
    "AS word (need, alternative, text, whole), "
    f"unnest(tsvector_to_array(to_tsvector('{SEARCH_CONFIG}'::regconfig, word.text))) AS stem "
    "GROUP BY word.need, word.alternative, stem"
)
# The terms that `stem` starts (or, `whole`, that are `stem`): one range of the terms' index,
# ending before the first text that `stem` does not start (or before the text just after `stem`:
# it followed by the character 1, which no word holds). PostgreSQL's index is ordered by
# text_pattern_ops, whose order is these operators' (bytes, as UTF-8 keeps the characters'
# order); SQLite compares bytes anyway.
STARTING = {
    "postgresql": "term.lexeme ~>=~ stem AND term.lexeme ~<~ (CASE WHEN whole THEN stem || chr(1) "
    "ELSE left(stem, -1) || chr(ascii(right(stem, 1)) + 1) END)",
    "sqlite": "term.lexeme >= stem AND term.lexeme < (CASE WHEN whole THEN stem || char(1) "
    "ELSE substr(stem, 1, length(stem) - 1) || char(unicode(substr(stem, -1)) + 1) END)",
}
SDG_REFERENCE = re.compile(r"\b(?:SDGs?|goals?)\s*[-#]?\s*(1[0-7]|[1-9])\b", re.IGNORECASE)
# A word of this many characters or fewer matches whole words only, as does a word in capitals
# or in digits: "EU", "UK", "MIT", "13" name something, where "ocea" starts "ocean".
SHORT_WORD = 2
# SQLite's documents and searches are stemmed here, by the Snowball stemmer PostgreSQL's English
# configuration uses.
STEMMER = snowballstemmer.stemmer("english")


def search(queryset: models.QuerySet, text: str) -> models.QuerySet:
    """Records matching every need of a search for `text` (`read_search`), annotated with
    `search_rank`: for each need, the record has a term starting each stem of one of its
    alternatives; it ranks as `search_ranks` ranks it."""
    model, using = queryset.model, queryset.db
    searched = read_search(text, using=using)
    if not searched:
        return queryset.annotate(search_rank=Value(0.0))
    stems, params = stems_sql(searched, using)
    terms = quoted_table(terms_model(model), using)
    starting = STARTING[connections[using].vendor]
    key = f'"{model._meta.db_table}"."{model._meta.pk.column}"'
    matching = RawSQL(
        f"WITH stems AS ({stems}) SELECT found.record_id FROM ("
        "SELECT term.record_id, stems.need, stems.alternative, count(DISTINCT stems.stem) AS had "
        f"FROM stems JOIN {terms} AS term ON {starting} "
        "GROUP BY term.record_id, stems.need, stems.alternative) AS found JOIN ("
        "SELECT need, alternative, count(DISTINCT stem) AS wanted FROM stems "
        "GROUP BY need, alternative) AS wanted ON wanted.need = found.need "
        "AND wanted.alternative = found.alternative AND wanted.wanted = found.had "
        "GROUP BY found.record_id "
        "HAVING count(DISTINCT found.need) = (SELECT count(DISTINCT need) FROM stems)",
        params,
    )
    rank = RawSQL(
        f"WITH stems AS ({stems}) SELECT sum(term.score) / (SELECT count(DISTINCT need) "
        f"FROM stems) FROM stems JOIN {terms} AS term ON term.record_id = {key} AND {starting}",
        params,
        output_field=FloatField(),
    )
    return queryset.filter(pk__in=matching).annotate(search_rank=rank)


# The words of a search's alternatives: (need, alternative, word, whole), as `Search.words` gives
# them; and their stems: (need, alternative, stem, whole).
WordRow = tuple[int, int, str, bool]


@dataclass(frozen=True)
class Search:
    """A search as it is run. Each word of its text, or each phrase of it that a synonym group
    holds, is one need; a record matches when it meets every need, and meets one when it holds
    every word of one of the need's alternatives: what was typed, its synonyms
    (`SynonymGroup`), and for a word no record holds, the most alike word of the records' names
    (`corrections`, typed word → word searched instead)."""

    text: str
    needs: tuple[tuple[tuple[str, ...], ...], ...]
    corrections: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.needs)

    @property
    def corrected_text(self) -> str | None:
        """The text with each word no record holds replaced by the word searched instead, when
        one was."""
        if not self.corrections:
            return None
        instead = dict(self.corrections)
        return WORD.sub(lambda found: instead.get(found.group(), found.group()), self.text)

    def words(self, needs: Iterable[int] | None = None) -> list[WordRow]:
        """The words of every alternative (of the needs numbered `needs`, or of all)."""
        return [
            (need, number, word, matches_whole_words(word))
            for need, alternatives in enumerate(self.needs)
            if needs is None or need in needs
            for number, alternative in enumerate(alternatives)
            for word in alternative
        ]

    def stems(self, needs: Iterable[int] | None = None) -> list[WordRow]:
        """The distinct stems of each alternative's words, as SQLite stems them: a stem
        matches whole words only if a word giving it asks so."""
        stems: dict[tuple[int, int, str], bool] = {}
        for need, number, word, whole in self.words(needs):
            for found in stems_of(word):
                stems[need, number, found] = stems.get((need, number, found), False) or whole
        return [(*key, whole) for key, whole in stems.items()]


def matches_whole_words(word: str) -> bool:
    """Whether a searched word matches whole words only, not the start of words (SHORT_WORD)."""
    return len(word) <= SHORT_WORD or word.isdigit() or (len(word) > 1 and word.isupper())


def read_search(text: str, *, using: str = DEFAULT_DB_ALIAS) -> Search:
    """A search for `text` as it is run on the catalogue as it stands, read once per request
    (a page reads it for its rows, facets, highlighting and notices). An SDG named as "SDG 13",
    "SDG13" or "goal 13" is searched as its number, which the documents of the records tagged
    with it hold."""
    from catalogue import revision

    memo = revision.request_memo()
    key = ("search", str(text), using)
    if memo is not None and key in memo:
        return memo[key]
    searched = read_search_afresh(str(text), using)
    if memo is not None:
        memo[key] = searched
    return searched


def read_search_afresh(text: str, using: str) -> Search:
    """`read_search`'s reading: the synonym groups, then which words no record holds (a query
    each), then for each of those the most alike word of the names (`closest_word`)."""
    words = WORD.findall(SDG_REFERENCE.sub(r" \1 ", text))
    if not words:
        return Search(text, ())
    synonyms = synonym_phrases(using)
    longest = max(map(len, synonyms), default=1)
    needs: list[tuple[tuple[str, ...], ...]] = []
    seen: set[tuple[str, ...]] = set()
    position = 0
    while position < len(words):
        length = next(
            (
                length
                for length in range(min(longest, len(words) - position), 1, -1)
                if phrase_words(" ".join(words[position : position + length])) in synonyms
            ),
            1,
        )
        typed = tuple(words[position : position + length])
        position += length
        phrase = phrase_words(" ".join(typed))
        if phrase not in seen:
            seen.add(phrase)
            needs.append((typed, *synonyms.get(phrase, ())))
    corrections = []
    for need in unknown_words(Search(text, tuple(needs)), using):
        (typed,) = needs[need][0]
        instead = closest_word(typed, using=using)
        if instead:
            needs[need] = (needs[need][0], (instead,))
            corrections.append((typed, instead))
    return Search(text, tuple(needs), tuple(corrections))


def phrase_words(text: str) -> tuple[str, ...]:
    """The words of a phrase as synonym groups compare them: stemmed, case and accents left
    out ("embassies" is "embassy")."""
    return tuple(stems_of(text))


def synonym_phrases(using: str) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Each phrase of the synonym groups (its words, `phrase_words`), and the words of the other
    phrases of its group, as written."""
    groups = apps.get_model("catalogue", "SynonymGroup")._default_manager.db_manager(using)
    synonyms = {}
    for group in groups.all():
        phrases = {phrase_words(term): tuple(WORD.findall(term)) for term in group.term_list()}
        for phrase in phrases:
            synonyms[phrase] = tuple(words for other, words in phrases.items() if other != phrase)
    return synonyms


def unknown_words(searched: Search, using: str) -> list[int]:
    """The needs of `searched` that are one word, typed, that no record of any kind holds: the
    words a search may take for typing errors. Words matching whole words only (short words,
    acronyms in capitals, numbers) are not among them."""
    candidates = {
        need
        for need, alternatives in enumerate(searched.needs)
        if len(alternatives) == 1
        and len(alternatives[0]) == 1
        and not matches_whole_words(alternatives[0][0])
    }
    if not candidates:
        return []
    stems, params = stems_sql(searched, using, candidates)
    starting = STARTING[connections[using].vendor]
    held = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {quoted_table(terms_model(model), using)} AS term "
        f"WHERE {starting})"
        for model in searched_models()
    )
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT stems.need FROM ({stems}) AS stems WHERE {held}", params)
        return sorted(need for (need,) in cursor.fetchall())


def stems_sql(searched: Search, using: str, needs: Iterable[int] | None = None) -> tuple[str, list]:
    """SQL selecting the distinct stems of `searched`'s alternatives (of the needs numbered
    `needs`, or of all) as rows (need, alternative, stem, whole), and its parameters:
    PostgreSQL stems the words itself, as it stems its documents; SQLite is given the stems."""
    if connections[using].vendor == "postgresql":
        rows = searched.words(needs)
        return POSTGRES_STEMS, [[row[column] for row in rows] for column in range(4)]
    rows = searched.stems(needs)
    if not rows:
        return "SELECT NULL AS need, NULL AS alternative, NULL AS stem, NULL AS whole LIMIT 0", []
    each = "SELECT %s AS need, %s AS alternative, %s AS stem, %s AS whole"
    return " UNION ALL ".join([each] * len(rows)), [value for row in rows for value in row]


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return STEMMER.stemWord(word)


def highlighted(text: str, searched: Search | None) -> SafeString:
    """`text` escaped, with each word that `searched` matches in it marked (`<mark>`): a word
    whose stem one of the search's stems starts (or is, for a word matching whole words)."""
    stems = (
        {(found, whole) for _need, _number, found, whole in searched.stems()} if searched else ()
    )
    if not stems or not text:
        return escape(text)
    pieces, written = [], 0
    for found in WORD.finditer(text):
        word_stems = stems_of(found.group())
        if any(
            word_stem == stem or (not whole and word_stem.startswith(stem))
            for word_stem in word_stems
            for stem, whole in stems
        ):
            pieces += [escape(text[written : found.start()]), "<mark>", escape(found.group())]
            pieces.append("</mark>")
            written = found.end()
    pieces.append(escape(text[written:]))
    return mark_safe("".join(pieces))


def stems_of(text: str) -> list[str]:
    """The stems of the words of `text`, in order, case and accents left out: how SQLite's
    documents and searches are stemmed."""
    return [stem(word) for word in WORD.findall(folded(text))]


def folded(text: str) -> str:
    """`text` in lower case without accents."""
    text = text.casefold()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return text


def term_scores(texts: list[str]) -> dict[str, float]:
    """The stems of a document given as its text of each weight (A first) and each one's share
    of the rank, as TERM_SCORE computes it on PostgreSQL from the same places and weights."""
    weights_of: dict[str, list[float]] = {}
    for weight, text in zip(WEIGHTS, texts, strict=True):
        for found in stems_of(text):
            weights_of.setdefault(found, []).append(RANK_WEIGHTS[weight])
    scores = {}
    for found, weights in weights_of.items():
        heaviest = max(weights)
        place = weights.index(heaviest) + 1
        spread = sum(weight / (n * n) for n, weight in enumerate(weights, start=1))
        scores[found] = (heaviest + spread - heaviest / (place * place)) / 1.64493406685
    return scores


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
        # As text: a path may end at a number (an SDG's).
        joined = {
            f"text{number}": StringAgg(Cast(path, TextField()), delimiter=" ", order_by=path)
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
    """Rebuilds the stored document of every record (or only of the records that lack their
    terms, or on PostgreSQL their document: a record whose document has no word is rebuilt each
    time, at little cost): after writes that send no signals."""
    for model in searched_models():
        condition = Q()
        if missing_only:
            condition = ~Exists(terms_model(model).objects.filter(record_id=OuterRef("pk")))
            if connections[using].vendor == "postgresql":
                condition |= Q(search_document__isnull=True)
        store_documents(model, condition, using=using)


def store_documents(model: type[models.Model], condition: Q, *, using: str) -> None:
    """Writes the documents of `model`'s records that meet `condition`, then their terms: on
    PostgreSQL the documents in one statement, which inserts or replaces each one; on SQLite only
    the terms, stemmed here."""
    if connections[using].vendor != "postgresql":
        manager = model._default_manager.db_manager(using)
        ids = list(manager.filter(condition).order_by().values_list("pk", flat=True).distinct())
        store_sqlite_terms(model, ids, using=using)
        return
    manager = model._default_manager.db_manager(using)
    # A subquery, not a join, keeps each record once however many of its relations match.
    records = manager.filter(pk__in=manager.filter(condition).values("pk"))
    sql, params = document_rows(model, records)
    connection = connections[using]
    table = quoted_table(search_model(model), using)
    record, vector = (connection.ops.quote_name(column) for column in ("record_id", "vector"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({record}, {vector}) {sql} "
            f"ON CONFLICT ({record}) DO UPDATE SET {vector} = EXCLUDED.{vector} "
            f"RETURNING {record}",
            params,
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        terms = drop_terms(cursor, model, ids, using=using)
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


def store_sqlite_terms(model: type[models.Model], ids: list[int], *, using: str) -> None:
    """Writes the terms of the records of `model` with `ids`, and drops those of the ids no
    record has any more."""
    # One transaction: SQLite would otherwise commit, and sync the file, after every row.
    with (
        transaction.atomic(using=using),
        connections[using].cursor() as cursor,
        page_cache(cursor, WRITE_CACHE_KIB),
    ):
        for start in range(0, len(ids), UPDATE_CHUNK_SIZE):
            chunk = ids[start : start + UPDATE_CHUNK_SIZE]
            terms = drop_terms(cursor, model, chunk, using=using)
            rows = [
                (pk, lexeme, score)
                for pk, texts in document_texts(model, chunk, using=using).items()
                for lexeme, score in term_scores(texts).items()
            ]
            cursor.executemany(
                f"INSERT INTO {terms} (record_id, lexeme, score) VALUES (%s, %s, %s)", rows
            )


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


def forget_documents(model: type[models.Model], ids: list[int], *, using: str) -> None:
    """Drops the terms of deleted records, which no foreign key deletes with them (PostgreSQL's
    search documents go with their records)."""
    if model not in searched_models():
        return
    with connections[using].cursor() as cursor:
        drop_terms(cursor, model, ids, using=using)


def forget_every_document(*, using: str) -> None:
    """Drops the terms of every record of every kind (the whole catalogue deleted)."""
    with connections[using].cursor() as cursor:
        for model in searched_models():
            cursor.execute(f"DELETE FROM {quoted_table(terms_model(model), using)}")


def drop_terms(cursor, model: type[models.Model], ids: list[int], *, using: str) -> str:
    """Deletes the terms of the records of `model` with `ids`; returns the terms' table, quoted.
    PostgreSQL is given the ids as one array, which takes any number of them."""
    terms = quoted_table(terms_model(model), using)
    if connections[using].vendor == "postgresql":
        cursor.execute(f"DELETE FROM {terms} WHERE record_id = ANY(%s)", [ids])
    else:
        cursor.execute(
            f"DELETE FROM {terms} WHERE record_id IN ({', '.join(['%s'] * len(ids))})", ids
        )
    return terms


def search_ranks(model: type[models.Model], text: str, *, ranked: bool, using: str):
    """(ids, ranks) of every record of `model` matching a search for `text` (`read_search`), as
    two arrays (the ranks all 0 unless `ranked`), or None when `text` has no word to search for
    (every record matches, all equal).

    For each stem of each need's alternatives, the records and scores of the terms it starts,
    read from the terms' index, all in one query; `matches` combines them. Each stem's matches
    come back joined in the database, which numpy reads at once: a common word matches most of
    the catalogue, and a row per match cost more than finding them."""
    searched = read_search(text, using=using)
    if not searched:
        return None
    terms = quoted_table(terms_model(model), using)
    if connections[using].vendor == "postgresql":
        # Binary: PostgreSQL writes a float as text slowly; numpy reads these bytes as they are.
        scores = "string_agg(float8send(term.score), ''::bytea)" if ranked else "NULL::bytea"
        stems, params = stems_sql(searched, using)
        sql = (
            "SELECT stems.need, stems.alternative, found.ids, found.scores "
            f"FROM ({stems}) AS stems CROSS JOIN LATERAL ("
            "SELECT string_agg(int8send(term.record_id), ''::bytea) AS ids, "
            f"{scores} AS scores FROM {terms} AS term WHERE {STARTING['postgresql']}) AS found"
        )
    else:
        scores = "group_concat(term.score, ' ')" if ranked else "NULL"
        rows = searched.stems()
        # The need and alternative as values: read from the stem's row, they would be null
        # when no term matches it.
        each = (
            f"SELECT %s, %s, group_concat(term.record_id, ' '), {scores} "
            f"FROM (SELECT %s AS stem, %s AS whole) AS stems JOIN {terms} AS term "
            f"ON {STARTING['sqlite']}"
        )
        # A query per stem, so that each reads its own range of the index.
        sql = " UNION ALL ".join([each] * len(rows))
        params = [value for row in rows for value in row]
    found = []
    if sql:
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
    return matches(found, ranked=ranked, binary=connections[using].vendor == "postgresql")


def matches(found: list[tuple], *, ranked: bool, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """(ids, ranks) of the records that meet every need, from a row per stem of each need's
    alternatives: (need, alternative, its terms' record ids, their scores), the ids and scores
    each joined (as bytes, or as text between spaces). A record meets a need when it has a term
    of every stem of one of its alternatives; it ranks the sum of its matched terms' scores over
    the number of needs."""

    def read(joined, dtype) -> np.ndarray:
        if binary:
            return np.frombuffer(joined or b"", dtype=">i8" if dtype is np.int64 else ">f8")
        return np.fromstring(joined or "", dtype=dtype, sep=" ")

    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids = [read(row[2], np.int64).astype(np.int64) for row in found]
    # Counted by id, as ids come from a sequence: an array as long as the largest id costs less
    # than sorting the matches.
    size = max((int(part.max()) + 1 for part in ids if len(part)), default=0)
    stems_had: dict[tuple[int, int], np.ndarray] = {}
    stems_wanted: dict[tuple[int, int], int] = {}
    for (need, alternative, *_joined), part in zip(found, ids, strict=True):
        had = stems_had.setdefault((need, alternative), np.zeros(size, dtype=np.int64))
        had += np.bincount(part, minlength=size).astype(bool)
        stems_wanted[need, alternative] = stems_wanted.get((need, alternative), 0) + 1
    needs_met: dict[int, np.ndarray] = {}
    for (need, alternative), had in stems_had.items():
        met = needs_met.setdefault(need, np.zeros(size, dtype=bool))
        met |= had == stems_wanted[need, alternative]
    matched = np.flatnonzero(np.sum(list(needs_met.values()), axis=0) == len(needs_met))
    if not ranked:
        return matched, np.zeros(len(matched))
    scores = np.concatenate([read(row[3], np.float64) for row in found])
    ranks = np.bincount(np.concatenate(ids), weights=scores, minlength=size) / len(needs_met)
    return matched, ranks[matched]


# How alike a word of the names must be to a searched word to be searched instead of it:
# pg_trgm's share of trigrams, difflib's share of matching characters (which scores alike words
# higher).
SIMILAR_WORD = {"postgresql": 0.4, "sqlite": 0.75}


def closest_word(word: str, *, using: str) -> str | None:
    """The word most like `word` (case and accents aside), if one is alike enough, of the names
    a reader may mean: published records' names, acronyms and other names, and countries'. Never
    `word` itself: a country's name that no record holds is no better."""
    word = folded(word)
    vendor = connections[using].vendor
    texts = [
        kind._default_manager.db_manager(using).published().values_list(field)
        for kind in searched_models()
        for field in ("name", "acronym", "alternative_names")
    ]
    texts.append(apps.get_model("catalogue", "Country")._default_manager.values_list("name"))
    if vendor == "postgresql":
        selects, params = [], []
        for names in texts:
            sql, names_params = names.query.sql_with_params()
            selects.append(
                "SELECT regexp_split_to_table(lower(unaccent(source.text)), '[^[:alnum:]]+') "
                f"AS word FROM ({sql}) AS source (text)"
            )
            params += names_params
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"SELECT word FROM ({' UNION '.join(selects)}) AS vocabulary "
                "WHERE length(word) > 2 AND word <> %s AND similarity(word, %s) >= %s "
                "ORDER BY similarity(word, %s) DESC, word LIMIT 1",
                [*params, word, word, SIMILAR_WORD[vendor], word],
            )
            found = cursor.fetchone()
        return found[0] if found else None
    vocabulary = {
        name_word
        for names in texts
        for (text,) in names
        for name_word in WORD.findall(folded(text or ""))
        if len(name_word) > 2 and name_word != word
    }
    close = difflib.get_close_matches(word, sorted(vocabulary), n=1, cutoff=SIMILAR_WORD[vendor])
    return close[0] if close else None
