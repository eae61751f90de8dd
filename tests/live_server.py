"""A live HTTP server of the session's test database, for tests that need a real client (the
browser, the API guide's examples)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.test.testcases import LiveServerThread


@contextmanager
def live_server() -> Iterator[str]:
    """Serves the app on a free port and yields its address.

    On SQLite the test database lives in memory, so the server shares the tests' connection (and
    sees their transaction); on PostgreSQL it opens its own and commits what it writes.
    """
    shared = {
        connection.alias: connection
        for connection in connections.all()
        if connection.vendor == "sqlite" and connection.is_in_memory_db()
    }
    for connection in shared.values():
        connection.inc_thread_sharing()
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override=shared)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()
