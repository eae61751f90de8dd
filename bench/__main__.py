"""`python -m bench`: build the catalogues, serve each as production does, load it, and write
the results (bench/results/<timestamp>.json, docs/performance.md, docs/performance-latency.svg).

Every server runs on 127.0.0.1 in a process group of its own and is stopped when its run ends,
whatever happens; every load is bounded in time (wrk's duration) or in count (the exports).
"""

import argparse
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import catalogues, load, report, servers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
LOGS = catalogues.VAR / "logs"
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
CHART = ROOT / "docs" / "performance-latency.svg"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/"


COLD = "_cold"


@dataclass
class Case:
    key: str
    title: str
    paths: list[str] = field(default_factory=list)

    def cold(self) -> "Case":
        """The same case served with nothing remembered (`CACHE=off`)."""
        return Case(self.key + COLD, f"{self.title}, nothing remembered", self.paths)


def timed_cases(word: str, slugs: list[str]) -> list[Case]:
    query = urllib.parse.quote(word)
    return [
        Case("api_list", "API list, 50 rows", ["/api/v1/initiatives/?per_page=50"]),
        Case(
            "api_faceted",
            "API list, 2 filters, 3 facets",
            ["/api/v1/initiatives/?status=active&level=national&facets=status,kind,level"],
        ),
        Case(
            "api_search",
            "API list, q, 2 facets",
            [f"/api/v1/initiatives/?q={query}&facets=status,kind"],
        ),
        Case("api_detail", "API detail", [f"/api/v1/initiatives/{slug}/" for slug in slugs]),
        Case("site_detail", "site detail page", [f"/initiatives/{slug}/" for slug in slugs]),
        Case(
            "site_list",
            "site list, every facet, q, 2 filters",
            [f"/initiatives/?q={query}&status=active&level=national"],
        ),
    ]


EXPORT = Case("csv_export", "CSV export, every initiative", ["/api/v1/initiatives/?format=csv"])
DATASETTE_PATH = (
    "/{database}/catalogue_initiative.json?publication=published&status=active&level=national"
    "&_facet=status&_facet=kind&_facet=level&_nosuggest=1&_size=50"
)


def production_env(catalogue_url: str) -> dict:
    """The environment of a production deployment (README, "Settings"), on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    }
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=catalogue_url,
        # As docker-compose.yml deploys it: a worker keeps its connection between requests.
        CONN_MAX_AGE="60",
        # The site is reached over plain HTTP on loopback; nothing here signs in.
        SECURE_COOKIES="false",
        # The anonymous rate limit guards a public server from one client; here one client is
        # the whole point, so the limit is lifted rather than measured.
        API_ANON_RATE="1000000/second",
        LOG_LEVEL="WARNING",
    )
    return env


def build_env() -> dict:
    """The environment for the management commands that build a catalogue."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    return env


def collect_static() -> None:
    """The manifest WhiteNoise serves with DEBUG off, in STATIC_ROOT as the Dockerfile builds it."""
    env = production_env("sqlite:///:memory:")
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def count_queries(env: dict, paths: list[str]) -> dict[str, int | str]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.queries", *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"Counting queries failed: {completed.stderr.strip()[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure_timed_case(case: Case, base_url: str, master_pid: int, options) -> dict:
    load.run_wrk(base_url, case.paths, options.warmup, connections=options.connections)
    servers.wait_until_idle(master_pid)
    with servers.WorkerMeter(master_pid) as meter:
        measured = load.run_wrk(
            base_url, case.paths, options.duration, connections=options.connections
        )
    worker = meter.result()
    if measured["requests"]:
        worker["cpu_ms_per_request"] = round(worker["cpu_seconds"] * 1000 / measured["requests"], 2)
    return {"load": measured, "worker": worker}


def measure_export(base_url: str, master_pid: int, options) -> dict:
    url = base_url + EXPORT.paths[0]
    with servers.WorkerMeter(master_pid) as meter:
        downloads = [load.download(url, timeout=600) for _ in range(options.exports)]
    return {"downloads": downloads, "worker": meter.result()}


def run_one(engine: str, size: int, options, port: int) -> dict:
    catalogue = catalogues.catalogue_for(engine, size, options.seed, options.postgres_url)
    started = time.perf_counter()
    generated = catalogues.build(catalogue, env=build_env())
    run = {
        "load_average_before": os.getloadavg(),
        "engine": engine,
        "size": size,
        "seed": options.seed,
        "database": catalogue.url,
        "generated_now": generated,
        "prepare_seconds": round(time.perf_counter() - started, 1),
    }
    word = options.q or catalogues.common_word(catalogue)
    slugs = catalogues.sample_slugs(catalogue)
    run["search_word"], run["slugs"] = word, slugs
    run["floor"] = catalogues.time_floor(catalogue)
    cases = timed_cases(word, slugs)
    env = production_env(catalogue.url)
    print(f"[bench] {engine} N={size}: counting queries", flush=True)
    queries = count_queries(env, [case.paths[0] for case in [*cases, EXPORT]])
    chosen = [case for case in [*cases, EXPORT] if case.key in options.cases]
    run["cases"] = []
    if "remembered" in options.passes:
        run["cases"] += measure_cases(chosen, queries, env, run, options, port)
    if "cold" in options.passes:
        # The same requests with nothing remembered: what the first reader after a write, or
        # of a page nobody asked for since, waits for. The export remembers nothing anyway.
        cold = [case.cold() for case in chosen if case is not EXPORT]
        run["cases"] += measure_cases(cold, queries, env | {"CACHE": "off"}, run, options, port)
    if engine == "sqlite" and "datasette" in options.compare:
        run["datasette"] = measure_datasette(catalogue, options, port + 1)
    return run


def measure_cases(
    cases: list[Case], queries: dict, env: dict, run: dict, options, port: int
) -> list[dict]:
    """Serves the catalogue with `env` and loads each case in turn."""
    engine, size = run["engine"], run["size"]
    base_url = f"http://127.0.0.1:{port}"
    log_path = LOGS / f"gunicorn-{engine}-{size}.log"
    results = []
    with servers.gunicorn(env=env, port=port, workers=options.workers, log_path=log_path) as master:
        for case in cases:
            print(f"[bench] {engine} N={size}: {case.title}", flush=True)
            result = {"key": case.key, "title": case.title, "paths": case.paths}
            counted = queries[case.paths[0]]
            if isinstance(counted, dict):
                result["queries"] = counted["afresh"]
                if not case.key.endswith(COLD):
                    result["queries_remembered"] = counted["remembered"]
            else:
                result["queries_error"] = counted
            try:
                if case is EXPORT:
                    result.update(measure_export(base_url, master.pid, options))
                else:
                    result.update(measure_timed_case(case, base_url, master.pid, options))
            except (load.LoadError, servers.ServerError, OSError) as error:
                result["error"] = str(error)
            results.append(result)
    return results


def measure_datasette(catalogue: catalogues.Catalogue, options, port: int) -> dict:
    database = catalogue.sqlite_path
    path = DATASETTE_PATH.format(database=database.stem)
    log_path = LOGS / f"datasette-{catalogue.size}.log"
    print(f"[bench] sqlite N={catalogue.size}: Datasette", flush=True)
    try:
        with servers.datasette(database=database, port=port, log_path=log_path):
            base_url = f"http://127.0.0.1:{port}"
            load.run_wrk(base_url, [path], options.warmup, connections=options.connections)
            measured = load.run_wrk(
                base_url, [path], options.duration, connections=options.connections
            )
    except (load.LoadError, servers.ServerError, OSError) as error:
        return {"path": path, "error": str(error)}
    return {"path": path, "settings": servers.DATASETTE_SETTINGS, "load": measured}


def machine() -> dict:
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    versions = {"Python": platform.python_version()}
    for name, command in (
        ("Django", [sys.executable, "-c", "import django; print(django.__version__)"]),
        ("gunicorn", [sys.executable, "-c", "import gunicorn; print(gunicorn.__version__)"]),
        (
            "Datasette",
            [sys.executable, "-c", "import datasette.version as v; print(v.__version__)"],
        ),
        ("SQLite", [sys.executable, "-c", "import sqlite3; print(sqlite3.sqlite_version)"]),
        ("wrk", [load.wrk_executable(), "--version"]),
    ):
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        output = (completed.stdout or completed.stderr).strip().splitlines()
        versions[name] = output[0].split()[1] if name == "wrk" and output else (output or ["?"])[0]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": memory_kb / 1024 / 1024,
        "os": platform.platform(),
        "versions": versions,
    }


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url.rstrip("/") + "/postgres") as connection:
        return connection.execute("SHOW server_version").fetchone()[0].split()[0]


def write_outputs(results: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    results_path = RESULTS / f"{results['started_at'].replace(':', '')}.json"
    results["results_file"] = str(results_path.relative_to(ROOT))
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    write_report(results)
    return results_path


def write_report(results: dict) -> None:
    """docs/performance.md's results and the chart, from one run's results."""
    CHART.write_text(
        report.latency_chart(
            report.chart_series(results["runs"]),
            title="Latency against N (p95 solid, p50 dashed; ● PostgreSQL, ■ SQLite)",
        )
    )
    markdown = report.results_markdown(results, chart_path=CHART.name)
    PERFORMANCE_DOC.write_text(
        report.replace_between_markers(PERFORMANCE_DOC.read_text(), markdown)
    )


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])

    def listing(text):
        return [item.strip() for item in text.split(",") if item.strip()]

    def sizes(text):
        return [int(item.replace("_", "")) for item in listing(text)]

    all_cases = [case.key for case in timed_cases("word", ["slug"])] + [EXPORT.key]
    parser.add_argument("--sizes", type=sizes, default=[1000, 10000, 100000])
    parser.add_argument("--engines", type=listing, default=["sqlite", "postgresql"])
    parser.add_argument("--cases", type=listing, default=all_cases, help=", ".join(all_cases))
    parser.add_argument("--compare", type=listing, default=["datasette"], help="datasette or ''")
    parser.add_argument(
        "--passes",
        type=listing,
        default=["remembered", "cold"],
        help="remembered (production settings), cold (CACHE=off), or both",
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds measured per case")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per case")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one per core)")
    parser.add_argument("--exports", type=int, default=3, help="CSV exports, one at a time")
    parser.add_argument("--seed", type=int, default=0, help="the generator's seed")
    parser.add_argument(
        "--q", help="the search word (default: a common word of the first catalogue built)"
    )
    parser.add_argument("--port", type=int, default=8310, help="gunicorn's; Datasette's is +1")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="RESULTS_JSON",
        help="measure nothing: rewrite docs/performance.md and the chart from earlier results",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="the PostgreSQL server (BENCH_POSTGRES_URL); databases sciplo_bench_<N> on it",
    )
    options = parser.parse_args(argv)
    unknown = sorted(set(options.cases) - set(all_cases))
    if unknown:
        parser.error(f"unknown cases: {', '.join(unknown)}")
    if not set(options.passes) <= {"remembered", "cold"}:
        parser.error("--passes: remembered, cold or both")
    options.threads = 2
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    if options.report:
        write_report(json.loads(options.report.read_text()))
        return 0
    LOGS.mkdir(parents=True, exist_ok=True)
    load.wrk_executable()
    collect_static()
    results = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "options": {
            key: getattr(options, key)
            for key in ("sizes", "engines", "cases", "passes", "duration", "warmup", "connections")
        }
        | {"threads": options.threads, "workers": options.workers, "seed": options.seed},
        "runs": [],
    }
    if "postgresql" in options.engines:
        results["machine"]["versions"]["PostgreSQL"] = postgres_version(options.postgres_url)
    for size in sorted(options.sizes):
        for engine in options.engines:
            try:
                run = run_one(engine, size, options, options.port)
            except (catalogues.CatalogueError, servers.ServerError, RuntimeError) as error:
                print(f"[bench] {engine} N={size} failed: {error}", file=sys.stderr, flush=True)
                run = {"engine": engine, "size": size, "seed": options.seed, "error": str(error)}
            results["runs"].append(run)
            # One word for every run, so that the search cases compare across N.
            options.q = options.q or run.get("search_word")
    results["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results_path = write_outputs(results)
    print(f"[bench] wrote {results_path.relative_to(ROOT)}, docs/performance.md and the chart")
    return 1 if any(run.get("error") for run in results["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
