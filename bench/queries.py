"""Queries per request, counted in a process of its own: `python -m bench.queries PATH...` with
the benchmark's environment (production settings, the catalogue's DATABASE_URL) prints a JSON
object mapping each path to the number of queries its request makes.

Each path is requested twice through Django's test client and the second request is counted, as
a running server answers it: after the first request has filled the process's caches.
"""

import json
import os
import sys

import django


def count_queries(paths: list[str]) -> dict[str, int | str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for path in paths:
        try:
            for _attempt in range(2):
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(path)
                    if response.streaming:
                        b"".join(response.streaming_content)
        # A request that fails is reported beside its case; the other cases still count.
        except Exception as error:
            counts[path] = f"{type(error).__name__}: {error}"
            continue
        if response.status_code == 200:
            counts[path] = len(captured.captured_queries)
        else:
            counts[path] = f"answered {response.status_code}"
    return counts


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplo.settings")
    django.setup()
    print(json.dumps(count_queries(sys.argv[1:])))
