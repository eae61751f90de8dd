"""Writers hammering one record at once, through four server processes (tests/processes.py),
never lose a change they were told was made: every acknowledged change is in the final state,
or a later acknowledged change of the same field replaced it, and every other answer is a
refusal (412 for a stale `If-Match`, 403 where the workflow forbids the change).

Each writer owns one field and writes its rounds in order, so the field's final value must be
the writer's last acknowledged one, whatever the other writers did meanwhile.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.processes import CURATOR, in_a_process

pytestmark = pytest.mark.django_db

ROUNDS = 20
# Four processes in all, one per writer.
SERVER_WORKERS = 2
# Each writer's field, and the value it writes in round n.
WRITERS: dict[str, Callable[[int], str]] = {
    "summary": lambda n: f"Summary, round {n}.",
    "description": lambda n: f"Description, round {n}.",
    "website": lambda n: f"https://example.org/round-{n}",
    "wikidata_id": lambda n: f"Q{n + 1}",
}

SET_UP = f"""
import json
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from catalogue.models import Initiative

curator = User.objects.get(username={CURATOR!r})
contributor = User.objects.create_user("hammering-contributor", is_staff=True)
contributor.groups.add(Group.objects.get(name="Contributors"))
hammered, draft = Initiative.objects.filter(publication="published").order_by("pk")[:2]
draft.publication = "draft"
draft.save()
print(json.dumps({{
    "curator": Token.objects.get_or_create(user=curator)[0].key,
    "contributor": Token.objects.create(user=contributor).key,
    "hammered": hammered.slug,
    "draft": draft.slug,
}}))
"""

VERSIONS_BY = """
import json
from catalogue.models import Initiative, Version
record = Initiative.objects.get(slug={slug!r})
print(json.dumps([
    [version.user_name, version.changed_fields] for version in Version.objects.of(record)
]))
"""


@pytest.fixture(scope="module")
def deployment(environment, servers) -> dict:
    """The servers, and what the set-up wrote: tokens and the records to write."""
    return {**json.loads(in_a_process(SET_UP, environment)), "servers": servers}


def call(method: str, url: str, token: str, payload=None, headers=None) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of a request with `token`."""
    request = urllib.request.Request(
        url,
        data=None if payload is None else json.dumps(payload).encode(),
        method=method,
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def record_url(deployment: dict, slug: str, round_: int) -> str:
    """The record's address on one server or the other, by turns."""
    servers = deployment["servers"]
    return f"{servers[round_ % len(servers)]}/api/v1/initiatives/{slug}/"


def at_once(work: Callable[[str], list]) -> dict[str, list]:
    """`work(field)` for every writer's field, all at once."""
    with ThreadPoolExecutor(max_workers=len(WRITERS)) as pool:
        futures = {field: pool.submit(work, field) for field in WRITERS}
        return {field: future.result() for field, future in futures.items()}


def final_state(deployment: dict, slug: str) -> dict:
    status, _headers, body = call("GET", record_url(deployment, slug, 0), deployment["curator"])
    assert status == 200
    return body


def test_writes_without_if_match_all_land_one_after_the_other(deployment):
    slug = deployment["hammered"]

    def write(field: str) -> list:
        acknowledged = []
        for round_ in range(ROUNDS):
            value = WRITERS[field](round_)
            status, _headers, body = call(
                "PATCH", record_url(deployment, slug, round_), deployment["curator"], {field: value}
            )
            assert status == 200, (field, round_, status, body)
            acknowledged.append(value)
        return acknowledged

    acknowledged = at_once(write)
    state = final_state(deployment, slug)
    assert {field: state[field] for field in WRITERS} == {
        field: values[-1] for field, values in acknowledged.items()
    }


def test_writes_with_if_match_land_or_are_refused_never_lost(deployment):
    slug = deployment["hammered"]

    def write(field: str) -> list:
        statuses = []
        last_acknowledged = None
        for round_ in range(ROUNDS):
            url = record_url(deployment, slug, round_)
            status, headers, _body = call("GET", url, deployment["curator"])
            assert status == 200
            value = WRITERS[field](100 + round_)
            status, _headers, body = call(
                "PATCH", url, deployment["curator"], {field: value}, {"If-Match": headers["ETag"]}
            )
            assert status in (200, 412), (field, round_, status, body)
            statuses.append(status)
            if status == 200:
                last_acknowledged = value
        return [statuses, last_acknowledged]

    outcomes = at_once(write)
    state = final_state(deployment, slug)
    for field, (statuses, last_acknowledged) in outcomes.items():
        if last_acknowledged is not None:
            assert state[field] == last_acknowledged, (field, statuses)
    assert any(200 in statuses for statuses, _last in outcomes.values())


def test_a_contributor_writing_while_a_curator_publishes_never_unpublishes(deployment, environment):
    slug = deployment["draft"]

    def contribute(_field: str) -> list:
        statuses = []
        for round_ in range(ROUNDS):
            status, _headers, body = call(
                "PATCH",
                record_url(deployment, slug, round_),
                deployment["contributor"],
                {"description": f"A contributor's draft, round {round_}.", "publication": "draft"},
            )
            assert status in (200, 403), (round_, status, body)
            statuses.append(status)
        return statuses

    with ThreadPoolExecutor(max_workers=3) as pool:
        contributors = [pool.submit(contribute, "description") for _ in range(2)]
        status, _headers, body = call(
            "PATCH",
            record_url(deployment, slug, 1),
            deployment["curator"],
            {"publication": "published"},
        )
        assert status == 200, body
        for future in contributors:
            future.result()
    assert final_state(deployment, slug)["publication"] == "published"
    versions = json.loads(in_a_process(VERSIONS_BY.format(slug=slug), environment))
    changed_by_contributor = [
        fields for user_name, fields in versions if user_name == "hammering-contributor"
    ]
    assert not [fields for fields in changed_by_contributor if "publication" in fields]
