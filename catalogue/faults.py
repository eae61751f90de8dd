"""What the app does when the database is out of reach: readers and scripts are told to come back
(503 with `Retry-After`, from the error handlers in catalogue/views/pages.py and
api/exceptions.py), each failed request leaves one line in the log rather than a traceback, and
`/ready/` says which dependency is missing, and whether the task worker keeps up.
"""

import datetime
import logging

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tasks import task_backends

# How long a client should wait before asking again while the database is out of reach.
RETRY_AFTER_SECONDS = 30
# What a request needs; the task queue (`tasks` in `readiness()`) is reported, but a server
# serves requests without a task worker.
REQUIRED = ("database", "cache")
# How long a task may wait before the queue is reported as not taken care of.
TASK_WAIT_SECONDS = 60


def database_unavailable(exception: BaseException | None) -> bool:
    """Whether `exception` says the database cannot be reached (or refuses work for now)."""
    return isinstance(exception, OperationalError | InterfaceError)


def readiness() -> dict[str, str]:
    """Each dependency a request needs, "ok" or what is wrong with it."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except (OperationalError, InterfaceError) as error:
        checks["database"] = f"unavailable: {first_line(error)}"
    try:
        cache.set("ready-probe", "ok", 10)
        # None from the dummy cache of CACHE=off, which keeps nothing.
        checks["cache"] = "ok" if cache.get("ready-probe") in ("ok", None) else "unreadable"
    except Exception as error:  # Any backend's own error: the probe reports it, never raises.
        checks["cache"] = f"unavailable: {first_line(error)}"
    checks["tasks"] = task_queue_state()
    return checks


def task_queue_state() -> str:
    """ "ok", or how many tasks wait longer than a worker takes to start one."""
    # Imported here: logging's set-up imports this module before the apps' models are ready.
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends["default"], DatabaseBackend):
        return "ok"  # Run in the request that asks for them.
    cutoff = timezone.now() - datetime.timedelta(seconds=TASK_WAIT_SECONDS)
    try:
        waiting = DBTaskResult.objects.ready().filter(enqueued_at__lt=cutoff).count()
    except (OperationalError, InterfaceError) as error:
        return f"unavailable: {first_line(error)}"
    if not waiting:
        return "ok"
    return (
        f"{waiting} waiting for more than {TASK_WAIT_SECONDS} s: is the task worker "
        "(manage.py db_worker) running?"
    )


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class OneLineWhenDatabaseUnavailable(logging.Filter):
    """Logs a request that failed because the database was out of reach as one line naming the
    error, without its traceback: during an outage every request fails the same way, and a
    traceback each would bury the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exception = record.exc_info[1] if record.exc_info else None
        if database_unavailable(exception):
            record.msg = f"{record.getMessage()} (database unavailable: {first_line(exception)})"
            record.args = ()
            record.exc_info = record.exc_text = None
        return True
