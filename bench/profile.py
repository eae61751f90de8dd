"""Where a varied case's time goes: `python -m bench.profile --database-url URL --case KEY
[--requests 200] [--top 25] [--seed 0] [--json FILE]`.

Serves the case's varied paths (bench/workload.py, drawn from that database) in this process
through Django's test client, with the benchmark's production settings and nothing remembered
(`CACHE=off`), as one gunicorn worker would: a few warm-up paths first (the process's own caches,
the database connection), then `--requests` paths timed, then as many others under cProfile (which
slows what it watches, so the times come from the run without it). Prints the CPU time and
queries per request and the top functions by cumulative and by own time; `--json` writes them.
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import sysconfig
import time
from pathlib import Path

from bench import catalogues, workload

ROOT = Path(__file__).resolve().parent.parent
WARMUP_REQUESTS = 5
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def catalogue_at(url: str) -> catalogues.Catalogue:
    """The catalogue at a DATABASE_URL (its size and seed unknown: they name nothing here)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return catalogues.Catalogue("sqlite", 0, 0, url, sqlite_path=path)
    if url.startswith(("postgres://", "postgresql://")):
        return catalogues.Catalogue("postgresql", 0, 0, url)
    raise catalogues.CatalogueError(f"Not a SQLite or PostgreSQL URL: {url}")


def function_name(key: tuple[str, int, str]) -> str:
    """A profiled function as `path:line(name)`, its path from the project or site-packages."""
    filename, line, name = key
    if filename == "~":  # a built-in: pstats names it in full, with an address that varies
        return ADDRESS.sub("", name)
    places = sysconfig.get_paths()
    for prefix in (places["purelib"] + "/", str(ROOT) + "/", places["stdlib"] + "/"):
        filename = filename.removeprefix(prefix)
    return f"{filename}:{line}({name})"


def top_functions(profiler: cProfile.Profile, requests: int, order: str, top: int) -> list[dict]:
    """The `top` functions by `order` ("own" or "cumulative"), their times per request in ms:
    wall-clock time (cProfile's clock), so waiting for the database shows, in its driver."""
    stats = pstats.Stats(profiler).stats
    column = {"own": 2, "cumulative": 3}[order]
    ranked = sorted(stats.items(), key=lambda item: item[1][column], reverse=True)[:top]
    return [
        {
            "function": function_name(key),
            "calls_per_request": round(calls / requests, 1),
            "own_ms_per_request": round(own * 1000 / requests, 3),
            "cumulative_ms_per_request": round(cumulative * 1000 / requests, 3),
        }
        for key, (_primitive, calls, own, cumulative, _callers) in ranked
    ]


def serve(client, path: str) -> None:
    response = client.get(path)
    if response.streaming:
        b"".join(response.streaming_content)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")


def profile(case: workload.VariedCase, requests: int, top: int) -> dict:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    paths = case.paths
    timed, profiled = paths[:requests], paths[requests : 2 * requests]
    for path in case.warmup_paths[:WARMUP_REQUESTS]:
        serve(client, path)

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        cpu, wall = time.process_time(), time.perf_counter()
        for path in timed:
            serve(client, path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    profiler = cProfile.Profile()
    profiler.enable()
    for path in profiled:
        serve(client, path)
    profiler.disable()
    return {
        "case": case.key,
        "title": case.title,
        "requests": len(timed),
        "profiled_requests": len(profiled),
        "cpu_ms_per_request": round(cpu * 1000 / len(timed), 2),
        "wall_ms_per_request": round(wall * 1000 / len(timed), 2),
        "queries_per_request": round(queries / len(timed), 2),
        "by_cumulative": top_functions(profiler, len(profiled), "cumulative", top),
        "by_own": top_functions(profiler, len(profiled), "own", top),
    }


def printed(result: dict) -> str:
    lines = [
        f"{result['title']} ({result['case']}): {result['requests']} requests timed, "
        f"{result['profiled_requests']} others profiled",
        f"CPU {result['cpu_ms_per_request']} ms per request "
        f"(wall {result['wall_ms_per_request']} ms), {result['queries_per_request']} queries",
    ]
    for order, title in (("by_cumulative", "cumulative"), ("by_own", "own")):
        lines += ["", f"Top functions by {title} time, per request:"]
        lines.append(f"{'own ms':>10} {'cumul. ms':>10} {'calls':>9}  function")
        for entry in result[order]:
            lines.append(
                f"{entry['own_ms_per_request']:10.3f} {entry['cumulative_ms_per_request']:10.3f} "
                f"{entry['calls_per_request']:9.1f}  {entry['function']}"
            )
    return "\n".join(lines)


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--database-url", required=True, help="the catalogue's DATABASE_URL")
    parser.add_argument("--case", required=True, choices=workload.CASE_KEYS)
    parser.add_argument("--requests", type=int, default=200, help="timed, and as many profiled")
    parser.add_argument("--top", type=int, default=25, help="functions listed in each order")
    parser.add_argument("--seed", type=int, default=0, help="the workload's seed")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results there too")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    catalogue = catalogue_at(options.database_url)
    (case,) = workload.generate(
        workload.catalogue_values(catalogue),
        options.seed,
        measured=2 * options.requests,
        warmup=WARMUP_REQUESTS,
        keys=[options.case],
    )
    if len(case.paths) < 2:
        raise SystemExit(f"{options.case}: too few distinct paths in {options.database_url}.")
    # The settings of a gunicorn worker in the benchmark's first pass, before Django starts.
    from bench.__main__ import production_env

    os.environ.update(production_env(options.database_url) | {"CACHE": "off"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplo.settings")
    import django

    django.setup()
    result = profile(case, min(options.requests, len(case.paths) // 2), options.top)
    result["database"] = options.database_url
    print(printed(result))
    if options.json:
        options.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
