"""One error body for every API error, whatever its status:

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"name": ["…"]}}}

`fields` appears when the error concerns particular fields (a bad payload or query parameter),
keyed by the field's name as the request gave it.

DRF's exceptions go through `error_handler`; what Django answers itself under /api/ (an unknown
address, an unhandled error, a request it refuses) goes through the views at the end, which
sciplo/urls.py routes there.
"""

import sys

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from catalogue import faults
from catalogue.models.base import RecordChanged
from catalogue.views.pages import size_limit_exceeded

MESSAGES = {
    status.HTTP_400_BAD_REQUEST: "Some values are not valid; see fields.",
}


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    error = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


class SavedMeanwhile(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "changed"


def error_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RecordChanged):
        exc = SavedMeanwhile(str(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body(response.status_code, "invalid", MESSAGES[400], detail)
    else:
        codes = exc.get_codes()
        body = error_body(
            response.status_code,
            codes if isinstance(codes, str) else "error",
            str(exc.detail),
        )
    response.data = body
    return response


def error_response(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, message), status=status_code)


def bad_request(request, exception=None):
    limit = size_limit_exceeded(exception)
    if limit is not None:
        return error_response(413, "too_large", limit)
    return error_response(400, "bad_request", "The request could not be understood.")


def not_found(request, exception=None):
    return error_response(
        404,
        "not_found",
        f"Nothing is at this address; the API's index is {reverse('api:api-root')}.",
    )


def server_error(request, *args, **kwargs):
    if faults.database_unavailable(sys.exc_info()[1]):
        response = error_response(
            503,
            "unavailable",
            "The catalogue's database cannot be reached just now; retry after "
            f"{faults.RETRY_AFTER_SECONDS} seconds.",
        )
        response["Retry-After"] = str(faults.RETRY_AFTER_SECONDS)
        return response
    return error_response(500, "server_error", "The server failed; the error has been logged.")
