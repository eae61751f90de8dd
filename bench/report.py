"""The benchmark's results as Markdown and SVG: the tables, the targets of issue 6, the chart of
latency against N, and their place between the markers of docs/performance.md."""

import math
from xml.sax.saxutils import escape

BEGIN_MARKER = "<!-- bench:results -->"
END_MARKER = "<!-- /bench:results -->"

TARGET_SIZE = 100_000
LIST_CASES = ("api_list", "api_faceted", "api_search", "site_list")
# The case Datasette answers too, as served and with nothing remembered (`CACHE=off`).
FACETED_CASES = ("api_faceted", "api_faceted_cold")
COLD = "_cold"


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


def case_rows(run: dict) -> list[list]:
    rows = []
    for case in run["cases"]:
        load = case.get("load") or {}
        latency = load.get("latency_ms", {})
        worker = case.get("worker") or {}
        if case.get("error"):
            rows.append([case["title"], f"failed: {case['error']}", *[None] * 8])
            continue
        rows.append(
            [
                case["title"],
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
    """The queries of a request made afresh, and of the same request remembered."""
    if case.get("queries_error"):
        return "error"
    if "queries_remembered" in case:
        return f"{case['queries']} / {case['queries_remembered']}"
    return case.get("queries")


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


def run_section(run: dict) -> str:
    size = f"{run['size']:,}"
    parts = [f"### {engine_name(run['engine'])}, N = {size}", ""]
    if run.get("error"):
        last_line = run["error"].strip().splitlines()[-1]
        return "\n".join([*parts, f"Not measured: {last_line}", ""])
    parts.append(markdown_table(CASE_HEADERS, case_rows(run)))
    for case in run["cases"]:
        if case.get("queries_error"):
            parts += ["", f"{case['title']}: counting its queries failed: {case['queries_error']}"]
    if run.get("search_word"):
        parts += ["", f"q: `{run['search_word']}`; detail cases over {len(run['slugs'])} records."]
    if run.get("load_average_before"):
        load_average = ", ".join(f"{value:.2f}" for value in run["load_average_before"])
        parts += ["", f"Load average before the run (1, 5, 15 minutes): {load_average}."]
    export = case_of(run, "csv_export")
    if export and export.get("downloads"):
        seconds = [d["seconds"] for d in export["downloads"]]
        megabytes = export["downloads"][0]["bytes"] / 1_000_000
        parts += [
            "",
            f"CSV export of every initiative: {len(seconds)} requests one after another, "
            f"{min(seconds):.2f}–{max(seconds):.2f} s each, {megabytes:.1f} MB.",
        ]
    floor = run.get("floor")
    if floor:
        each = ", ".join(f"{name} {ms:.2f}" for name, ms in floor["queries_ms"].items())
        parts += [
            "",
            f"Floor (the faceted case's SQL run directly, median of {floor['runs']}): "
            f"{floor['total_ms']:.2f} ms ({each}).",
        ]
    comparison = datasette_comparison(run)
    if comparison:
        parts += ["", comparison]
    parts.append("")
    return "\n".join(parts)


def datasette_comparison(run: dict) -> str:
    datasette = run.get("datasette")
    if not datasette:
        return ""
    if datasette.get("error"):
        return f"Datasette: not measured ({datasette['error']})."
    ours = [case_of(run, key) for key in FACETED_CASES]
    rows = [["Sciplo, " + case["title"], *load_cells(case["load"])] for case in ours if case]
    ratios = [
        f"{case['title']}: **{throughput_ratio(run, key):.2f}×**"
        for key, case in zip(FACETED_CASES, ours, strict=True)
        if case and throughput_ratio(run, key) is not None
    ]
    return "\n".join(
        [
            "Datasette over the same file, the same filter and facets (`"
            + datasette["path"]
            + "`):",
            "",
            markdown_table(
                ["server", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"],
                [*rows, ["Datasette", *load_cells(datasette["load"])]],
            ),
            "",
            "Sciplo's throughput against Datasette's: " + "; ".join(ratios) + ".",
        ]
    )


def load_cells(load: dict) -> list:
    latency = load["latency_ms"]
    return [
        load["requests_per_second"],
        latency["p50"],
        latency["p95"],
        latency["p99"],
        load["errors"],
    ]


def throughput_ratio(run: dict, key: str = "api_faceted") -> float | None:
    datasette = run.get("datasette") or {}
    faceted = case_of(run, key) or {}
    if not datasette.get("load") or not faceted.get("load"):
        return None
    theirs = datasette["load"]["requests_per_second"]
    return faceted["load"]["requests_per_second"] / theirs if theirs else None


def case_of(run: dict, key: str) -> dict | None:
    return next((case for case in run.get("cases", []) if case["key"] == key), None)


def engine_name(engine: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(engine, engine)


def latency_of(run: dict | None, key: str, percentile: str) -> float | None:
    case = case_of(run, key) if run else None
    if not case or not case.get("load"):
        return None
    return case["load"]["latency_ms"][percentile]


def errors_of(run: dict | None, key: str) -> int:
    case = case_of(run, key) if run else None
    return (case or {}).get("load", {}).get("errors", 0)


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


def targets(runs: list[dict]) -> tuple[int | None, list[list]]:
    """Issue 6's targets judged at the largest N measured (the issue sets them at 100,000), as
    served and again with nothing remembered."""
    measured = [run for run in runs if not run.get("error")]
    if not measured:
        return None, []
    size = max(run["size"] for run in measured)
    smallest = min(run["size"] for run in measured)

    def at(engine, n):
        return next((r for r in measured if r["engine"] == engine and r["size"] == n), None)

    pg, lite, first_pg = at("postgresql", size), at("sqlite", size), at("postgresql", smallest)
    export = case_of(pg, "csv_export") if pg else None
    rows = timed_targets(pg, lite, first_pg, "", "")
    rows.append(
        judged(
            "PostgreSQL CSV export worker memory growth",
            export["worker"]["peak_growth_mb"] if export and export.get("worker") else None,
            50,
            at_most=True,
            unit="MB",
        )
    )
    rows += timed_targets(pg, lite, first_pg, COLD, ", nothing remembered")
    for engine in ("sqlite", "postgresql"):
        counts = {}
        for run in measured:
            if run["engine"] == engine:
                for case in run["cases"]:
                    counted = (case.get("queries"), case.get("queries_remembered"))
                    counts.setdefault(case["key"], set()).add(counted)
        if counts:
            varying = sorted(key for key, values in counts.items() if len(values) > 1)
            sizes = sorted({r["size"] for r in measured if r["engine"] == engine})
            verdict = "met" if not varying else "missed: " + ", ".join(varying)
            if len(sizes) < 2:
                verdict = "not measured (one size)"
            rows.append(
                [
                    f"{engine_name(engine)} queries per request equal at every N",
                    verdict,
                    None,
                    "same",
                ]
            )
    return size, rows


def timed_targets(
    pg: dict | None, lite: dict | None, first_pg: dict | None, suffix: str, label: str
) -> list[list]:
    """The targets on latency and throughput, judged on the cases whose keys end in `suffix`."""
    size, smallest = (pg or {}).get("size"), (first_pg or {}).get("size")
    faceted = case_of(pg, "api_faceted" + suffix) if pg else None
    rows = [
        judged(
            f"PostgreSQL faceted API list p95{label}",
            latency_of(pg, "api_faceted" + suffix, "p95"),
            100,
            at_most=True,
            unit="ms",
            errors=errors_of(pg, "api_faceted" + suffix),
        ),
        judged(
            f"PostgreSQL faceted API list throughput{label}",
            faceted["load"]["requests_per_second"] if faceted and faceted.get("load") else None,
            60,
            at_most=False,
            unit="req/s",
            errors=errors_of(pg, "api_faceted" + suffix),
        ),
        judged(
            f"SQLite faceted API list vs Datasette{label}",
            throughput_ratio(lite, "api_faceted" + suffix) if lite else None,
            5,
            at_most=False,
            unit="×",
            errors=errors_of(lite, "api_faceted" + suffix),
        ),
        judged(
            f"PostgreSQL site list (every facet, q) p95{label}",
            latency_of(pg, "site_list" + suffix, "p95"),
            250,
            at_most=True,
            unit="ms",
            errors=errors_of(pg, "site_list" + suffix),
        ),
    ]
    for key, title in (("api_detail", "API detail"), ("site_detail", "site detail")):
        rows.append(
            judged(
                f"PostgreSQL {title} p95{label}",
                latency_of(pg, key + suffix, "p95"),
                25,
                at_most=True,
                unit="ms",
                errors=errors_of(pg, key + suffix),
            )
        )
    for key in LIST_CASES:
        low, high = latency_of(first_pg, key + suffix, "p50"), latency_of(pg, key + suffix, "p50")
        growth = high / low if low and high and size != smallest else None
        case = case_of(pg, key + suffix) if pg else None
        sizes = f"N={smallest:,}→{size:,}" if size and smallest else "across N"
        rows.append(
            judged(
                f"PostgreSQL p50 growth {sizes}: {case['title'] if case else key + suffix}",
                growth,
                2,
                at_most=True,
                unit="×",
            )
        )
    return rows


def chart_series(runs: list[dict]) -> list[dict]:
    """One series per engine, timed case and percentile (p50 dashed, p95 solid)."""
    palette = ["#1b6ca8", "#d1495b", "#66a182", "#edae49", "#6a4c93", "#00798c"]
    series = []
    measured = [run for run in runs if not run.get("error")]
    keys = []
    for run in measured:
        for case in run["cases"]:
            if case.get("load") and case["key"] not in keys:
                keys.append(case["key"])
    for engine in ("postgresql", "sqlite"):
        engine_runs = sorted(
            (r for r in measured if r["engine"] == engine), key=lambda r: r["size"]
        )
        if not engine_runs:
            continue
        for index, key in enumerate(keys):
            title = next((case_of(r, key)["title"] for r in engine_runs if case_of(r, key)), key)
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
        f"gunicorn with {options['workers']} sync workers.",
        "",
    ]
    size, rows = targets(results["runs"])
    if size is not None:
        note = "" if size == TARGET_SIZE else f" (the issue sets them at N = {TARGET_SIZE:,})"
        lines += [
            f"#### Targets of issue 6, judged at N = {size:,}{note}",
            "",
            markdown_table(["target", "verdict", "measured", "limit"], rows),
            "",
        ]
    lines += [f"![p50 and p95 latency against N]({chart_path})", ""]
    for run in results["runs"]:
        lines.append(run_section(run))
    return "\n".join(lines)
