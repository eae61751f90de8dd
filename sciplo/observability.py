"""What the app tells its operators: a log line per request (`RequestLogMiddleware`), as text or,
with LOG_FORMAT=json, as one JSON object per line (sciplo/settings.py's LOGGING), beside the
curators' actions (`catalogue.history`) and the imports (`catalogue.tasks`)."""

import logging
import time

from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger("sciplo.request")


class RequestLogMiddleware:
    """Logs each request once it is answered: method, path, status, time taken, and who asked
    (a signed-in user's name, `user_name`) from which address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user": user_name(request),
                "client": request.META.get("REMOTE_ADDR"),
            },
        )
        return response


def user_name(request) -> str | None:
    """The name of the user the request was answered for, if the answer asked who it was: a
    user no part of the answer read is not read for the log (nor its session from the
    database, which may be away)."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.get_username() if user.is_authenticated else None
