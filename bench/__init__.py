"""The benchmark of issue 6: Sciplo served by gunicorn with production settings, on SQLite and
PostgreSQL, at several catalogue sizes, beside Datasette over the same SQLite file.

`make bench` (or `.venv/bin/python -m bench --help`) runs it; docs/performance.md explains what
it measures and shows the latest results, which the run writes there itself.
"""
