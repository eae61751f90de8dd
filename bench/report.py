"""The benchmark's results as Markdown and SVG: the tables, the targets of issue 12, the chart of
latency against N, and their place between the markers of docs/performance.md."""

import math
from xml.sax.saxutils import escape

from bench import workload

BEGIN_MARKER = "<!-- bench:results -->"
END_MARKER = "<!-- /bench:results -->"

TARGET_SIZE = 100_000
# A varied case served with nothing remembered (`CACHE=off`) has this suffix to its key; the
# targets are judged on those. The fixed cases' keys have the prefix.
COLD = "_cold"
FIXED = "fixed_"
VARIED_TITLES = {kind.key: kind.title for kind in workload.CASES}
PASS_TITLES = {
    "varied_cold": "Varied paths, nothing remembered (`CACHE=off`): what the targets are judged on",
    "varied": "Varied paths, production settings (the cache on; no path asked twice)",
    "remembered": "Fixed paths, production settings (answers remembered after the first), and "
    "the export",
    "fixed_cold": "Fixed paths, nothing remembered (`CACHE=off`)",
}


def upgraded(runs: list[dict]) -> list[dict]:
    """`runs` with the cases of results written before the varied workload named as fixed
    cases, so that they are never judged as varied ones (their keys were the same)."""
    upgraded_runs = []
    for run in runs:
        cases = run.get("cases", [])
        if any("pass" in case for case in cases):
            upgraded_runs.append(run)
            continue
        renamed = []
        for case in cases:
            if case["key"] == "csv_export":
                renamed.append(case | {"pass": "remembered"})
            else:
                cold = case["key"].endswith(COLD)
                pass_name = "fixed_cold" if cold else "remembered"
                renamed.append(case | {"key": FIXED + case["key"], "pass": pass_name})
        upgraded_runs.append(run | {"cases": renamed})
    return upgraded_runs


class MarkersMissing(ValueError):
    """A document without the pair of markers that holds the results."""


def replace_between_markers(document: str, content: str) -> str:
    """`document` with what lies between BEGIN_MARKER and END_MARKER replaced by `content`."""
    start = document.find(BEGIN_MARKER)
    end = document.find(END_MARKER)
    if start == -1 or end == -1 or end < start:
        raise MarkersMissing(f"The document needs {BEGIN_MARKER} and then {END_MARKER}.")
    head = document[: start + len(BEGIN_MARKER)]
    return f"{head}\n{content.strip()}\n{document[end:]}"


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table; numbers right-aligned, None shown as a dash."""
    numeric = [
        all(isinstance(row[i], int | float) or row[i] is None for row in rows) and bool(rows)
        for i in range(len(headers))
    ]
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---:" if n else "---" for n in numeric) + " |",
    ]
    for row in rows:
        cells = [cell_text(cell) for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cell_text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def case_title(case: dict) -> str:
    """A case's title, saying how many of its requests asked a path again when a varied case
    (or Datasette's twins) had too few distinct paths; a fixed case asks its own by design."""
    repeated = (case.get("load") or {}).get("repeated", 0)
    if repeated and not case["key"].startswith(FIXED) and case["key"] != "datasette_fixed":
        return f"{case['title']} (paths repeated: {repeated:,})"
    return case["title"]


def case_rows(cases: list[dict]) -> list[list]:
    rows = []
    for case in cases:
        load = case.get("load") or {}
        latency = load.get("latency_ms", {})
        worker = case.get("worker") or {}
        if case.get("error"):
            rows.append([case["title"], f"failed: {case['error']}", *[None] * 8])
            continue
        rows.append(
            [
                case_title(case),
                load.get("requests_per_second"),
                latency.get("p50"),
                latency.get("p95"),
                latency.get("p99"),
                load.get("errors"),
                queries_cell(case),
                worker.get("cpu_ms_per_request"),
                worker.get("peak_rss_mb"),
                worker.get("peak_growth_mb"),
            ]
        )
    return rows


def queries_cell(case: dict):
    """The queries of a request made afresh, and of the same request remembered; for a varied
    case, of each of its first requests afresh (the fewest and the most: one that finds
    nothing loads no relations)."""
    if case.get("queries_error"):
        return "error"
    queries = case.get("queries")
    if isinstance(queries, list):
        if not queries:
            return None
        low, high = min(queries), max(queries)
        return str(low) if low == high else f"{low}–{high}"
    if "queries_remembered" in case:
        return f"{queries} / {case['queries_remembered']}"
    return queries


CASE_HEADERS = [
    "case",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "queries (afresh / remembered)",
    "worker CPU ms/req",
    "peak RSS MB",
    "RSS growth MB",
]


def passes_of(run: dict) -> list[tuple[str | None, list[dict]]]:
    """The run's cases grouped by pass, in the order they ran."""
    grouped: dict[str | None, list[dict]] = {}
    for case in run.get("cases", []):
        grouped.setdefault(case.get("pass"), []).append(case)
    return list(grouped.items())


def run_section(run: dict) -> str:
    size = f"{run['size']:,}"
    parts = [f"### {engine_name(run['engine'])}, N = {size}", ""]
    if run.get("error"):
        last_line = run["error"].strip().splitlines()[-1]
        return "\n".join([*parts, f"Not measured: {last_line}", ""])
    for pass_name, cases in passes_of(run):
        if pass_name:
            parts += [f"**{PASS_TITLES.get(pass_name, pass_name)}**", ""]
        parts += [markdown_table(CASE_HEADERS, case_rows(cases)), ""]
    for case in run["cases"]:
        if case.get("queries_error"):
            parts += [f"{case['title']}: counting its queries failed: {case['queries_error']}", ""]
    counts = varied_path_counts(run)
    if counts:
        parts += [counts, ""]
    if run.get("search_word"):
        parts += [
            f"Fixed cases: q `{run['search_word']}`; detail over {len(run['slugs'])} records.",
            "",
        ]
    if run.get("load_average_before"):
        load_average = ", ".join(f"{value:.2f}" for value in run["load_average_before"])
        parts += [f"Load average before the run (1, 5, 15 minutes): {load_average}.", ""]
    export = case_of(run, "csv_export")
    if export and export.get("downloads"):
        seconds = [d["seconds"] for d in export["downloads"]]
        megabytes = export["downloads"][0]["bytes"] / 1_000_000
        parts += [
            f"CSV export of every initiative: {len(seconds)} request(s) one after another, "
            f"{min(seconds):.2f}–{max(seconds):.2f} s each, {megabytes:.1f} MB.",
            "",
        ]
    memory = run.get("worker_memory")
    if memory:
        each = "; ".join(
            f"{entry['pass']} " + ", ".join(f"{mb:.1f}" for mb in entry["resident_mb"])
            for entry in memory
        )
        parts += [f"Workers' resident memory (VmRSS, MB) at the end of each pass: {each}.", ""]
    floor = run.get("floor")
    if floor:
        each = ", ".join(f"{name} {ms:.2f}" for name, ms in floor["queries_ms"].items())
        parts += [
            f"Floor (the fixed faceted path's SQL run directly, median of {floor['runs']}): "
            f"{floor['total_ms']:.2f} ms ({each}).",
            "",
        ]
    comparison = datasette_comparison(run)
    if comparison:
        parts += [comparison, ""]
    profiles = profiles_section(run)
    if profiles:
        parts += [profiles, ""]
    return "\n".join(parts)


def varied_path_counts(run: dict) -> str:
    """How many distinct paths each varied case had, when the catalogue had fewer than wanted."""
    counts = {}
    for case in run.get("cases", []):
        if "path_count" in case:
            counts[case["key"].removesuffix(COLD)] = (case["path_count"], case["warmup_path_count"])
    if not counts:
        return ""
    most = max(counts.values())
    fewer = [
        f"{VARIED_TITLES.get(key, key)}: {measured:,} + {warmup:,}"
        for key, (measured, warmup) in counts.items()
        if (measured, warmup) != most
    ]
    text = f"Varied cases: {most[0]:,} measured and {most[1]:,} warm-up paths each, all distinct"
    if fewer:
        text += " (all the catalogue has, where it has fewer: " + "; ".join(fewer) + ")"
    return text + "."


def datasette_of(run: dict | None) -> dict:
    """Datasette's results, as a list of `cases` (older results had one path and its load)."""
    datasette = (run or {}).get("datasette") or {}
    if datasette and "cases" not in datasette and not datasette.get("error"):
        fixed = {"key": "datasette_fixed", "title": "Datasette, the fixed faceted path"}
        return {"cases": [fixed | {"paths_sample": [datasette["path"]], "load": datasette["load"]}]}
    return datasette


# Sciplo's cases each of Datasette's loads is compared with.
DATASETTE_PAIRS = {
    "datasette_varied": ("api_faceted" + COLD, "api_faceted"),
    "datasette_fixed": (FIXED + "api_faceted", FIXED + "api_faceted" + COLD),
}


def datasette_comparison(run: dict) -> str:
    datasette = datasette_of(run)
    if not datasette:
        return ""
    if datasette.get("error"):
        return f"Datasette: not measured ({datasette['error']})."
    rows, ratios, examples = [], [], []
    for theirs in datasette.get("cases", []):
        for key in DATASETTE_PAIRS.get(theirs["key"], ()):
            ours = case_of(run, key)
            if ours and ours.get("load"):
                rows.append(["Sciplo, " + case_title(ours), *load_cells(ours["load"])])
                ratio = throughput_ratio(run, key, theirs["key"])
                if ratio is not None:
                    ratios.append(f"{ours['title']}: **{ratio:.2f}×**")
        if theirs.get("error"):
            rows.append([theirs["title"], f"failed: {theirs['error']}", None, None, None, None])
        elif theirs.get("load"):
            rows.append([case_title(theirs), *load_cells(theirs["load"])])
        if theirs.get("paths_sample"):
            examples.append(f"{theirs['title']}, e.g. `{theirs['paths_sample'][0]}`")
    lines = [
        "Datasette over the same file, asked the same filters and facets in its own syntax ("
        + "; ".join(examples)
        + "):",
        "",
        markdown_table(["server", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows),
    ]
    if ratios:
        lines += ["", "Sciplo's throughput against Datasette's: " + "; ".join(ratios) + "."]
    return "\n".join(lines)


def profiles_section(run: dict) -> str:
    """Each varied case's top functions by own time, folded away."""
    profiles = run.get("profiles")
    if not profiles:
        return ""
    engine, size = engine_name(run["engine"]), f"{run['size']:,}"
    parts = [
        "<details>",
        f"<summary>Profile of each varied case, {engine}, N = {size} (in-process, nothing "
        "remembered; top functions by own time)</summary>",
        "",
    ]
    for key, profile in profiles.items():
        title = VARIED_TITLES.get(key, key)
        if profile.get("error"):
            parts += [f"{title}: not profiled: {profile['error'].strip().splitlines()[-1]}", ""]
            continue
        parts += [
            f"{title}: {profile['cpu_ms_per_request']} ms of CPU and "
            f"{profile['queries_per_request']} queries per request over {profile['requests']} "
            f"requests; {profile['profiled_requests']} others profiled:",
            "",
            markdown_table(
                ["function", "own ms/req", "cumulative ms/req", "calls/req"],
                [
                    [
                        f"`{entry['function']}`",
                        entry["own_ms_per_request"],
                        entry["cumulative_ms_per_request"],
                        entry["calls_per_request"],
                    ]
                    for entry in profile["by_own"]
                ],
            ),
            "",
        ]
    parts.append("</details>")
    return "\n".join(parts)


def load_cells(load: dict) -> list:
    latency = load["latency_ms"]
    return [
        load["requests_per_second"],
        latency["p50"],
        latency["p95"],
        latency["p99"],
        load["errors"],
    ]


def throughput_ratio(
    run: dict, key: str = "api_faceted" + COLD, datasette_key: str = "datasette_varied"
) -> float | None:
    """Sciplo's requests per second in case `key` over Datasette's in its load `datasette_key`."""
    theirs = next(
        (case for case in datasette_of(run).get("cases", []) if case["key"] == datasette_key), {}
    )
    ours = case_of(run, key) or {}
    if not theirs.get("load") or not ours.get("load"):
        return None
    rate = theirs["load"]["requests_per_second"]
    return ours["load"]["requests_per_second"] / rate if rate else None


def case_of(run: dict | None, key: str) -> dict | None:
    return next((case for case in (run or {}).get("cases", []) if case["key"] == key), None)


def engine_name(engine: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(engine, engine)


def latency_of(run: dict | None, key: str, percentile: str) -> float | None:
    case = case_of(run, key) if run else None
    if not case or not case.get("load"):
        return None
    return case["load"]["latency_ms"][percentile]


def throughput_of(run: dict | None, key: str) -> float | None:
    case = case_of(run, key) if run else None
    if not case or not case.get("load"):
        return None
    return case["load"]["requests_per_second"]


def cpu_of(run: dict | None, key: str) -> float | None:
    case = case_of(run, key) if run else None
    return ((case or {}).get("worker") or {}).get("cpu_ms_per_request")


def errors_of(run: dict | None, key: str) -> int:
    case = case_of(run, key) if run else None
    return ((case or {}).get("load") or {}).get("errors", 0)


def judged(
    label: str, value: float | None, limit: float, *, at_most: bool, unit: str, errors: int = 0
) -> list:
    """A target's row: its label, whether it is met (by how much it is missed), the value and
    the limit. A measurement with failed requests meets nothing."""
    bound = f"{'≤' if at_most else '≥'} {limit:g} {unit}"
    if value is None:
        return [label, "not measured", None, bound]
    met = value <= limit if at_most else value >= limit
    if errors:
        verdict = f"missed: {errors:,} requests failed"
    elif met:
        verdict = "met"
    elif at_most:
        verdict = f"missed by {value - limit:,.1f} {unit} ({value / limit:.1f}× the limit)"
    else:
        verdict = f"missed by {limit - value:,.1f} {unit} ({value / limit:.2f}× the target)"
    return [label, verdict, value, bound]


# Issue 12's targets on the varied paths with nothing remembered, judged at the largest N:
# (case, p95 limit in ms, throughput floor in requests per second or None).
POSTGRES_TARGETS = (
    ("api_faceted", 150, 50),
    ("api_faceted_relations", 150, 50),
    ("api_search", 200, None),
    ("site_list", 300, None),
    ("site_search", 300, None),
    ("api_detail", 30, 250),
    ("site_detail", 30, 250),
)
SQLITE_P95_TARGETS = (("site_search", 500),)
DATASETTE_TARGET = 5
# A worker's CPU per request at the smallest N, ms.
CPU_TARGETS = (("api_list", 15), ("site_list", 25), ("api_detail", 5), ("site_detail", 5))
P50_GROWTH_TARGET = 2
EXPORT_SECONDS_TARGET = 5
RESIDENT_MB_TARGET = 300


def targets(runs: list[dict]) -> tuple[int | None, list[list]]:
    """Issue 12's targets, judged on the varied paths with nothing remembered at the largest N
    measured (the issue sets them at 100,000), CPU per request at the smallest. The cases
    served with the cache on are shown beside them, not judged."""
    measured = [run for run in upgraded(runs) if not run.get("error")]
    if not measured:
        return None, []
    size = max(run["size"] for run in measured)
    smallest = min(run["size"] for run in measured)

    def at(engine, n):
        return next((r for r in measured if r["engine"] == engine and r["size"] == n), None)

    pg, lite = at("postgresql", size), at("sqlite", size)
    rows = []
    for key, p95_limit, rate_limit in POSTGRES_TARGETS:
        rows.append(p95_target(pg, "PostgreSQL", key, p95_limit))
        if rate_limit:
            rows.append(
                judged(
                    f"PostgreSQL {VARIED_TITLES[key]}: throughput",
                    throughput_of(pg, key + COLD),
                    rate_limit,
                    at_most=False,
                    unit="req/s",
                    errors=errors_of(pg, key + COLD),
                )
            )
    rows.append(
        judged(
            f"SQLite {VARIED_TITLES['api_faceted']}: throughput against Datasette's",
            throughput_ratio(lite) if lite else None,
            DATASETTE_TARGET,
            at_most=False,
            unit="×",
            errors=errors_of(lite, "api_faceted" + COLD),
        )
    )
    for key, p95_limit in SQLITE_P95_TARGETS:
        rows.append(p95_target(lite, "SQLite", key, p95_limit))
    for engine in ("postgresql", "sqlite"):
        first = at(engine, smallest)
        for key, limit in CPU_TARGETS:
            rows.append(
                judged(
                    f"{engine_name(engine)} {VARIED_TITLES[key]}: worker CPU per request "
                    f"at N = {smallest:,}",
                    cpu_of(first, key + COLD),
                    limit,
                    at_most=True,
                    unit="ms",
                    errors=errors_of(first, key + COLD),
                )
            )
    for engine in ("postgresql", "sqlite"):
        rows += growth_targets(at(engine, smallest), at(engine, size), engine)
    for engine in ("postgresql", "sqlite"):
        rows += queries_target(measured, engine)
    for engine in ("postgresql", "sqlite"):
        rows.append(export_target(at(engine, size), engine))
    for engine in ("postgresql", "sqlite"):
        rows.append(memory_target(at(engine, size), engine))
    return size, rows


def p95_target(run: dict | None, engine: str, key: str, limit: float) -> list:
    return judged(
        f"{engine} {VARIED_TITLES[key]}: p95",
        latency_of(run, key + COLD, "p95"),
        limit,
        at_most=True,
        unit="ms",
        errors=errors_of(run, key + COLD),
    )


def growth_targets(first: dict | None, last: dict | None, engine: str) -> list[list]:
    """p50 of each varied case at the largest N over p50 at the smallest."""
    small, large = (first or {}).get("size"), (last or {}).get("size")
    sizes = f"N = {small:,}→{large:,}" if small and large and small != large else "across N"
    rows = []
    for key in workload.CASE_KEYS:
        low, high = latency_of(first, key + COLD, "p50"), latency_of(last, key + COLD, "p50")
        growth = high / low if low and high and small != large else None
        rows.append(
            judged(
                f"{engine_name(engine)} p50 growth {sizes}: {VARIED_TITLES[key]}",
                growth,
                P50_GROWTH_TARGET,
                at_most=True,
                unit="×",
                errors=errors_of(first, key + COLD) + errors_of(last, key + COLD),
            )
        )
    return rows


def queries_target(measured: list[dict], engine: str) -> list[list]:
    """Whether each case makes the same queries at every N. A varied case's first requests have
    the same shapes at every N (bench/workload.py), but one that finds nothing skips the queries
    loading its rows, and more find nothing in a small catalogue: so a varied case's requests are
    compared where they found records at every N."""
    counts: dict[str, list] = {}
    for run in measured:
        if run["engine"] != engine:
            continue
        for case in run["cases"]:
            queries = case.get("queries")
            if isinstance(queries, list):
                found = case.get("queries_found") or [True] * len(queries)
                counted = [
                    count if hit else None for count, hit in zip(queries, found, strict=True)
                ]
            else:
                counted = [(queries, case.get("queries_remembered"))]
            counts.setdefault(case["key"], []).append(counted)
    if not counts:
        return []
    varying = sorted(key for key, runs in counts.items() if differ(runs))
    sizes = sorted({r["size"] for r in measured if r["engine"] == engine})
    verdict = "met" if not varying else "missed: " + ", ".join(varying)
    if len(sizes) < 2:
        verdict = "not measured (one size)"
    return [[f"{engine_name(engine)} queries per request equal at every N", verdict, None, "same"]]


def differ(runs: list[list]) -> bool:
    """Whether the counts of one case's requests differ between runs, request by request, where
    every run counted that request (None: it found nothing)."""
    return any(None not in counts and len(set(counts)) > 1 for counts in zip(*runs, strict=True))


def export_target(run: dict | None, engine: str) -> list:
    """The slowest of the CSV exports of every initiative."""
    export = case_of(run, "csv_export")
    label = f"{engine_name(engine)} CSV export of every initiative (the slowest)"
    if export and export.get("error"):
        bound = f"≤ {EXPORT_SECONDS_TARGET:g} s"
        return [label, f"missed: {export['error'].splitlines()[0]}", None, bound]
    downloads = (export or {}).get("downloads") or []
    slowest = max((download["seconds"] for download in downloads), default=None)
    return judged(label, slowest, EXPORT_SECONDS_TARGET, at_most=True, unit="s")


def memory_target(run: dict | None, engine: str) -> list:
    """The largest resident memory of a worker at the end of any pass."""
    resident = [mb for entry in (run or {}).get("worker_memory", []) for mb in entry["resident_mb"]]
    return judged(
        f"{engine_name(engine)} a worker's resident memory after the benchmark",
        max(resident, default=None),
        RESIDENT_MB_TARGET,
        at_most=True,
        unit="MB",
    )


def chart_series(runs: list[dict]) -> list[dict]:
    """One series per engine, varied case served with nothing remembered, and percentile (p50
    dashed, p95 solid): the requests the targets are judged on."""
    palette = [
        "#1b6ca8",
        "#d1495b",
        "#66a182",
        "#edae49",
        "#6a4c93",
        "#00798c",
        "#8d5524",
        "#4d4d4d",
    ]
    series = []
    measured = [run for run in upgraded(runs) if not run.get("error")]
    keys = [key + COLD for key in workload.CASE_KEYS]
    for engine in ("postgresql", "sqlite"):
        engine_runs = sorted(
            (r for r in measured if r["engine"] == engine), key=lambda r: r["size"]
        )
        for index, key in enumerate(keys):
            title = VARIED_TITLES[key.removesuffix(COLD)]
            for percentile in ("p50", "p95"):
                points = [
                    (run["size"], latency_of(run, key, percentile))
                    for run in engine_runs
                    if latency_of(run, key, percentile) is not None
                ]
                if points:
                    series.append(
                        {
                            "label": f"{engine_name(engine)} {title} {percentile}",
                            "points": points,
                            "colour": palette[index % len(palette)],
                            "dashed": percentile == "p50",
                            "marker": "circle" if engine == "postgresql" else "square",
                            "group": engine_name(engine),
                        }
                    )
    return series


def latency_chart(series: list[dict], *, title: str, width: int = 760) -> str:
    """An SVG chart of latency (ms, logarithmic) against N (logarithmic): one polyline per
    series, each `{"label", "points": [(n, ms)], "colour", "dashed", "marker", "group"}`; the
    legend has a column per group."""
    left, top, plot_width, plot_height = 70, 40, width - 70 - 20, 300
    legend_top = top + plot_height + 60
    groups = list(dict.fromkeys(s["group"] for s in series))
    column_width = plot_width / max(1, len(groups))
    rows_per_column = max([sum(s["group"] == g for s in series) for g in groups] or [0])
    height = legend_top + 16 * rows_per_column + 10
    sizes = [n for s in series for n, _ms in s["points"]] or [1000]
    values = [ms for s in series for _n, ms in s["points"] if ms > 0] or [1]
    # A margin of a fifth of a decade keeps the end points and their labels inside.
    x_low, x_high = math.log10(min(sizes)) - 0.2, math.log10(max(sizes)) + 0.2
    if x_high - x_low < 1:
        x_low, x_high = x_low - 0.3, x_high + 0.3
    y_low = math.floor(math.log10(min(values)))
    y_high = math.ceil(math.log10(max(values)))
    if y_high == y_low:
        y_high += 1

    def x(n):
        return left + (math.log10(n) - x_low) / (x_high - x_low) * plot_width

    def y(ms):
        return (
            top
            + plot_height
            - (math.log10(max(ms, 10**y_low)) - y_low) / (y_high - y_low) * plot_height
        )

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for exponent in range(y_low, y_high + 1):
        ms = 10**exponent
        out.append(
            f'<line x1="{left}" y1="{y(ms):.1f}" x2="{left + plot_width}" y2="{y(ms):.1f}" '
            'stroke="#ddd"/>'
        )
        out.append(f'<text x="{left - 8}" y="{y(ms) + 4:.1f}" text-anchor="end">{ms:g} ms</text>')
    for n in sorted(set(sizes)):
        out.append(
            f'<line x1="{x(n):.1f}" y1="{top}" x2="{x(n):.1f}" y2="{top + plot_height}" '
            'stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{x(n):.1f}" y="{top + plot_height + 18}" text-anchor="middle">'
            f"N = {n:,}</text>"
        )
    out.append(
        f'<path d="M{left},{top} V{top + plot_height} H{left + plot_width}" '
        'fill="none" stroke="black"/>'
    )
    rows_used = dict.fromkeys(groups, 0)
    for index, group in enumerate(groups):
        out.append(
            f'<text x="{left + column_width * index:.1f}" y="{legend_top - 16}" '
            f'font-weight="bold">{escape(group)}</text>'
        )
    for s in series:
        dash = ' stroke-dasharray="5,4"' if s["dashed"] else ""
        points = " ".join(f"{x(n):.1f},{y(ms):.1f}" for n, ms in s["points"])
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{s["colour"]}" '
            f'stroke-width="2"{dash}><title>{escape(s["label"])}</title></polyline>'
        )
        for n, ms in s["points"]:
            out.append(marker(s["marker"], x(n), y(ms), s["colour"]))
        legend_x = left + column_width * groups.index(s["group"])
        legend_y = legend_top + 16 * rows_used[s["group"]]
        rows_used[s["group"]] += 1
        out.append(
            f'<line x1="{legend_x:.1f}" y1="{legend_y}" x2="{legend_x + 30:.1f}" y2="{legend_y}" '
            f'stroke="{s["colour"]}" stroke-width="2"{dash}/>'
        )
        out.append(marker(s["marker"], legend_x + 15, legend_y, s["colour"]))
        short_label = s["label"].removeprefix(f"{s['group']} ")
        out.append(f'<text x="{legend_x + 38:.1f}" y="{legend_y + 4}">{escape(short_label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def marker(shape: str, cx: float, cy: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{cx - 3:.1f}" y="{cy - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>'


def results_markdown(results: dict, *, chart_path: str) -> str:
    """The "Results" section's content for one benchmark run."""
    machine = results["machine"]
    options = results["options"]
    lines = [
        f"Measured on {results['finished_at']} by `{results['command']}` "
        f"(results: `{results['results_file']}`).",
        "",
        f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), "
        f"{machine['memory_gb']:.1f} GB memory, {machine['os']}; "
        + ", ".join(f"{name} {version}" for name, version in machine["versions"].items())
        + ".",
        "",
        f"Load: wrk, {options['threads']} threads and {options['connections']} connections, "
        f"{options['warmup']} s warm-up then {options['duration']} s measured per case; "
        f"gunicorn with {options['workers']} sync workers. Passes: "
        + ", ".join(options.get("passes", []))
        + ".",
        "",
    ]
    size, rows = targets(results["runs"])
    if size is not None:
        note = "" if size == TARGET_SIZE else f" (the issue sets them at N = {TARGET_SIZE:,})"
        lines += [
            f"#### Targets of issue 12, judged at N = {size:,}{note}",
            "",
            "On the varied paths served with nothing remembered; CPU per request at the "
            "smallest N. The passes with the cache on are shown below, not judged.",
            "",
            markdown_table(["target", "verdict", "measured", "limit"], rows),
            "",
        ]
    lines += [
        f"![p50 and p95 latency against N, varied paths, nothing remembered]({chart_path})",
        "",
    ]
    for run in upgraded(results["runs"]):
        lines.append(run_section(run))
    return "\n".join(lines)
