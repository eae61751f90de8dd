"""Queries compiled once per process, for the reads every request makes.

Building a query with the ORM costs more than running it: a record's representation is nine
small queries, and building them took three times as long as the database took to answer. A
`CompiledQuery` is a `values_list()` queryset built once with its list of keys (ids, slugs) left
open; each use only puts the keys in, and converts what the database gives as the ORM would.

On PostgreSQL each statement is prepared once per connection (server-side binding, the keys as
one array parameter, so that a page of 25 and one of 50 share a statement) and the statements of
one read are sent together in a pipeline: planning, not running, was most of the database's
work for such small queries, and each round trip costs both processes a wake-up. PostgreSQL
plans them once per connection (`plan_cache_mode`, set in the settings): left to choose, it kept
planning each use afresh, which took longer than the lookup by key it planned. Django keeps
its own queries unprepared, for connection poolers; a pooler in front of Sciplo must keep
prepared statements (PgBouncer 1.21 or later does, with `max_prepared_statements`).

Statements go through Django's execute wrappers and query log, so that logging and the tests'
query counts see them like any other.
"""

import time
from collections.abc import Callable, Sequence

from django.db import connections, models
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models.query import get_related_populators

# Keys no row has, standing for the list of keys while a query is compiled: an id, a text.
ID_MARKER = -7_319_114_257
TEXT_MARKER = "\x00keys"


class CompiledQuery:
    """A values_list query of the rows whose key is among some keys, built once by
    `build([marker])` for the database `using`: keys are ids, unless `marker` is TEXT_MARKER."""

    def __init__(self, build: Callable[[list], models.QuerySet], using: str, *, marker=ID_MARKER):
        queryset = build([marker])
        connection = connections[using]
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        position = list(params).index(marker)
        pieces = sql.split("%s")
        before, after = "%s".join(pieces[: position + 1]), "%s".join(pieces[position + 1 :])
        self.params_before, self.params_after = (
            tuple(params[:position]),
            tuple(params[position + 1 :]),
        )
        self.array = connection.vendor == "postgresql"
        if self.array:
            if not (before.endswith(" IN (") and after.startswith(")")):
                raise ValueError(f"The keys of a compiled query must be an IN list: {sql}")
            keys = "text[]" if marker == TEXT_MARKER else "int8[]"
            self.sql = (
                before.removesuffix(" IN (") + f" = ANY(%s::{keys})" + after.removeprefix(")")
            )
        else:
            self.before, self.after = before, after
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )
        self.using = using

    def statement(self, keys: Sequence) -> tuple[str, tuple]:
        """The SQL and parameters selecting the rows of `keys`."""
        if self.array:
            return self.sql, (*self.params_before, array_literal(keys), *self.params_after)
        sql = self.before + ", ".join(["%s"] * len(keys)) + self.after
        return sql, (*self.params_before, *keys, *self.params_after)

    def converted(self, rows: list[tuple]) -> list[tuple]:
        if not self.converters:
            return rows
        return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]

    def rows(self, keys: Sequence) -> list[tuple]:
        return run(self.using, [(self, keys)])[0]


def array_literal(keys: Sequence) -> str:
    """`keys` as PostgreSQL writes an array of them, each quoted: what psycopg sends for a list,
    made without its looking through the list for the elements' type and size (microseconds an
    element, most of the driver's share of a record page)."""
    quoted = (str(key).replace("\\", "\\\\").replace('"', '\\"') for key in keys)
    return "{" + ",".join(f'"{key}"' for key in quoted) + "}"


def run(using: str, reads: list[tuple[CompiledQuery, Sequence]]) -> list[list[tuple]]:
    """The rows of each (query, keys) of `reads`, read together: on PostgreSQL as prepared
    statements in one pipeline."""
    connection = connections[using]
    statements = [query.statement(keys) if keys else None for query, keys in reads]
    if connection.vendor != "postgresql":
        results = []
        with connection.cursor() as cursor:
            for statement in statements:
                if statement is None:
                    results.append([])
                    continue
                cursor.execute(*statement)
                results.append(cursor.fetchall())
    else:
        results = run_prepared(connection, statements)
    return [query.converted(rows) for (query, _keys), rows in zip(reads, results, strict=True)]


def run_prepared(connection, statements: list[tuple[str, tuple] | None]) -> list[list[tuple]]:
    """Runs `statements` on PostgreSQL in one pipeline, each prepared. They go through Django's
    execute wrappers, and are logged as Django logs its queries when it does (its debug cursor
    cannot render a statement bound on the server)."""
    connection.ensure_connection()
    raw = connection.connection
    # Prepared from the first use: these statements are run again and again.
    raw.prepare_threshold = 0
    started = time.monotonic()
    cursors = []
    with raw.pipeline():
        for statement in statements:
            if statement is None:
                cursors.append(None)
                continue
            cursor = connection.make_cursor(ServerBindingCursor(raw))
            cursor.execute(*statement)
            cursors.append(cursor)
        results = [cursor.fetchall() if cursor else [] for cursor in cursors]
    for cursor in cursors:
        if cursor:
            cursor.close()
    if connection.queries_logged:
        each = (time.monotonic() - started) / max(1, len(cursors))
        for statement in statements:
            if statement is not None:
                sql = connection.ops.compose_sql(*statement)
                connection.queries_log.append({"sql": sql, "time": f"{each:.3f}"})
    return results


class CompiledRecords:
    """A queryset of model instances with its `prefetch_related()` lookups, built once by
    `build([marker])` as a CompiledQuery's is, and compiled: the rows of some keys, each made
    into an instance as the ORM makes it (its `select_related()` records included), and each
    prefetched relation read as the ORM reads it and cached where the ORM caches it. A record
    page loads this way: a dozen small queries, which the ORM took longer to build than the
    database to answer.

    Prefetches are given as one relation each (nested ones as a `Prefetch` queryset's own
    lookups); the relations of one level are read together, in one pipeline on PostgreSQL."""

    def __init__(self, build: Callable[[list], models.QuerySet], using: str, *, marker=ID_MARKER):
        queryset = build([marker])
        self.query = CompiledQuery(
            lambda keys: build(keys).prefetch_related(None), using, marker=marker
        )
        self.prefetches = [
            CompiledPrefetch(queryset.model, lookup, using)
            for lookup in queryset._prefetch_related_lookups
        ]
        self.using = using

    def get(self, key) -> models.Model | None:
        """The instance whose key is `key`, with its relations, or None."""
        found = self.instances([key])
        return found[0] if found else None

    def instances(self, keys: Sequence) -> list[models.Model]:
        records = instances_of(self.query, self.query.rows(keys))
        prefetch(self.prefetches, records, self.using)
        return records


class CompiledPrefetch:
    """One `prefetch_related()` lookup of a model, compiled: the related rows of some instances
    (their ids, or for a forward relation the ids they point to), and where they are cached."""

    def __init__(self, model: type[models.Model], lookup: str | models.Prefetch, using: str):
        lookup = lookup if isinstance(lookup, models.Prefetch) else models.Prefetch(lookup)
        if models.constants.LOOKUP_SEP in lookup.prefetch_through:
            raise ValueError(f"Prefetch one relation at a time: {lookup.prefetch_through}")
        self.name, self.to_attr = lookup.prefetch_through, lookup.to_attr
        field = model._meta.get_field(self.name)
        related = field.related_model
        queryset = lookup.queryset
        if queryset is None:
            queryset = related._default_manager.all()
        self.children = [
            CompiledPrefetch(related, nested, using)
            for nested in queryset._prefetch_related_lookups
        ]
        queryset = queryset.prefetch_related(None)
        # Given to a related manager to filter, as the ORM does, when the relation is cached.
        self.queryset = queryset if lookup.queryset is not None else None
        self.single = field.many_to_one
        self.back = None
        if field.many_to_one:  # a forward foreign key: the records the instances point to
            build = lambda keys: queryset.order_by().filter(pk__in=keys)  # noqa: E731
            self.key_of_related = field.get_foreign_related_value
            self.key_of_instance = field.get_local_related_value
            self.cache_name = field.cache_name
        elif field.one_to_many:  # a reverse foreign key: the rows pointing to the instances
            remote = field.field
            build = lambda keys: queryset.filter(**{f"{remote.name}__in": keys})  # noqa: E731
            self.key_of_related = remote.get_local_related_value
            self.key_of_instance = remote.get_foreign_related_value
            self.cache_name = remote.remote_field.cache_name
            self.back = remote
        elif field.many_to_many:
            # The related manager's own prefetch query, which selects the key of the instance
            # each row belongs to; its placeholder instance only stands for the keys.
            placeholder = model(pk=ID_MARKER)
            manager = getattr(placeholder, self.name)
            built, self.key_of_related, _, _, self.cache_name, _ = manager.get_prefetch_querysets(
                [placeholder], [queryset]
            )
            build = lambda keys: built  # noqa: E731
            self.key_of_instance = lambda instance: (instance.pk,)
        else:
            raise ValueError(f"{model.__name__}.{self.name} is not a relation to prefetch.")
        self.query = CompiledQuery(build, using)

    def keys(self, instances: list[models.Model]) -> list:
        keys = {self.key_of_instance(instance) for instance in instances}
        return [key[0] for key in keys if key[0] is not None]

    def attach(self, instances: list[models.Model], rows: list[tuple]) -> list[models.Model]:
        """Caches the related instances made from `rows` on `instances`; returns them."""
        related = instances_of(self.query, rows)
        by_key: dict[tuple, list[models.Model]] = {}
        for item in related:
            by_key.setdefault(self.key_of_related(item), []).append(item)
        for instance in instances:
            instance.__dict__.setdefault("_prefetched_objects_cache", {})
            found = by_key.get(self.key_of_instance(instance), [])
            if self.back is not None:
                for item in found:
                    self.back.set_cached_value(item, instance)
            if self.to_attr:
                setattr(instance, self.to_attr, found[0] if self.single and found else found)
            elif self.single:
                instance._state.fields_cache[self.cache_name] = found[0] if found else None
            else:
                # What the related manager answers from now on, as the ORM caches it: its
                # queryset, holding `found`.
                manager = getattr(instance, self.name)
                if self.queryset is None:
                    cached = manager.get_queryset()
                else:
                    cached = manager._apply_rel_filters(self.queryset)
                cached._result_cache, cached._prefetch_done = found, True
                instance._prefetched_objects_cache[self.cache_name] = cached
        return related


def prefetch(prefetches: list[CompiledPrefetch], instances: list[models.Model], using: str):
    """Reads `prefetches` for `instances`, each level's relations together."""
    pending = [(lookup, instances) for lookup in prefetches]
    while pending:
        results = run(using, [(lookup.query, lookup.keys(found)) for lookup, found in pending])
        deeper = []
        for (lookup, found), rows in zip(pending, results, strict=True):
            related = lookup.attach(found, rows)
            deeper += [(child, related) for child in lookup.children]
        pending = deeper


def instances_of(query: CompiledQuery, rows: list[tuple]) -> list[models.Model]:
    """Model instances made from the converted rows of a compiled model query, as Django's
    ModelIterable makes them."""
    compiler = query.compiler
    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, query.using)
    model = klass_info["model"]
    made = []
    for row in rows:
        instance = model.from_db(query.using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        for name, position in compiler.annotation_col_map.items():
            setattr(instance, name, row[position])
        made.append(instance)
    return made
