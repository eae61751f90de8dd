"""Queries per request, counted in a process of its own: `python -m bench.queries PATH...` (the
first paths of each varied case, the path of each fixed one) with the benchmark's environment
(production settings, the catalogue's DATABASE_URL) prints a JSON object mapping each path to the
number of queries its request makes, `{"afresh": n, "remembered": m, "found": bool}`: `found` is
false for a list that selects no record, which skips the queries loading its rows.

Each path is first requested once, to fill the process's own caches (URL patterns, content
types) as a running server has them. Then the cache of answers and counts (catalogue/revision.py)
is emptied and the request counted *afresh*, as the first reader of a page after a write makes
it; then counted again, *remembered*, as every later reader until the next write.
"""

import json
import os
import re
import sys

import django

# The count heading of a site list, and the count of an API list.
SITE_COUNT = re.compile(rb'class="results__count"[^>]*>\s*(\d+)')
API_COUNT = re.compile(rb'^\{"count":(\d+)')


def found_records(content: bytes) -> bool:
    """Whether a list's answer selects a record; any other answer (a record) counts as found."""
    counted = SITE_COUNT.search(content) or API_COUNT.match(content)
    return counted is None or int(counted.group(1)) > 0


def count_queries(paths: list[str]) -> dict[str, dict[str, int] | str]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")

    def counted(path: str) -> tuple[int, bytes]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
        if response.status_code != 200:
            raise RuntimeError(f"answered {response.status_code}")
        return len(captured.captured_queries), content

    counts = {}
    for path in paths:
        try:
            counted(path)
            cache.clear()
            afresh, content = counted(path)
            remembered, _content = counted(path)
            counts[path] = {
                "afresh": afresh,
                "remembered": remembered,
                "found": found_records(content),
            }
        # A request that fails is reported beside its case; the other cases still count.
        except Exception as error:
            counts[path] = f"{type(error).__name__}: {error}"
    return counts


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplo.settings")
    django.setup()
    print(json.dumps(count_queries(sys.argv[1:])))
