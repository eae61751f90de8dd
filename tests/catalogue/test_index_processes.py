"""Two server processes, each with a list index of its own, answer the database's own counts
after every kind of write another process makes.

The catalogue lives in a deployment of its own (tests/processes.py), served by two gunicorn
processes of one worker each. Before and after each write — made by a third process, as a
curator makes it (tests/catalogue/one_write.py) — both servers' counts of every list and facet
must be the database's (tests/catalogue/counting.py), and the write must have changed them.
"""

import json
import urllib.request

from tests.catalogue.counting import FILTERSETS
from tests.processes import in_a_process

WRITES = ("admin", "api", "import", "revert", "delete", "unpublish", "publish")


def served_counts(server: str) -> dict:
    """Every list's number of published records and every facet's counts, as `server`'s API
    answers them."""
    counted = {}
    for filterset_class in FILTERSETS:
        model = filterset_class._meta.model
        name = str(model._meta.verbose_name_plural)
        facets = ",".join(facet.param for facet in filterset_class.facets)
        url = f"{server}/api/v1/{name}/?per_page=1&facets={facets}"
        with urllib.request.urlopen(url, timeout=30) as response:
            body = json.load(response)
        counted[name] = {
            "count": body["count"],
            "facets": {
                param: {value["value"]: value["count"] for value in values if value["count"]}
                for param, values in body["facets"].items()
            },
        }
    return counted


def database_counts(environment: dict) -> dict:
    code = "from tests.catalogue.counting import print_catalogue_counts; print_catalogue_counts()"
    return json.loads(in_a_process(code, environment))


def test_every_server_counts_as_the_database_after_every_kind_of_write(environment, servers):
    before = database_counts(environment)
    for server in servers:
        assert served_counts(server) == before
    for kind in WRITES:
        in_a_process(f"from tests.catalogue.one_write import write; write({kind!r})", environment)
        after = database_counts(environment)
        assert after != before, f"the {kind} write changed nothing counted"
        for server in servers:
            assert served_counts(server) == after, (kind, server)
        before = after
