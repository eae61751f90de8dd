"""Reads sent to a PostgreSQL replica (REPLICA_DATABASE_URL), where no one needs to read back a
write of their own: the anonymous readers' GET and HEAD requests, on the site and the API.

A request signed in (a session cookie) or sent with a token, any other method, and the task
worker read and write the primary, so that curators and scripts always read what they wrote.
A reader's request reads everything from the replica, the catalogue's revision included, so
that what it remembers (catalogue.revision) is keyed by the state it read, however far the
replica lags. Exports, which build a temporary table a replica in hot standby cannot, read the
primary (catalogue.exports).
"""

from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
READ_ONLY_METHODS = ("GET", "HEAD")

_reads_from_replica: ContextVar[bool] = ContextVar("reads_from_replica", default=False)


def is_readers_request(request) -> bool:
    """Whether `request` is an anonymous reader's, which may read a replica."""
    return (
        request.method in READ_ONLY_METHODS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "Authorization" not in request.headers
    )


class ReplicaMiddleware:
    """Has the database router send the reads of a reader's request to the replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reading = _reads_from_replica.set(is_readers_request(request))
        try:
            return self.get_response(request)
        finally:
            _reads_from_replica.reset(reading)


class ReplicaRouter:
    """Reads of a reader's request from the replica; every other read, and every write and
    migration, the primary's."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reads_from_replica.get() else None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read from either is the same row.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
