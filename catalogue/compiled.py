"""Queries compiled once per process, for the reads every request makes.

Building a query with the ORM costs more than running it: a record's representation is nine
small queries, and building them took three times as long as the database took to answer. A
`CompiledQuery` is a `values_list()` queryset built once with its list of keys (ids, slugs) left
open; each use only puts the keys in, and converts what the database gives as the ORM would.

On PostgreSQL each statement is prepared once per connection (server-side binding, the keys as
one array parameter, so that a page of 25 and one of 50 share a statement) and the statements of
one read are sent together in a pipeline: planning, not running, was most of the database's
work for such small queries, and each round trip costs both processes a wake-up. Django keeps
its own queries unprepared, for connection poolers; a pooler in front of Sciplo must keep
prepared statements (PgBouncer 1.21 or later does, with `max_prepared_statements`).

Statements go through Django's execute wrappers and query log, so that logging and the tests'
query counts see them like any other.
"""

import time
from collections.abc import Callable, Sequence

from django.db import connections, models
from django.db.backends.postgresql.base import ServerBindingCursor

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
            self.sql = before.removesuffix(" IN (") + " = ANY(%s)" + after.removeprefix(")")
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
            return self.sql, (*self.params_before, list(keys), *self.params_after)
        sql = self.before + ", ".join(["%s"] * len(keys)) + self.after
        return sql, (*self.params_before, *keys, *self.params_after)

    def converted(self, rows: list[tuple]) -> list[tuple]:
        if not self.converters:
            return rows
        return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]

    def rows(self, keys: Sequence) -> list[tuple]:
        return run(self.using, [(self, keys)])[0]


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
