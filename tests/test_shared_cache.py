"""With REDIS_URL, every server process shares one cache in a real Redis: the API's rate limit
counts a client once across two servers (each process counting alone would let it make twice as
many requests), and the answers one server remembers are kept where the other finds them.

CI starts a Redis server (.ci/run); elsewhere the test needs one at TEST_REDIS_URL.
"""

import os
import secrets
import urllib.error
import urllib.request

import pytest
import redis

from tests.processes import in_a_process

pytestmark = pytest.mark.django_db

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = f"sciplo-test-{secrets.token_hex(6)}"
LIMIT = 12
SERVER_ENVIRONMENT = {
    "REDIS_URL": REDIS,
    "CACHE_KEY_PREFIX": PREFIX,
    "API_ANON_RATE": f"{LIMIT}/hour",
}


@pytest.fixture(scope="module")
def store():
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"No Redis server at {REDIS} (set TEST_REDIS_URL).")
    yield client
    for key in client.scan_iter(f"{PREFIX}:*"):
        client.delete(key)
    client.close()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_servers_count_one_rate_limit_and_share_what_they_remember(store, environment, servers):
    in_a_process("from django.core.cache import cache; cache.set('probe', 1)", environment)
    assert store.exists(f"{PREFIX}:1:probe")
    answers = [
        status(f"{servers[n % 2]}/api/v1/initiatives/?per_page={1 + n}") for n in range(2 * LIMIT)
    ]
    assert answers[:LIMIT] == [200] * LIMIT
    assert set(answers[LIMIT:]) == {429}
    # Answers remembered under the catalogue's revision (catalogue.revision.cache_key).
    assert len(list(store.scan_iter(f"{PREFIX}:1:catalogue:*"))) >= LIMIT
