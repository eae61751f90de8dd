"""`python -m bench`: build the catalogues, serve each as production does, load it, and write
the results (bench/results/<timestamp>.json, docs/performance.md, docs/performance-latency.svg).

Three passes per engine and size: the varied cases (distinct paths drawn from the catalogue,
bench/workload.py) with nothing remembered, which the targets are judged on; the same with the
production settings; and the fixed cases, whose answers are remembered, with the CSV export.

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
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import catalogues, load, report, servers, workload

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
LOGS = catalogues.VAR / "logs"
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
CHART = ROOT / "docs" / "performance-latency.svg"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/"


COLD = report.COLD
FIXED = report.FIXED
# The passes, in the order they run: the varied paths with nothing remembered (what the targets
# are judged on), the same paths as production serves them, and the fixed paths, remembered.
PASSES = ("varied_cold", "varied", "remembered")
# A varied case's requests differ; the queries of its first few are counted.
QUERIED_PATHS = 5
PROFILE_REQUESTS = 100
PROFILE_TOP = 15


@dataclass
class Case:
    key: str
    title: str
    paths: list[str] = field(default_factory=list)
    # The warm-up's paths, none of them measured; without any, the warm-up asks `paths`.
    warmup: list[str] = field(default_factory=list)
    varied: bool = False

    def cold(self) -> "Case":
        """The same case served with nothing remembered (`CACHE=off`)."""
        title = f"{self.title}, nothing remembered"
        return Case(self.key + COLD, title, self.paths, self.warmup, self.varied)

    def queried_paths(self) -> list[str]:
        return self.paths[:QUERIED_PATHS] if self.varied else self.paths[:1]


def timed_cases(word: str, slugs: list[str]) -> list[Case]:
    """The fixed cases: the same path (or ten) asked over and over, which the production
    settings answer from memory after the first time."""
    query = urllib.parse.quote(word)
    return [
        Case(
            f"{FIXED}api_list", "API list, 50 rows, one path", ["/api/v1/initiatives/?per_page=50"]
        ),
        Case(
            f"{FIXED}api_faceted",
            "API list, 2 filters, 3 facets, one path",
            ["/api/v1/initiatives/?status=active&level=national&facets=status,kind,level"],
        ),
        Case(
            f"{FIXED}api_search",
            "API list, q, 2 facets, one path",
            [f"/api/v1/initiatives/?q={query}&facets=status,kind"],
        ),
        Case(
            f"{FIXED}api_detail",
            "API detail, ten records",
            [f"/api/v1/initiatives/{slug}/" for slug in slugs],
        ),
        Case(
            f"{FIXED}site_detail",
            "site detail page, ten records",
            [f"/initiatives/{slug}/" for slug in slugs],
        ),
        Case(
            f"{FIXED}site_list",
            "site list, every facet, q, 2 filters, one path",
            [f"/initiatives/?q={query}&status=active&level=national"],
        ),
    ]


def varied_cases(generated: list[workload.VariedCase]) -> list[Case]:
    return [
        Case(case.key, case.title, case.paths, case.warmup_paths, varied=True) for case in generated
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
        HTTPS="false",
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
    warmup = case.warmup or case.paths
    load.run_wrk(base_url, warmup, options.warmup, connections=options.connections)
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
    print(f"[bench] {engine} N={size}: drawing the varied paths", flush=True)
    drawn = workload.generate(
        workload.catalogue_values(catalogue),
        options.seed,
        measured=options.duration * workload.PATHS_PER_SECOND,
        warmup=options.warmup * workload.PATHS_PER_SECOND,
        keys=[key for key in workload.CASE_KEYS if key in options.cases],
    )
    chosen = [
        case
        for case in [*varied_cases(drawn), *timed_cases(word, slugs), EXPORT]
        if case.key in options.cases
    ]
    env = production_env(catalogue.url)
    print(f"[bench] {engine} N={size}: counting queries", flush=True)
    queried = list(dict.fromkeys(path for case in chosen for path in case.queried_paths()))
    queries = count_queries(env, queried)
    varied = [case for case in chosen if case.varied]
    passes = {
        # With nothing remembered, every request is computed whole, as the first reader of a
        # page after a write gets it: what the targets are judged on.
        "varied_cold": ([case.cold() for case in varied], env | {"CACHE": "off"}),
        # As production serves them: each path is new, so only counts shared between requests
        # (a facet's, a list's total) can come from memory.
        "varied": (varied, env),
        # The same path asked over and over: the remembered answer, and the export.
        "remembered": ([case for case in chosen if not case.varied], env),
    }
    run["cases"], run["worker_memory"] = [], []
    for name in PASSES:
        cases, pass_env = passes[name]
        if name in options.passes and cases:
            results, resident = measure_cases(cases, queries, pass_env, run, options, port, name)
            run["cases"] += results
            run["worker_memory"].append({"pass": name, "resident_mb": resident})
    if options.profile and varied:
        run["profiles"] = profile_cases(catalogue, varied, options)
    if engine == "sqlite" and "datasette" in options.compare:
        faceted = next((case for case in drawn if case.key == "api_faceted"), None)
        if not {"varied_cold", "varied"} & set(options.passes):
            faceted = None
        fixed = f"{FIXED}api_faceted" in options.cases and "remembered" in options.passes
        if faceted or fixed:
            run["datasette"] = measure_datasette(catalogue, faceted, fixed, options, port + 1)
    return run


def measure_cases(
    cases: list[Case], queries: dict, env: dict, run: dict, options, port: int, pass_name: str
) -> tuple[list[dict], list[float]]:
    """Serves the catalogue with `env` and loads each case in turn; the results, and each
    worker's resident memory once they are all done."""
    engine, size = run["engine"], run["size"]
    base_url = f"http://127.0.0.1:{port}"
    log_path = LOGS / f"gunicorn-{engine}-{size}-{pass_name}.log"
    results = []
    with servers.gunicorn(env=env, port=port, workers=options.workers, log_path=log_path) as master:
        for case in cases:
            print(f"[bench] {engine} N={size}: {case.title}", flush=True)
            result = {"key": case.key, "title": case.title, "pass": pass_name}
            if case.varied:
                # Thousands of paths: a few to show, and how many; the seed makes them again.
                result["paths_sample"] = case.paths[:QUERIED_PATHS]
                result["path_count"] = len(case.paths)
                result["warmup_path_count"] = len(case.warmup)
            else:
                result["paths"] = case.paths
            result.update(queries_of(case, queries))
            try:
                if case is EXPORT:
                    result.update(measure_export(base_url, master.pid, options))
                else:
                    result.update(measure_timed_case(case, base_url, master.pid, options))
            except (load.LoadError, servers.ServerError, OSError) as error:
                result["error"] = str(error)
            results.append(result)
        try:
            resident = servers.workers_resident_mb(master.pid)
        except OSError:
            resident = []  # a worker exited as it was read; the cases' errors say why
    return results, resident


def queries_of(case: Case, queries: dict) -> dict:
    """The queries counted for `case`: of each of a varied case's first paths afresh, or of a
    fixed case's path afresh and remembered."""
    counted = [queries[path] for path in case.queried_paths()]
    failed = [count for count in counted if not isinstance(count, dict)]
    if failed:
        return {"queries_error": failed[0]}
    if case.varied:
        return {
            "queries": [count["afresh"] for count in counted],
            "queries_found": [count["found"] for count in counted],
        }
    return {"queries": counted[0]["afresh"], "queries_remembered": counted[0]["remembered"]}


def profile_cases(catalogue: catalogues.Catalogue, cases: list[Case], options) -> dict:
    """`python -m bench.profile` on each varied case: its top functions, kept by own time."""
    profiles = {}
    for case in cases:
        print(f"[bench] {catalogue.engine} N={catalogue.size}: profiling {case.title}", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as directory:
            written = Path(directory) / "profile.json"
            command = [
                *(sys.executable, "-m", "bench.profile", "--database-url", catalogue.url),
                *("--case", case.key, "--seed", str(options.seed)),
                *("--requests", str(PROFILE_REQUESTS), "--top", str(PROFILE_TOP)),
                *("--json", str(written)),
            ]
            completed = subprocess.run(
                command,
                cwd=ROOT,
                env=build_env(),
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            if completed.returncode != 0:
                profiles[case.key] = {"error": completed.stderr.strip()[-2000:]}
                continue
            profile = json.loads(written.read_text())
        profile.pop("by_cumulative", None)
        profile["by_own"] = profile["by_own"][:PROFILE_TOP]
        profiles[case.key] = profile
    return profiles


def measure_datasette(
    catalogue: catalogues.Catalogue,
    faceted: workload.VariedCase | None,
    fixed: bool,
    options,
    port: int,
) -> dict:
    """Datasette over the same file, fed the varied faceted case's requests in its own syntax
    (and warmed up on the twins of that case's warm-up), then the fixed faceted path."""
    database = catalogue.sqlite_path
    cases = []
    if faceted:
        measured, warmup = faceted.datasette_twins(database.stem)
        title = "Datasette, the varied faceted requests"
        cases.append(Case("datasette_varied", title, measured, warmup, varied=True))
    if fixed:
        path = DATASETTE_PATH.format(database=database.stem)
        cases.append(Case("datasette_fixed", "Datasette, the fixed faceted path", [path]))
    log_path = LOGS / f"datasette-{catalogue.size}.log"
    result = {"settings": servers.DATASETTE_SETTINGS, "cases": []}
    base_url = f"http://127.0.0.1:{port}"
    try:
        with servers.datasette(database=database, port=port, log_path=log_path) as process:
            for case in cases:
                print(f"[bench] sqlite N={catalogue.size}: {case.title}", flush=True)
                entry = {
                    "key": case.key,
                    "title": case.title,
                    "paths_sample": case.paths[:QUERIED_PATHS],
                    "path_count": len(case.paths),
                    "warmup_path_count": len(case.warmup),
                }
                try:
                    warmup = case.warmup or case.paths
                    load.run_wrk(base_url, warmup, options.warmup, connections=options.connections)
                    # As for gunicorn: what the warm-up left queued is not counted.
                    servers.wait_until_quiet([process.pid], "Datasette")
                    entry["load"] = load.run_wrk(
                        base_url, case.paths, options.duration, connections=options.connections
                    )
                except (load.LoadError, servers.ServerError, OSError) as error:
                    entry["error"] = str(error)
                result["cases"].append(entry)
    except (load.LoadError, servers.ServerError, OSError) as error:
        result["error"] = str(error)
    return result


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
            title="Varied paths, nothing remembered "
            "(p95 solid, p50 dashed; ● PostgreSQL, ■ SQLite)",
            # Wide enough for a legend of eight cases' titles in two columns.
            width=960,
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

    fixed_cases = [case.key for case in timed_cases("word", ["slug"])] + [EXPORT.key]
    all_cases = [*workload.CASE_KEYS, *fixed_cases]
    parser.add_argument("--sizes", type=sizes, default=[1000, 10000, 100000])
    parser.add_argument("--engines", type=listing, default=["sqlite", "postgresql"])
    parser.add_argument("--cases", type=listing, default=all_cases, help=", ".join(all_cases))
    parser.add_argument("--compare", type=listing, default=["datasette"], help="datasette or ''")
    parser.add_argument(
        "--passes",
        type=listing,
        default=list(PASSES),
        help="varied_cold (the varied cases, CACHE=off: judged), varied (the varied cases, "
        "production settings), remembered (the fixed cases and the export, production settings)",
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
        "--profile",
        action="store_true",
        help="also profile each varied case in-process (python -m bench.profile) and keep its "
        f"top {PROFILE_TOP} functions",
    )
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
    if not options.passes or not set(options.passes) <= set(PASSES):
        parser.error(f"--passes: one or more of {', '.join(PASSES)}")
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
        | {"threads": options.threads, "workers": options.workers, "seed": options.seed}
        | {"paths_per_second": workload.PATHS_PER_SECOND, "profile": options.profile},
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
