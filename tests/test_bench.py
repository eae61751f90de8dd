"""The benchmark's pure parts (bench/): reading wrk's output, the tables, the targets, the chart
and the results' place in docs/performance.md. The benchmark itself never runs in the suite."""

import xml.etree.ElementTree as ElementTree

import pytest
from django.conf import settings

from bench import load, report

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:8310
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.12ms   10.01ms 180.00ms   90.00%
  4000 requests in 20.00s, 41.00MB read
Requests/sec:    200.00
BENCH_JSON {"requests": 4000, "duration_us": 20000000, "bytes": 43000000, "errors": {"connect": 0, "read": 0, "write": 0, "status": 3, "timeout": 1}, "latency_us": {"p50": 38250, "p95": 61000, "p99": 95500, "mean": 40120.5, "max": 180000}}
"""  # noqa: E501 - wrk prints the line whole


def a_run(engine, size, *, p50, p95, rps, queries, datasette_rps=None, export_growth=None):
    def case(key, title, **extra):
        return {
            "key": key,
            "title": title,
            "queries": queries,
            "load": {
                "requests": int(rps * 20),
                "requests_per_second": rps,
                "errors": 0,
                "latency_ms": {"p50": p50, "p95": p95, "p99": p95 * 1.5, "mean": p50},
            },
            "worker": {"cpu_ms_per_request": 5.0, "peak_rss_mb": 90.0, "peak_growth_mb": 1.0},
            **extra,
        }

    keys = ["api_list", "api_faceted", "api_search", "api_detail", "site_detail", "site_list"]
    run = {"engine": engine, "size": size, "cases": [case(key, key) for key in keys]}
    if export_growth is not None:
        run["cases"].append(
            {
                "key": "csv_export",
                "title": "CSV export",
                "queries": 3,
                "downloads": [{"seconds": 2.0, "bytes": 5_000_000, "status": 200}],
                "worker": {"peak_rss_mb": 120.0, "peak_growth_mb": export_growth},
            }
        )
    if datasette_rps is not None:
        run["datasette"] = {
            "path": "/db/catalogue_initiative.json?status=active",
            "load": {
                "requests_per_second": datasette_rps,
                "errors": 0,
                "latency_ms": {"p50": 10.0, "p95": 20.0, "p99": 30.0},
            },
        }
    return run


def test_wrk_output_gives_throughput_errors_and_latency_in_milliseconds():
    measured = load.parse_wrk_output(WRK_OUTPUT)

    assert measured["requests"] == 4000
    assert measured["requests_per_second"] == 200.0
    assert measured["errors"] == 4
    assert measured["error_counts"]["status"] == 3
    assert measured["latency_ms"] == {
        "p50": 38.25,
        "p95": 61.0,
        "p99": 95.5,
        "mean": 40.12,
        "max": 180.0,
    }


def test_wrk_output_without_an_answer_has_no_latency_rather_than_zero():
    silent = WRK_OUTPUT.split("BENCH_JSON")[0] + (
        'BENCH_JSON {"requests": 0, "duration_us": 5000000, "bytes": 0, "errors": {"connect": 0,'
        ' "read": 0, "write": 0, "status": 0, "timeout": 8}, "latency_us": {"p50": 0, "p95": 0,'
        ' "p99": 0, "mean": 0.0, "max": 0}}\n'
    )

    measured = load.parse_wrk_output(silent)

    assert measured["requests_per_second"] == 0.0
    assert measured["errors"] == 8
    assert measured["latency_ms"]["p95"] is None


def test_wrk_output_without_the_script_line_is_an_error_that_shows_it():
    with pytest.raises(load.LoadError, match=r"(?s)no BENCH_JSON line.*Requests/sec"):
        load.parse_wrk_output("Running 20s test\nRequests/sec: 200.00\n")


def test_wrk_only_loads_loopback():
    with pytest.raises(load.LoadError, match=r"only loads servers on 127\.0\.0\.1"):
        load.run_wrk("http://example.org:80", ["/"], 1)


def test_markdown_table_aligns_numbers_right_and_shows_missing_values_as_a_dash():
    table = report.markdown_table(
        ["case", "req/s", "queries"], [["list | facets", 1234.56, 7], ["detail", 3.14159, None]]
    )

    assert table.splitlines() == [
        "| case | req/s | queries |",
        "| --- | ---: | ---: |",
        "| list \\| facets | 1,234.6 | 7 |",
        "| detail | 3.14 | – |",
    ]


def test_results_replace_only_what_lies_between_the_markers():
    document = (
        "# Performance\n\nhand-written\n\n"
        f"{report.BEGIN_MARKER}\nold results\n{report.END_MARKER}\n\n## After\nkept\n"
    )

    once = report.replace_between_markers(document, "new results")
    twice = report.replace_between_markers(once, "new results")

    assert once == (
        "# Performance\n\nhand-written\n\n"
        f"{report.BEGIN_MARKER}\nnew results\n{report.END_MARKER}\n\n## After\nkept\n"
    )
    assert twice == once


@pytest.mark.parametrize(
    "document",
    ["no markers", f"{report.END_MARKER} before {report.BEGIN_MARKER}"],
)
def test_a_document_without_its_markers_is_refused(document):
    with pytest.raises(report.MarkersMissing):
        report.replace_between_markers(document, "results")


def test_performance_doc_holds_the_markers():
    document = (settings.BASE_DIR / "docs" / "performance.md").read_text()

    assert report.replace_between_markers(document, "results").count("results") >= 1


def test_chart_is_valid_svg_with_one_polyline_per_series():
    runs = [
        a_run("postgresql", 1_000, p50=10.0, p95=20.0, rps=100.0, queries=7),
        a_run("postgresql", 100_000, p50=30.0, p95=80.0, rps=50.0, queries=7),
        a_run("sqlite", 1_000, p50=12.0, p95=25.0, rps=90.0, queries=7),
    ]
    series = report.chart_series(runs)

    svg = report.latency_chart(series, title="Latency & N")
    root = ElementTree.fromstring(svg)

    namespace = "{http://www.w3.org/2000/svg}"
    polylines = root.findall(f"{namespace}polyline")
    assert len(series) == 2 * 2 * 6  # engines × percentiles × cases
    assert len(polylines) == len(series)
    labels = [line.find(f"{namespace}title").text for line in polylines]
    assert labels[0] == "PostgreSQL api_list p50"
    assert len(polylines[0].get("points").split()) == 2
    assert root.find(f"{namespace}title").text == "Latency & N"


def test_targets_say_which_are_met_and_by_how_much_the_others_are_missed():
    runs = [
        a_run("postgresql", 1_000, p50=10.0, p95=20.0, rps=100.0, queries=7, export_growth=2.0),
        a_run("postgresql", 100_000, p50=30.0, p95=150.0, rps=70.0, queries=7, export_growth=80),
        a_run("sqlite", 100_000, p50=20.0, p95=40.0, rps=100.0, queries=8, datasette_rps=10.0),
        a_run("sqlite", 1_000, p50=5.0, p95=10.0, rps=300.0, queries=7),
    ]

    size, rows = report.targets(runs)
    verdicts = {row[0]: row[1] for row in rows}

    assert size == 100_000
    assert verdicts["PostgreSQL faceted API list p95"] == "missed by 50.0 ms (1.5× the limit)"
    assert verdicts["PostgreSQL faceted API list throughput"] == "met"
    assert verdicts["SQLite faceted API list vs Datasette"] == "met"
    assert verdicts["PostgreSQL CSV export worker memory growth"].startswith("missed by 30.0 MB")
    assert verdicts["PostgreSQL p50 growth N=1,000→100,000: api_list"].startswith("missed")
    assert verdicts["SQLite queries per request equal at every N"].startswith("missed: api_")
    assert verdicts["PostgreSQL queries per request equal at every N"] == "met"


def test_a_target_measured_with_failed_requests_is_missed():
    run = a_run("postgresql", 1_000, p50=1.0, p95=2.0, rps=500.0, queries=7)
    report.case_of(run, "api_detail")["load"]["errors"] = 12

    _size, rows = report.targets([run])
    verdicts = {row[0]: row[1] for row in rows}

    assert verdicts["PostgreSQL API detail p95"] == "missed: 12 requests failed"
    assert verdicts["PostgreSQL site detail p95"] == "met"


def test_targets_are_judged_again_on_the_cases_served_with_nothing_remembered():
    run = a_run("sqlite", 100_000, p50=5.0, p95=9.0, rps=800.0, queries=9, datasette_rps=100.0)
    cold = a_run("sqlite", 100_000, p50=50.0, p95=90.0, rps=80.0, queries=9)["cases"]
    for case in cold:
        case["key"] += report.COLD
        case["title"] += ", nothing remembered"
    run["cases"] += cold
    for case in run["cases"][:3]:
        case["queries_remembered"] = 1

    _size, rows = report.targets([run])
    verdicts = {row[0]: row[1] for row in rows}

    assert verdicts["SQLite faceted API list vs Datasette"] == "met"
    assert verdicts["SQLite faceted API list vs Datasette, nothing remembered"].startswith(
        "missed by 4.2 × (0.16× the target)"
    )
    assert report.case_rows(run)[0][6] == "9 / 1"
    assert "api_faceted, nothing remembered: **0.80×**" in report.datasette_comparison(run)
