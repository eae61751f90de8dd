"""The catalogues under test: one database per engine and size, built once by
`manage.py generate_catalogue` and kept for the next run with the same size and seed (the
generator is deterministic), and what the cases need from them.

SQLite files live in bench/var/; PostgreSQL databases are `sciplo_bench_<N>` on the server at
BENCH_POSTGRES_URL. Each is labelled once complete (a PostgreSQL comment, a SQLite file's
sidecar) with its size, seed and a fingerprint of the generator's code, so that neither an
interrupted build nor one by an older generator is reused.
"""

import hashlib
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(__file__).resolve().parent / "var"

WORD = re.compile(r"[a-z]{5,}")
FACETED_FILTER = {"publication": "published", "status": "active", "level": "national"}


class CatalogueError(RuntimeError):
    """A catalogue that could not be built or read."""


@dataclass
class Catalogue:
    engine: str
    size: int
    seed: int
    url: str
    sqlite_path: Path | None = None

    def label(self) -> str:
        return f"sciplo bench: initiatives={self.size} seed={self.seed} {generator_fingerprint()}"


GENERATOR_CODE = (
    "synthetic/generator.py",
    "synthetic/vocabulary.yaml",
    "synthetic/management/commands/generate_catalogue.py",
)


def generator_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in GENERATOR_CODE:
        path = ROOT / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return f"generator={digest.hexdigest()[:12]}"


def label_path(catalogue: Catalogue) -> Path:
    return catalogue.sqlite_path.with_suffix(".label")


def catalogue_for(engine: str, size: int, seed: int, postgres_url: str) -> Catalogue:
    if engine == "sqlite":
        path = VAR / f"sciplo-{size}-seed{seed}.sqlite3"
        return Catalogue(engine, size, seed, f"sqlite:///{path}", sqlite_path=path)
    if engine == "postgresql":
        parts = urlsplit(postgres_url)
        url = urlunsplit(parts._replace(path=f"/sciplo_bench_{size}"))
        return Catalogue(engine, size, seed, url)
    raise CatalogueError(f"Unknown engine {engine!r}: sqlite or postgresql.")


def manage(catalogue_url: str, *args: str, env: dict) -> None:
    command = [sys.executable, "manage.py", *args]
    completed = subprocess.run(command, cwd=ROOT, env={**env, "DATABASE_URL": catalogue_url})
    if completed.returncode != 0:
        raise CatalogueError(f"`manage.py {' '.join(args)}` failed ({completed.returncode}).")


def build(catalogue: Catalogue, *, env: dict) -> bool:
    """Migrates the catalogue's database, generating its records unless a complete one with the
    same size and seed is there already. True when it was generated now."""
    reusable = is_complete(catalogue)
    if not reusable:
        fresh_database(catalogue)
    # Always: migrations added since the database was built (indexes) apply to it.
    manage(catalogue.url, "migrate", "--noinput", env=env)
    if not reusable:
        manage(catalogue.url, "load_reference_data", env=env)
        generate = ["generate_catalogue", "--initiatives", str(catalogue.size)]
        manage(catalogue.url, *generate, "--seed", str(catalogue.seed), "--drop-indexes", env=env)
        mark_complete(catalogue)
    analyse(catalogue)
    return not reusable


def admin_connection(catalogue: Catalogue) -> psycopg.Connection:
    parts = urlsplit(catalogue.url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def database_name(catalogue: Catalogue) -> str:
    return urlsplit(catalogue.url).path.lstrip("/")


def is_complete(catalogue: Catalogue) -> bool:
    if catalogue.engine == "sqlite":
        labelled = label_path(catalogue)
        return (
            catalogue.sqlite_path.exists()
            and labelled.exists()
            and labelled.read_text() == catalogue.label()
        )
    with admin_connection(catalogue) as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [database_name(catalogue)],
        ).fetchone()
    return row is not None and row[0] == catalogue.label()


def fresh_database(catalogue: Catalogue) -> None:
    if catalogue.engine == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        label_path(catalogue).unlink(missing_ok=True)
        for leftover in VAR.glob(f"{catalogue.sqlite_path.name}*"):
            leftover.unlink()
        # Built under a temporary name, renamed when complete (mark_complete).
        catalogue.url = f"sqlite:///{building_path(catalogue)}"
        building_path(catalogue).unlink(missing_ok=True)
        return
    name = database_name(catalogue)
    with admin_connection(catalogue) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def building_path(catalogue: Catalogue) -> Path:
    return catalogue.sqlite_path.with_suffix(".building")


def mark_complete(catalogue: Catalogue) -> None:
    if catalogue.engine == "sqlite":
        building_path(catalogue).rename(catalogue.sqlite_path)
        catalogue.url = f"sqlite:///{catalogue.sqlite_path}"
        label_path(catalogue).write_text(catalogue.label())
        return
    with admin_connection(catalogue) as connection:
        label = catalogue.label().replace("'", "''")
        connection.execute(f"COMMENT ON DATABASE \"{database_name(catalogue)}\" IS '{label}'")


def analyse(catalogue: Catalogue) -> None:
    """Fresh planner statistics, as a maintained production database has (autovacuum)."""
    if catalogue.engine == "sqlite":
        connection = sqlite3.connect(catalogue.sqlite_path)
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()
        return
    with psycopg.connect(catalogue.url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def connect(catalogue: Catalogue):
    if catalogue.engine == "sqlite":
        return sqlite3.connect(f"file:{catalogue.sqlite_path}?mode=ro", uri=True)
    return psycopg.connect(catalogue.url)


def fetch(catalogue: Catalogue, sql: str, params=()) -> list[tuple]:
    """Rows of `sql` written with `%s` placeholders, on either engine."""
    if catalogue.engine == "sqlite":
        sql = sql.replace("%s", "?")
    connection = connect(catalogue)
    try:
        return list(connection.execute(sql, params).fetchall())
    finally:
        connection.close()


def sample_slugs(catalogue: Catalogue, count: int = 10) -> list[str]:
    """Slugs of `count` published initiatives spread over the catalogue."""
    slugs = [
        slug
        for (slug,) in fetch(
            catalogue,
            "SELECT slug FROM catalogue_initiative WHERE publication = %s ORDER BY id",
            ["published"],
        )
    ]
    if not slugs:
        raise CatalogueError(f"{catalogue.url} holds no published initiative.")
    step = max(1, len(slugs) // count)
    return slugs[::step][:count]


def common_word(catalogue: Catalogue, *, limit: int = 5000) -> str:
    """A common word of the initiatives' text to search for: of the words of five letters or
    more, the one found in the most records, among those in at most a quarter of them (a word in
    every record would select the whole catalogue)."""
    rows = fetch(
        catalogue,
        "SELECT name, summary, description FROM catalogue_initiative WHERE publication = %s "
        "ORDER BY id LIMIT %s",
        ["published", limit],
    )
    documents = Counter()
    for row in rows:
        documents.update(set(WORD.findall(" ".join(row).lower())))
    ceiling = len(rows) / 4
    candidates = [(count, word) for word, count in documents.items() if count <= ceiling]
    if not candidates:
        raise CatalogueError(f"No common word in the initiatives of {catalogue.url}.")
    return max(candidates)[1]


def faceted_queries() -> list[tuple[str, str, list[str]]]:
    """Case 2's request in plain SQL: its 50 rows, their count, and one GROUP BY per facet, each
    over every filter but its own (as Sciplo counts a facet)."""
    table = "catalogue_initiative"

    def where(*names):
        return " AND ".join(f"{name} = %s" for name in names), [FACETED_FILTER[n] for n in names]

    every, every_params = where("publication", "status", "level")
    queries = [
        ("rows", f"SELECT * FROM {table} WHERE {every} ORDER BY name, id LIMIT 50", every_params),
        ("count", f"SELECT COUNT(*) FROM {table} WHERE {every}", every_params),
    ]
    for facet, others in (
        ("status", ("publication", "level")),
        ("kind", ("publication", "status", "level")),
        ("level", ("publication", "status")),
    ):
        condition, params = where(*others)
        sql = f"SELECT {facet}, COUNT(*) FROM {table} WHERE {condition} GROUP BY {facet}"
        queries.append((f"facet {facet}", sql, params))
    return queries


def time_floor(catalogue: Catalogue, *, runs: int = 15) -> dict:
    """The median time, in ms, of case 2's queries run directly on one open connection."""
    connection = connect(catalogue)
    placeholder = "?" if catalogue.engine == "sqlite" else "%s"
    queries = [(n, sql.replace("%s", placeholder), p) for n, sql, p in faceted_queries()]
    totals, each = [], {name: [] for name, _sql, _params in queries}
    try:
        for _run in range(runs + 1):
            started = time.perf_counter()
            for name, sql, params in queries:
                began = time.perf_counter()
                connection.execute(sql, params).fetchall()
                each[name].append(time.perf_counter() - began)
            totals.append(time.perf_counter() - started)
    finally:
        connection.close()

    # The first run warms the caches and is left out.
    def median_ms(values):
        return round(statistics.median(values[1:]) * 1000, 2)

    return {
        "runs": runs,
        "total_ms": median_ms(totals),
        "queries_ms": {name: median_ms(values) for name, values in each.items()},
    }
