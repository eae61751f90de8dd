"""A live HTTP server of the session's test database, for tests that need a real client (the
browser, the API guide's examples)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connection, connections
from django.test.testcases import LiveServerThread


@contextmanager
def live_server() -> Iterator[str]:
    """Serves the app on a free port and yields its address.

    On SQLite the test database lives in memory, so the server shares the tests' connection (and
    sees their transaction); on PostgreSQL it opens its own and commits what it writes.
    """
    shared = {
        database.alias: database
        for database in connections.all()
        if database.vendor == "sqlite" and database.is_in_memory_db()
    }
    for database in shared.values():
        database.inc_thread_sharing()
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
        for database in shared.values():
            database.dec_thread_sharing()
        sessions_ended()


def sessions_ended(timeout: float = 10) -> None:
    """Waits until no other session is connected to the test database. The server answers each
    HTTP connection in a daemon thread that closes its database connection when the client
    hangs up, which can come after the server has stopped; PostgreSQL refuses to drop a test
    database that still has sessions."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
