"""The benchmark's pure parts (bench/): the varied workload, reading wrk's output, the tables, the
targets, the chart and the results' place in docs/performance.md. The benchmark itself never runs
in the suite."""

import urllib.parse
import xml.etree.ElementTree as ElementTree

import pytest
from django.conf import settings

from bench import load, queries, report, workload

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:8310
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.12ms   10.01ms 180.00ms   90.00%
  4000 requests in 20.00s, 41.00MB read
Requests/sec:    200.00
BENCH_JSON {"requests": 4000, "duration_us": 20000000, "bytes": 43000000, "repeated": 1260, "errors": {"connect": 0, "read": 0, "write": 0, "status": 3, "timeout": 1}, "latency_us": {"p50": 38250, "p95": 61000, "p99": 95500, "mean": 40120.5, "max": 180000}}
"""  # noqa: E501 - wrk prints the line whole


def a_run(
    engine,
    size,
    *,
    p50,
    p95,
    rps,
    queries,
    cpu=5.0,
    datasette_rps=None,
    export_seconds=None,
    resident_mb=None,
):
    """A run's results as `python -m bench` writes them: every varied case in its two passes and
    the fixed cases, all with the same numbers."""

    def case(key, title, pass_name, counted):
        return {
            "key": key,
            "title": title,
            "pass": pass_name,
            **counted,
            "load": {
                "requests": int(rps * 20),
                "requests_per_second": rps,
                "repeated": 0,
                "errors": 0,
                "latency_ms": {"p50": p50, "p95": p95, "p99": p95 * 1.5, "mean": p50},
            },
            "worker": {"cpu_ms_per_request": cpu, "peak_rss_mb": 90.0, "peak_growth_mb": 1.0},
        }

    varied = {"queries": [queries, queries + 1, queries, queries, queries]}
    cases = [
        case(key + report.COLD, f"{title}, nothing remembered", "varied_cold", varied)
        for key, title in report.VARIED_TITLES.items()
    ]
    cases += [case(key, title, "varied", varied) for key, title in report.VARIED_TITLES.items()]
    cases += [
        case(report.FIXED + key, key, "remembered", {"queries": queries, "queries_remembered": 1})
        for key in ("api_list", "api_faceted", "api_detail")
    ]
    run = {"engine": engine, "size": size, "cases": cases}
    if export_seconds is not None:
        run["cases"].append(
            {
                "key": "csv_export",
                "title": "CSV export",
                "pass": "remembered",
                "queries": 3,
                "queries_remembered": 3,
                "downloads": [
                    {"seconds": seconds, "bytes": 5_000_000, "status": 200}
                    for seconds in export_seconds
                ],
                "worker": {"peak_rss_mb": 120.0, "peak_growth_mb": 1.0},
            }
        )
    if resident_mb is not None:
        run["worker_memory"] = [
            {"pass": "varied_cold", "resident_mb": [100.0, 110.0]},
            {"pass": "varied", "resident_mb": resident_mb},
        ]
    if datasette_rps is not None:
        run["datasette"] = {
            "cases": [
                {
                    "key": key,
                    "title": key,
                    "paths_sample": ["/db/catalogue_initiative.json?status=active"],
                    "load": {
                        "requests_per_second": datasette_rps,
                        "repeated": 0,
                        "errors": 0,
                        "latency_ms": {"p50": 10.0, "p95": 20.0, "p99": 30.0},
                    },
                }
                for key in ("datasette_varied", "datasette_fixed")
            ]
        }
    return run


def some_values(*, scale=1):
    """A small catalogue's values, as `workload.catalogue_values` reads them from a database;
    `scale=2` is a larger one."""
    regions = ["Nordic", "Adriatic", "Sahel", "Andean", "Pacific"]
    subjects = ["Ocean Science", "Polar Research", "Digital Health", "Clean Energy"]
    kinds = ["Network", "Hub", "Programme"]
    names = [f"{r} {s} {k}" for r in regions for s in subjects for k in kinds]
    if scale > 1:
        names += [f"Greater {name}" for name in names]
    return workload.CatalogueValues(
        slugs=[name.lower().replace(" ", "-") for name in names],
        names=names,
        columns={
            "status": ["active", "completed", "planned"],
            "kind": ["hub", "network", "programme", "fund"][: 2 + scale],
            "level": ["city", "national", "global"],
        },
        start_years=(1995, 2020 + scale),
        relations={
            "theme": {"oceans": 50 * scale, "health": 10, "polar-research": 1},
            "country": {"FR": 30, "KE": 5 * scale, "NO": 2},
            "city": {"lyon": 20, "nairobi": 4, "oslo": 1 + scale},
        },
    )


def generated(values=None, seed=0, *, measured=300, warmup=100):
    cases = workload.generate(values or some_values(), seed, measured=measured, warmup=warmup)
    return {case.key: case for case in cases}


def test_every_case_has_distinct_paths_and_a_warm_up_of_others():
    cases = generated()

    assert list(cases) == list(workload.CASE_KEYS)
    for case in cases.values():
        assert len(set(case.paths)) == len(case.paths), case.key
        assert len(set(case.warmup_paths)) == len(case.warmup_paths), case.key
        assert not set(case.paths) & set(case.warmup_paths), case.key
    assert len(cases["api_faceted"].paths) == 300
    assert len(cases["site_search"].warmup_paths) == 100


def test_a_catalogue_with_fewer_paths_gives_all_it_has_shared_in_proportion():
    cases = generated()

    # 60 published initiatives: 2 pages of the API's list in 5 orders, and 60 records.
    assert (len(cases["api_list"].paths), len(cases["api_list"].warmup_paths)) == (8, 2)
    assert (len(cases["api_detail"].paths), len(cases["api_detail"].warmup_paths)) == (45, 15)
    assert sorted(cases["site_detail"].paths + cases["site_detail"].warmup_paths) == sorted(
        f"/initiatives/{slug}/" for slug in some_values().slugs
    )


def test_the_same_seed_gives_the_same_paths_and_another_seed_others():
    once, again, other = generated(seed=7), generated(seed=7), generated(seed=8)

    for key in workload.CASE_KEYS:
        assert once[key].paths == again[key].paths
        assert once[key].warmup_paths == again[key].warmup_paths
        assert once[key].paths != other[key].paths, key


def query_of(path):
    base, _, query = path.partition("?")
    # Properly encoded: parsed and encoded again, the query is the same.
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    assert urllib.parse.urlencode(pairs) == query
    return base, pairs


CASE_PARAMETERS = {
    "api_list": {"per_page", "page", "sort"},
    "api_faceted": {"status", "kind", "level", "start_year_min", "start_year_max", "facets"},
    "api_faceted_relations": {
        *("status", "kind", "level", "start_year_min", "start_year_max"),
        *("theme", "country", "city", "facets"),
    },
    "api_search": {"q", "status", "kind", "level", "start_year_min", "start_year_max", "facets"},
    "site_list": {
        *("status", "kind", "level", "start_year_min", "start_year_max"),
        *("theme", "country", "city"),
    },
    "site_search": {
        *("q", "status", "kind", "level", "start_year_min", "start_year_max"),
        *("theme", "country", "city"),
    },
}


def test_paths_are_well_formed_and_name_only_values_the_catalogue_holds():
    values = some_values()
    cases = generated(values)

    for key, case in cases.items():
        for path in case.paths + case.warmup_paths:
            base, pairs = query_of(path)
            names = [name for name, _value in pairs]
            if key in ("api_detail", "site_detail"):
                prefix = "/api/v1/initiatives/" if key == "api_detail" else "/initiatives/"
                assert base.removeprefix(prefix).removesuffix("/") in values.slugs
                assert not pairs
                continue
            assert base == ("/initiatives/" if key.startswith("site") else "/api/v1/initiatives/")
            assert set(names) <= CASE_PARAMETERS[key], path
            for name, value in pairs:
                if name in values.columns:
                    assert value in values.columns[name], path
                elif name in values.relations:
                    assert value in values.relations[name], path
                elif name.startswith("start_year_"):
                    assert 1995 <= int(value) <= 2021, path
                elif name == "q":
                    assert value == value.lower()
                    assert any(value in name.lower() for name in values.names), path
                elif name == "page":
                    assert 1 <= int(value) <= values.pages()
                elif name == "sort":
                    assert value in workload.SORTS
            query = dict(pairs)
            if "start_year_min" in query:
                assert int(query["start_year_min"]) <= int(query["start_year_max"])
            # One or two values of a filter, never the same one twice.
            for column in workload.COLUMNS:
                chosen = [value for name, value in pairs if name == column]
                assert len(chosen) <= 2 and len(set(chosen)) == len(chosen), path
            if key == "api_faceted":
                assert query["facets"] == "status,kind,level"
                assert {name for name in names if name != "facets"} - {"start_year_max"}
            if key == "api_faceted_relations":
                assert query["facets"].rsplit(",", 1)[0] == "status,kind,level"
                assert query["facets"].rsplit(",", 1)[1] in workload.RELATION_FACETS
                assert 1 <= len(set(names) & set(workload.RELATIONS)) <= 2
            if key in ("api_search", "site_search"):
                assert names[0] == "q"


def test_popular_themes_and_cities_are_asked_for_more_often():
    requests = generated()["api_faceted_relations"].measured[:200]
    themes = [
        value
        for request in requests
        for name, value in request.filters.relations
        if name == "theme"
    ]

    assert themes.count("oceans") > 5 * themes.count("polar-research")


def test_a_cases_first_requests_have_the_same_shape_in_every_catalogue():
    small, large = generated(some_values()), generated(some_values(scale=2))

    def names(path):
        return [name for name, _value in query_of(path)[1]]

    for key in workload.CASE_KEYS:
        for one, other in zip(small[key].paths[:5], large[key].paths[:5], strict=True):
            assert names(one) == names(other), key


def sciplo_filters(path):
    filters = {}
    for name, value in query_of(path)[1]:
        if name != "facets":
            filters.setdefault(name, set()).add(value)
    return filters


def datasette_filters(path):
    names = {"start_year__gte": "start_year_min", "start_year__lte": "start_year_max"}
    filters, rest = {}, []
    for name, value in query_of(path)[1]:
        if name.startswith("_") or name == "publication":
            rest.append((name, value))
        elif name.endswith("__in"):
            filters[name.removesuffix("__in")] = set(value.split(","))
        else:
            filters.setdefault(names.get(name, name), set()).add(value)
    return filters, rest


def test_each_datasette_twin_says_the_same_filters_as_its_sciplo_path():
    case = generated()["api_faceted"]

    measured, warmup = case.datasette_twins("sciplo-1000-seed0")

    assert len(measured) == len(case.paths) and len(warmup) == len(case.warmup_paths)
    for path, twin in zip(case.paths + case.warmup_paths, measured + warmup, strict=True):
        assert twin.startswith("/sciplo-1000-seed0/catalogue_initiative.json?")
        filters, rest = datasette_filters(twin)
        assert filters == sciplo_filters(path), (path, twin)
        assert rest == [
            ("publication", "published"),
            ("_sort", "name"),
            ("_facet", "status"),
            ("_facet", "kind"),
            ("_facet", "level"),
            ("_nosuggest", "1"),
            ("_size", "50"),
        ]
    assert any("status__in=" in twin for twin in measured)


def test_a_twin_of_a_search_or_a_relation_is_refused():
    with pytest.raises(ValueError, match="column filters only"):
        workload.datasette_path(workload.Filters(q="ocean"), "db")


def test_wrk_output_gives_throughput_errors_and_latency_in_milliseconds():
    measured = load.parse_wrk_output(WRK_OUTPUT)

    assert measured["requests"] == 4000
    assert measured["requests_per_second"] == 200.0
    assert measured["repeated"] == 1260
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


def test_wrk_output_of_an_older_script_repeated_nothing():
    older = WRK_OUTPUT.replace('"repeated": 1260, ', "")

    assert load.parse_wrk_output(older)["repeated"] == 0


def test_wrk_needs_a_path_to_load():
    with pytest.raises(load.LoadError, match="No path"):
        load.run_wrk("http://127.0.0.1:8310", [], 1)


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


def test_chart_is_valid_svg_with_one_polyline_per_varied_case_served_with_nothing_remembered():
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
    assert len(series) == 2 * 2 * len(workload.CASE_KEYS)  # engines × percentiles × cases
    assert len(polylines) == len(series)
    labels = [line.find(f"{namespace}title").text for line in polylines]
    assert labels[0] == "PostgreSQL API list, 50 rows, varied page and sort p50"
    assert len(polylines[0].get("points").split()) == 2
    assert len({s["colour"] for s in series}) == len(workload.CASE_KEYS)
    assert root.find(f"{namespace}title").text == "Latency & N"


def test_targets_say_which_are_met_and_by_how_much_the_others_are_missed():
    runs = [
        a_run("postgresql", 1_000, p50=10.0, p95=20.0, rps=300.0, queries=7, cpu=4.0),
        a_run(
            "postgresql",
            100_000,
            p50=30.0,
            p95=180.0,
            rps=70.0,
            queries=7,
            export_seconds=[4.0, 6.5],
            resident_mb=[120.0, 310.0],
        ),
        a_run("sqlite", 100_000, p50=20.0, p95=40.0, rps=100.0, queries=8, datasette_rps=10.0),
        a_run("sqlite", 1_000, p50=5.0, p95=10.0, rps=300.0, queries=7, cpu=20.0),
    ]

    size, rows = report.targets(runs)
    verdicts = {row[0]: row[1] for row in rows}

    assert size == 100_000
    faceted = "API list, 1–3 column filters, 3 facets"
    assert verdicts[f"PostgreSQL {faceted}: p95"] == "missed by 30.0 ms (1.2× the limit)"
    assert verdicts[f"PostgreSQL {faceted}: throughput"] == "met"
    assert verdicts["PostgreSQL API list, q, 2 facets: p95"] == "met"
    assert verdicts["PostgreSQL API detail: throughput"].startswith("missed by 180.0 req/s")
    assert verdicts[f"SQLite {faceted}: throughput against Datasette's"] == "met"
    assert verdicts["SQLite site list, every facet, q: p95"] == "met"
    cpu = "worker CPU per request at N = 1,000"
    assert verdicts[f"PostgreSQL API detail: {cpu}"] == "met"
    assert verdicts[f"SQLite API detail: {cpu}"] == "missed by 15.0 ms (4.0× the limit)"
    assert verdicts[f"SQLite site list, every facet, column and relation filters: {cpu}"] == "met"
    growth = "p50 growth N = 1,000→100,000"
    assert verdicts[f"PostgreSQL {growth}: API detail"].startswith("missed by 1.0 ×")
    assert (
        verdicts[f"SQLite {growth}: site list, every facet, q"]
        == "missed by 2.0 × (2.0× the limit)"
    )
    assert verdicts["SQLite queries per request equal at every N"].startswith("missed: api_")
    assert verdicts["PostgreSQL queries per request equal at every N"] == "met"
    export = "CSV export of every initiative (the slowest)"
    assert verdicts[f"PostgreSQL {export}"] == "missed by 1.5 s (1.3× the limit)"
    assert verdicts[f"SQLite {export}"] == "not measured"
    memory = "a worker's resident memory after the benchmark"
    assert verdicts[f"PostgreSQL {memory}"] == "missed by 10.0 MB (1.0× the limit)"
    assert verdicts[f"SQLite {memory}"] == "not measured"


def test_targets_are_judged_on_the_varied_cases_with_nothing_remembered_only():
    run = a_run("postgresql", 100_000, p50=5.0, p95=9.0, rps=800.0, queries=9)
    for case in run["cases"]:
        if case["pass"] == "varied_cold":
            case["load"]["latency_ms"]["p95"] = 400.0

    _size, rows = report.targets([run])
    verdicts = {row[0]: row[1] for row in rows}

    assert verdicts["PostgreSQL API detail: p95"].startswith("missed by 370.0 ms")
    assert not any("remembered" in label for label in verdicts)


def test_a_target_measured_with_failed_requests_is_missed():
    run = a_run("postgresql", 1_000, p50=1.0, p95=2.0, rps=500.0, queries=7)
    report.case_of(run, "api_detail" + report.COLD)["load"]["errors"] = 12

    _size, rows = report.targets([run])
    verdicts = {row[0]: row[1] for row in rows}

    assert verdicts["PostgreSQL API detail: p95"] == "missed: 12 requests failed"
    assert verdicts["PostgreSQL site detail page: p95"] == "met"


def test_a_run_shows_each_pass_the_queries_the_repeats_and_datasette_beside_sciplo():
    run = a_run("sqlite", 1_000, p50=50.0, p95=90.0, rps=80.0, queries=9, datasette_rps=100.0)
    report.case_of(run, "api_detail" + report.COLD)["load"]["repeated"] = 3210
    report.case_of(run, report.FIXED + "api_detail")["load"]["repeated"] = 1500

    section = report.run_section(run)
    rows = {row[0]: row for row in report.case_rows(run["cases"])}

    for pass_name in ("varied_cold", "varied", "remembered"):
        assert f"**{report.PASS_TITLES[pass_name]}**" in section
    assert rows["API detail, nothing remembered (paths repeated: 3,210)"][6] == "9–10"
    assert rows["api_detail"][6] == "9 / 1"
    comparison = report.datasette_comparison(run)
    assert "API list, 1–3 column filters, 3 facets, nothing remembered: **0.80×**" in comparison
    assert "api_faceted: **0.80×**" in comparison


def test_profiles_are_folded_away_beneath_their_run():
    run = a_run("postgresql", 1_000, p50=5.0, p95=9.0, rps=80.0, queries=9)
    entry = {
        "function": "django/db/models/base.py:462(__init__)",
        "own_ms_per_request": 12.4,
        "cumulative_ms_per_request": 16.2,
        "calls_per_request": 598.1,
    }
    run["profiles"] = {
        "api_faceted": {
            "requests": 100,
            "profiled_requests": 100,
            "cpu_ms_per_request": 99.3,
            "queries_per_request": 9.4,
            "by_own": [entry],
        },
        "site_list": {"error": "Traceback …\nRuntimeError: /initiatives/?x answered 500"},
    }

    section = report.run_section(run)

    assert "<details>" in section and "</details>" in section
    assert "| `django/db/models/base.py:462(__init__)` | 12.4 | 16.2 | 598.1 |" in section
    assert "not profiled: RuntimeError: /initiatives/?x answered 500" in section


def test_a_varied_case_makes_the_same_queries_at_every_n_where_its_requests_found_records():
    small = a_run("postgresql", 1_000, p50=5.0, p95=9.0, rps=80.0, queries=10)
    large = a_run("postgresql", 100_000, p50=5.0, p95=9.0, rps=80.0, queries=10)
    # The second request finds nothing in the small catalogue, and loads no relations there.
    small_case = report.case_of(small, "api_faceted" + report.COLD)
    small_case["queries"] = [10, 1, 11, 10, 10]
    small_case["queries_found"] = [True, False, True, True, True]
    large_case = report.case_of(large, "api_faceted" + report.COLD)
    large_case["queries"] = [10, 12, 11, 10, 10]
    large_case["queries_found"] = [True] * 5

    _size, rows = report.targets([small, large])
    verdicts = {row[0]: row[1] for row in rows}

    assert verdicts["PostgreSQL queries per request equal at every N"] == "met"

    large_case["queries"] = [10, 12, 12, 10, 10]
    _size, rows = report.targets([small, large])
    verdicts = {row[0]: row[1] for row in rows}

    assert verdicts["PostgreSQL queries per request equal at every N"] == "missed: api_faceted_cold"


def test_a_list_that_selects_nothing_is_counted_as_finding_nothing():
    site = b'<h2 id="results-heading" class="results__count" aria-live="polite">\n  %d initiatives'
    api = b'{"count":%d,"next":null,"previous":null,"results":[]}'

    assert not queries.found_records(site % 0) and queries.found_records(site % 12)
    assert not queries.found_records(api % 0) and queries.found_records(api % 3)
    assert queries.found_records(b"<!doctype html><h1>Geneva Science and Diplomacy</h1>")


def test_results_of_the_fixed_cases_only_are_never_judged_as_varied_ones():
    earlier = {
        "engine": "postgresql",
        "size": 100_000,
        "cases": [
            {
                "key": "api_detail" + report.COLD,
                "title": "API detail, nothing remembered",
                "queries": 10,
                "load": {
                    "requests_per_second": 900.0,
                    "repeated": 0,
                    "errors": 0,
                    "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
                },
            }
        ],
    }

    _size, rows = report.targets([earlier])
    verdicts = {row[0]: row[1] for row in rows}

    assert verdicts["PostgreSQL API detail: p95"] == "not measured"
    assert report.chart_series([earlier]) == []
    assert "**Fixed paths, nothing remembered" in report.run_section(report.upgraded([earlier])[0])
