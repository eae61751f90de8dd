"""The list index: which records a list shows, in which order, and how many records carry each
value of its facets, answered from arrays in memory rather than by grouped queries.

Counting is what grows with the catalogue. An initiative list page shows thirteen facets, and at
100,000 initiatives each of them is a grouped query over hundreds of thousands of link rows:
seconds of database work for every new combination of filters a reader or a crawler asks for.
Here every record of a kind has a position, and for each filter parameter the index holds the
values each record carries, as small integer codes (`Values`), with the records of each value
beside them. A filter is then the union of the records of its chosen values, the results the
intersection of every filter's records, and a facet's counts one `bincount` over the codes of
the records in the results of the other filters. Sort orders are the database's own, read once
per index, so that a page is a slice of an order.

An index is built from the database, one query per filter parameter and per sort order, by the
first request that needs it, and built again once the catalogue's revision token has moved (any
write, in any process: catalogue.revision) or the day has changed (a course's state hangs on it).
Nothing a request answers is kept: each request filters, counts and orders afresh. What the
index holds is derived entirely from the FilterSet's declarations (catalogue/filters.py), so a
query string means here exactly what the FilterSet says it means, and the tests hold the index's
answers against the database's own.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import django_filters
import numpy as np
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

from catalogue import revision
from catalogue.facets import DecadeFacet, Facet, FacetValue, QueryString
from catalogue.models import Publication
from catalogue.search import search_ranks

# Codes and positions fit 32 bits: a kind of record holds far fewer than two billion records.
CODE = np.int32


def fetch(queryset: models.QuerySet) -> list[tuple]:
    """The rows of `queryset` as the database driver gives them: an index reads hundreds of
    thousands of rows, which Django's per-row conversions would make several times slower."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def ids_of(rows: list[tuple]) -> np.ndarray:
    """The first column of `rows`, ids, as an array."""
    return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))


def query_text(value) -> str:
    """A value as a query string writes it: a year or an SDG's number without decimals, whatever
    numeric type the database gives it in."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


@dataclass
class Values:
    """The values of one filter parameter that each record carries: `codes[i]` is carried by the
    record at position `owners[i]` (each pair once), `vocabulary[code]` is the value as a query
    string writes it and `labels[code]` how a facet names it. `by_value` lists the same owners
    grouped by code, those of code c from `offsets[c]` to `offsets[c + 1]`; the pairs are in
    order of owner, those of the record at position p from `owner_offsets[p]` to
    `owner_offsets[p + 1]`; `label_order` ranks the codes by label, as a facet orders values of
    equal counts."""

    vocabulary: list[str]
    labels: list[str]
    owners: np.ndarray
    codes: np.ndarray
    by_value: np.ndarray
    offsets: np.ndarray
    owner_offsets: np.ndarray
    label_order: np.ndarray
    code_of: dict[str, int]

    @classmethod
    def from_pairs(
        cls, owners, codes, vocabulary: list[str], labels: list[str], *, size: int
    ) -> "Values":
        """The values of `size` records from (owner position, code) pairs."""
        owners = np.asarray(owners, dtype=np.int64)
        codes = np.asarray(codes, dtype=np.int64)
        # Each (record, value) once: a record reaching one value by two paths counts once.
        pairs = np.unique(owners * len(vocabulary) + codes) if len(owners) else owners
        owners, codes = np.divmod(pairs, max(len(vocabulary), 1))
        by_code = np.argsort(codes, kind="stable")
        label_order = np.empty(len(vocabulary), dtype=CODE)
        label_order[sorted(range(len(labels)), key=lambda code: labels[code].lower())] = np.arange(
            len(labels), dtype=CODE
        )
        return cls(
            vocabulary=vocabulary,
            labels=labels,
            owners=owners.astype(CODE),
            codes=codes.astype(CODE),
            by_value=owners[by_code].astype(CODE),
            offsets=np.searchsorted(codes[by_code], np.arange(len(vocabulary) + 1)),
            owner_offsets=np.searchsorted(owners, np.arange(size + 1)).astype(CODE),
            label_order=label_order,
            code_of={value: code for code, value in enumerate(vocabulary)},
        )

    def records_with_any(self, values: Iterable[str], size: int) -> np.ndarray:
        """A mask of the records carrying any of `values`."""
        mask = np.zeros(size, dtype=bool)
        for value in values:
            code = self.code_of.get(value)
            if code is not None:
                mask[self.by_value[self.offsets[code] : self.offsets[code + 1]]] = True
        return mask

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """The number of records of `mask` carrying each value, by code: read from the pairs of
        the records in `mask` while they are at most half of all (at 100,000 initiatives a
        filtered list's are a fraction, and looking at every pair cost several times more),
        else from every pair."""
        if 2 * np.count_nonzero(mask) > len(mask):
            return np.bincount(self.codes[mask[self.owners]], minlength=len(self.vocabulary))
        selected = np.flatnonzero(mask)
        starts = self.owner_offsets[selected]
        lengths = self.owner_offsets[selected + 1] - starts
        ends = np.cumsum(lengths)
        # The pairs of each selected record, one run after another.
        pairs = np.repeat(starts - ends + lengths, lengths) + np.arange(
            ends[-1] if len(ends) else 0
        )
        return np.bincount(self.codes[pairs], minlength=len(self.vocabulary))


@dataclass
class Numbers:
    """A number per record (NaN where it has none), for range filters and decade facets."""

    values: np.ndarray

    def within(self, lookup: str, bound) -> np.ndarray:
        # NaN compares false, as NULL does in the database.
        return self.values >= float(bound) if lookup == "gte" else self.values <= float(bound)

    def counts(self, mask: np.ndarray) -> dict[int, int]:
        numbers = self.values[mask]
        numbers = numbers[~np.isnan(numbers)].astype(np.int64)
        found, totals = np.unique(numbers, return_counts=True)
        return dict(zip(found.tolist(), totals.tolist(), strict=True))


class KindIndex:
    """The index of one kind of record, for its FilterSet: every record, published or not, by
    position in order of id."""

    def __init__(self, filterset_class, *, using: str, token: str, day):
        self.filterset_class = filterset_class
        self.model = filterset_class._meta.model
        self.using = using
        self.token = token
        self.day = day
        filters = filterset_class.base_filters
        facets = {facet.param: facet for facet in filterset_class.facets}
        numbers = {
            declared.field_name
            for declared in filters.values()
            if isinstance(declared, django_filters.NumberFilter)
        }
        own = [
            facets[name].path
            for name in filters
            if name in facets and not facets[name].buckets and not self.split(facets[name].path)[0]
        ]
        # The records' own columns, all in one query, by id.
        columns = list(dict.fromkeys(["pk", "publication", *numbers, *own]))
        rows = fetch(self.manager.order_by("pk").values_list(*columns))
        column = {name: [row[number] for row in rows] for number, name in enumerate(columns)}
        self.ids = np.array(column["pk"], dtype=np.int64)
        self.published = np.array(
            [publication == Publication.PUBLISHED for publication in column["publication"]],
            dtype=bool,
        )
        self.numbers = {
            path: Numbers(np.array([np.nan if v is None else float(v) for v in column[path]]))
            for path in numbers
        }
        self.values: dict[str, Values] = {}
        for name, declared in filters.items():
            if name in facets and facets[name].buckets:
                self.values[name] = self.load_buckets(facets[name])
            elif name in facets and facets[name].path in own:
                self.values[name] = self.load_own(column[facets[name].path], facets[name].labels)
            elif name in facets:
                self.values[name] = self.load_facet(facets[name])
            elif isinstance(declared, django_filters.ModelMultipleChoiceFilter):
                self.values[name] = self.load_related(declared)
        manager = self.manager
        self.orders = {
            sort: self.positions_of(
                ids_of(fetch(manager.order_by(*filterset_class.ordering(sort)).values_list("pk")))
            )
            for sort in filterset_class.sort_options
        }
        self.name_rank = np.empty(len(self.ids), dtype=CODE)
        self.name_rank[self.orders["name"]] = np.arange(len(self.ids), dtype=CODE)

    @property
    def manager(self):
        return self.model._default_manager.db_manager(self.using)

    def positions_of(self, ids: np.ndarray) -> np.ndarray:
        """The positions of the records with `ids`."""
        return np.searchsorted(self.ids, ids).astype(CODE)

    def load_facet(self, facet: Facet) -> Values:
        relation, field = self.split(facet.path)
        model = self.related_model(relation)
        records = model._default_manager.db_manager(self.using).all()
        if facet.published_via:
            records = records.filter(publication=Publication.PUBLISHED)
        label_field = self.split(facet.label_path)[1] if facet.label_path else field
        return self.load_through(relation, records, field, label_field, facet.labels)

    def load_related(self, declared: django_filters.ModelMultipleChoiceFilter) -> Values:
        """A filter without a facet: the records it may choose (its queryset) by its key."""
        records = declared.queryset.using(self.using)
        key = declared.extra.get("to_field_name") or "pk"
        return self.load_through(declared.field_name, records, key, "name", {})

    def load_own(self, values: list, labels: dict[str, str]) -> Values:
        """The values of a column of the records (in order of id)."""
        texts = np.array(["" if value is None else query_text(value) for value in values])
        positions = np.flatnonzero(texts != "")
        found, codes = np.unique(texts[positions], return_inverse=True)
        found = found.tolist()
        return Values.from_pairs(
            positions, codes, found, [labels.get(v, v) for v in found], size=len(self.ids)
        )

    def load_through(
        self, relation: str, records: models.QuerySet, field: str, label_field: str, labels
    ) -> Values:
        """The values of `field` of the `records` reached through `relation`, labelled by
        `label_field` (or `labels`)."""
        vocabulary: dict[str, int] = {}
        label_of: dict[str, str] = {}
        related_ids, related_codes = [], []
        for pk, value, label in fetch(records.order_by("pk").values_list("pk", field, label_field)):
            if value is None or value == "":
                continue
            text = query_text(value)
            related_ids.append(pk)
            related_codes.append(vocabulary.setdefault(text, len(vocabulary)))
            label_of.setdefault(text, labels.get(text, str(label)))
        owners, linked = self.pairs(relation)
        # Each link's related record among those offered, found by its id (or code).
        related_ids = np.array(related_ids)
        order = np.argsort(related_ids, kind="stable")
        related_ids, related_codes = related_ids[order], np.array(related_codes, np.int64)[order]
        at = np.searchsorted(related_ids, linked).clip(max=max(len(related_ids) - 1, 0))
        offered = related_ids[at] == linked if len(related_ids) else np.zeros(len(linked), bool)
        values = list(vocabulary)
        return Values.from_pairs(
            self.positions_of(owners[offered]),
            related_codes[at[offered]],
            values,
            [label_of[value] for value in values],
            size=len(self.ids),
        )

    def pairs(self, relation: str) -> tuple[np.ndarray, np.ndarray]:
        """The record ids and the related records' ids (or codes) of every link of the records
        through `relation`, read from the link table alone when the relation is one step: the
        join the database would otherwise make adds nothing."""
        field = self.model._meta.get_field(relation) if "__" not in relation else None
        if field is not None and field.many_to_many and not field.auto_created:
            through = field.remote_field.through._default_manager.db_manager(self.using)
            links = through.values_list(f"{field.m2m_field_name()}_id", field.m2m_reverse_name())
        elif field is not None and field.one_to_many:
            related = field.related_model._default_manager.db_manager(self.using)
            links = related.values_list(field.field.attname, "pk")
        else:
            links = self.manager.values_list("pk", relation)
        rows = [row for row in fetch(links.order_by()) if row[1] is not None]
        return ids_of(rows), np.array([related for _owner, related in rows])

    def load_buckets(self, facet: Facet) -> Values:
        owners, codes, values, labels = [], [], [], []
        for code, (value, label, condition) in enumerate(facet.buckets()):
            members = ids_of(fetch(self.manager.filter(condition).order_by().values_list("pk")))
            owners.append(members)
            codes.append(np.full(len(members), code, dtype=np.int64))
            values.append(value)
            labels.append(str(label))
        return Values.from_pairs(
            self.positions_of(np.concatenate(owners)),
            np.concatenate(codes),
            values,
            labels,
            size=len(self.ids),
        )

    def split(self, path: str) -> tuple[str, str]:
        """`path` as the relation it crosses ("" for a field of the record itself) and the field
        or transform it reads at the end."""
        parts = path.split("__")
        model = self.model
        crossed = []
        for part in parts[:-1]:
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                break
            if not field.is_relation:
                break
            crossed.append(part)
            model = field.related_model
        return "__".join(crossed), "__".join(parts[len(crossed) :])

    def related_model(self, relation: str) -> type[models.Model]:
        model = self.model
        for part in relation.split("__"):
            model = model._meta.get_field(part).related_model
        return model

    def select(self, filterset, *, published_only: bool = True) -> "Selection":
        return Selection(self, filterset, published_only=published_only)


class Selection:
    """The records a bound, validated FilterSet selects in an index, in its order, with the
    records each of its filters selects alone (for the facets)."""

    def __init__(self, index: KindIndex, filterset, *, published_only: bool):
        self.index = index
        self.filterset = filterset
        size = len(index.ids)
        self.base = index.published if published_only else np.ones(size, dtype=bool)
        data = filterset.form.cleaned_data
        self.ranks = None
        self.masks: dict[str, np.ndarray] = {}
        for name, value in data.items():
            if name == "sort" or value in (None, "") or (not isinstance(value, str) and not value):
                continue
            declared = filterset.filters[name]
            if name == "q":
                ranked = (data.get("sort") or "relevance") == "relevance"
                matched = search_ranks(index.model, value, ranked=ranked, using=index.using)
                if matched is None:
                    continue
                ids, ranks = matched
                positions = np.searchsorted(index.ids, ids)
                found = positions < size
                found[found] = index.ids[positions[found]] == ids[found]
                self.ranks = np.zeros(size)
                self.ranks[positions[found]] = ranks[found]
                mask = np.zeros(size, dtype=bool)
                mask[positions[found]] = True
            elif isinstance(declared, django_filters.NumberFilter):
                numbers = index.numbers[declared.field_name]
                mask = numbers.within(declared.lookup_expr, value)
            else:
                mask = index.values[name].records_with_any(chosen_values(declared, value), size)
            self.masks[name] = mask
        self.results = self.without(())
        self.total = int(self.results.sum())
        self.searched = "q" in self.masks or bool(str(data.get("q") or "").strip())

    def without(self, params: Iterable[str]) -> np.ndarray:
        """The records every filter but `params` selects."""
        mask = self.base.copy()
        for name, selected in self.masks.items():
            if name not in params:
                mask &= selected
        return mask

    def ordered(self) -> np.ndarray:
        """The positions of the results in the order asked for (`sort`, or relevance to `q`)."""
        data = self.filterset.form.cleaned_data
        sort = data.get("sort") or ("relevance" if self.searched else "")
        if sort == "relevance" and self.searched:
            found = np.flatnonzero(self.results)
            ranks = self.ranks[found] if self.ranks is not None else np.zeros(len(found))
            return found[np.lexsort((self.index.name_rank[found], -ranks))]
        options = self.filterset.sort_options
        order = self.index.orders[sort if sort in options else self.filterset.default_sort]
        return order[self.results[order]]

    def ids(self, start: int = 0, stop: int | None = None) -> list[int]:
        """The ids of the results from `start` to `stop`, in order."""
        return self.index.ids[self.ordered()[start:stop]].tolist()

    def facet_values(self, facet, limit: int | None = None) -> tuple[list[FacetValue], int]:
        """The values of `facet` to offer beside the results, counted over the records of every
        other filter (see catalogue/facets.py), in their order: chosen values first, then by
        count and label, or buckets in their own order. The first `limit` of them (all if None),
        and how many there are in all."""
        query = QueryString(self.filterset.data)
        others = self.without(facet.params)
        if isinstance(facet, DecadeFacet):
            offered = facet.offered(query, self.index.numbers[facet.path].counts(others))
            return offered[:limit], len(offered)
        values = self.index.values[facet.param]
        counts = values.counts(others)
        # Every bucket is counted, even one no record meets; other values only once carried.
        counted = np.arange(len(counts)) if facet.buckets else np.flatnonzero(counts)
        is_counted = np.zeros(len(counts), dtype=bool)
        is_counted[counted] = True
        chosen = [value for value in query.data.getlist(facet.param) if value]
        chosen_codes = list(
            dict.fromkeys(
                values.code_of[value]
                for value in chosen
                if value in values.code_of and is_counted[values.code_of[value]]
            )
        )
        shown = counts
        if chosen:
            # A value not chosen gives the current results and the records it adds.
            shown = self.total + values.counts(others & ~self.results)
            shown[chosen_codes] = counts[chosen_codes]
        offered = counted[(shown[counted] > 0) | np.isin(counted, chosen_codes)]
        uncounted = [
            facet.value(query, value, self.filterset.value_label(facet.param, value), 0, True)
            for value in chosen
            if value not in values.code_of or not is_counted[values.code_of[value]]
        ]

        def made(code) -> FacetValue:
            selected = code in chosen_codes
            value, label = values.vocabulary[code], values.labels[code]
            return facet.value(query, value, label, int(shown[code]), selected)

        if facet.buckets:
            made_values = [made(code) for code in offered] + uncounted
            return made_values[:limit], len(made_values)
        first = [made(code) for code in chosen_codes] + uncounted
        first.sort(key=lambda item: (-item.count, item.label.lower()))
        rest = offered[~np.isin(offered, chosen_codes)]
        rest = rest[np.lexsort((values.label_order[rest], -shown[rest]))]
        room = None if limit is None else max(0, limit - len(first))
        return [*first, *(made(code) for code in rest[:room])][:limit], len(first) + len(rest)


def chosen_values(declared, value) -> list[str]:
    """A multiple-choice filter's cleaned value as the query string wrote it."""
    if isinstance(declared, django_filters.ModelMultipleChoiceFilter):
        key = declared.extra.get("to_field_name") or "pk"
        return [query_text(getattr(record, key)) for record in value]
    return [query_text(item) for item in value]


_indexes: dict[tuple[str, type], KindIndex] = {}


def index_for(filterset_class, *, using: str = DEFAULT_DB_ALIAS) -> KindIndex:
    """The index of `filterset_class`'s kind of record as the catalogue is now: the one built
    before, unless the catalogue or the day has changed since."""
    token, day = revision.current(), timezone.localdate()
    key = (using, filterset_class)
    index = _indexes.get(key)
    if index is None or index.token != token or index.day != day:
        index = KindIndex(filterset_class, using=using, token=token, day=day)
        _indexes[key] = index
    return index


def forget() -> None:
    """Drops every index, so that the next request builds them again: for writes that leave the
    revision token as it was (a test's transaction rolled back)."""
    _indexes.clear()


class SelectedRecords:
    """The records of a selection as a paginator pages them: counted by the index, each page
    made by `load` from the ids of its records, in order."""

    def __init__(self, selection: Selection, load: Callable[[list[int]], list]):
        self.selection = selection
        self.load = load

    def count(self) -> int:
        return self.selection.total

    def __len__(self) -> int:
        return self.selection.total

    def __getitem__(self, page: slice) -> list:
        return self.load(self.selection.ids(page.start or 0, page.stop))


def in_order(queryset: models.QuerySet) -> Callable[[list[int]], list[models.Model]]:
    """Loads the records of `queryset` with some ids, in the order of the ids."""

    def load(ids: list[int]) -> list[models.Model]:
        found = {record.pk: record for record in queryset.filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]

    return load


@dataclass
class FoundKind:
    """What a search found of one kind of record: how many, and the best of them."""

    model: type[models.Model]
    total: int
    best: list


def search_every_kind(filterset_classes, text: str, best: int) -> list[FoundKind]:
    """The published records of each FilterSet's kind that a search for `text` finds, counted
    and ranked by the list index as the kind's own list finds them, with the `best` first."""
    found = []
    for filterset_class in filterset_classes:
        records = filterset_class._meta.model.objects.published()
        filterset = filterset_class({"q": text}, queryset=records)
        filterset.is_valid()
        selection = index_for(filterset_class, using=records.db).select(filterset)
        ids = selection.ids(0, best)
        found.append(
            FoundKind(records.model, selection.total, in_order(records)(ids) if ids else [])
        )
    return found
