"""HTTP manners for the API: validators for conditional requests, caching rules, and the
preconditions that keep a write from undoing another.

A successful read (GET or HEAD) carries:

- `ETag`: a hash of the body as sent. It is exact whatever the body depends on (the record, the
  records and vocabularies it shows in brief, the query string, the format, the host in its
  links, whether the reader may see drafts) and costs no query: the body is rendered anyway, and
  hashing it is cheap beside that. A 304 therefore saves the transfer, not the server's work. A
  validator computed before the work, such as the latest `updated_at` and the count of a list's
  results, would cost queries of its own and still miss what changes no `updated_at`: a related
  record renamed or unpublished, a theme edited, a record deleted. A record's ETag starts with
  how many times it was saved (`"7-…"`), which is what `If-Match` compares.
- `Last-Modified`, on a record only: when it was last saved (its `updated_at`, already loaded).
  It does not move when only something the record shows in brief changes; `If-None-Match`, which
  takes precedence over `If-Modified-Since` (RFC 9110 §13.2.2, as Django's
  `get_conditional_response` applies it), is exact. A list has no such date: the latest
  `updated_at` of a page misses the records that left it.
- `Cache-Control`: anonymous reads are the same for everyone, so any cache may keep them for a
  short while (`public, max-age=API_CACHE_SECONDS`). An authenticated reader may see drafts, so
  theirs stay out of shared caches and are revalidated on every use (`private, no-cache`), which
  the ETag makes cheap. `Vary` names the request headers that select the representation.

Anything else (an error, a write) is `no-store`; a write's answer carries the record's new ETag.

A write to a record (PUT, PATCH, DELETE) locks its row until the request ends, so that writes to
one record follow each other and each changes the record as the one before left it, and the
workflow judges the state it is in. With `If-Match` (the ETag of the client's last read or
write) the write is made only if nobody saved the record since, else it is refused with 412; a
change to a record shown in brief does not count. `API_REQUIRE_IF_MATCH` refuses writes without
it (428), for teams whose scripts must never write over a change they have not seen.

An anonymous read is also remembered by the server until the catalogue changes
(`RememberedReadsMixin`, catalogue/revision.py), after authentication, throttling and content
negotiation, so the rate limit still counts every request.
"""

import datetime
import hashlib
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_etags, quote_etag
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from catalogue import revision

READS = ("GET", "HEAD")


class SavedState(NamedTuple):
    """What a record's validators come from: when it was last saved, and how many saves (None
    for reference data, which is not written through the API)."""

    updated_at: datetime.datetime
    lock_version: int | None


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = (
        "The record was saved since the read whose ETag If-Match sends: read it again and make "
        "the change on what it is now."
    )


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = (
        "Writes to a record need If-Match here: send the ETag of your last read of the record."
    )


def body_etag(response, saved: SavedState | None) -> str:
    """The ETag of `response`'s body; a record's starts with its count of saves."""
    digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
    if saved is None or saved.lock_version is None:
        return quote_etag(digest)
    return quote_etag(f"{saved.lock_version}-{digest}")


def etag_saves(etag: str) -> int | None:
    """The count of saves a strong ETag of a record names, or None."""
    if etag.startswith("W/"):
        return None
    saves, _, _digest = etag.strip('"').partition("-")
    return int(saves) if saves.isdigit() else None


def check_preconditions(request, lock_version: int) -> None:
    """Raises unless `If-Match` names the record's present count of saves (or `*`), or is absent
    where it is not required."""
    header = request.headers.get("If-Match")
    if header is None:
        if settings.API_REQUIRE_IF_MATCH:
            raise PreconditionRequired()
        return
    etags = parse_etags(header)
    if "*" not in etags and lock_version not in map(etag_saves, etags):
        raise PreconditionFailed()


class PreconditionsMixin:
    """For a viewset of records whose queryset locks the rows a write reads: a write honours
    `If-Match`, and its answer carries the ETag of the record as written (see the module)."""

    def get_object(self):
        record = super().get_object()
        if self.request.method not in READS:
            check_preconditions(self.request, record.lock_version)
        return record

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self.written = serializer.instance

    def perform_update(self, serializer):
        super().perform_update(serializer)
        self.written = serializer.instance

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        written = getattr(self, "written", None)
        if written is not None and response.status_code in (200, 201):
            response.render()
            saved = SavedState(written.updated_at, written.lock_version)
            response.headers["ETag"] = body_etag(response, saved)
        return response


class RememberedReadsMixin:
    """For a viewset: its list and retrieve answers to anonymous readers, remembered under the
    catalogue's revision, as rendered (with when the record changed, for `Last-Modified`).
    Streamed answers (CSV) and errors are not remembered."""

    def list(self, request, *args, **kwargs):
        return self.remembered(super().list, request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self.remembered(super().retrieve, request, *args, **kwargs)

    def remembered(self, answer, request, *args, **kwargs):
        if not settings.REMEMBER_ANSWERS or request.user.is_authenticated:
            return answer(request, *args, **kwargs)
        key = revision.cache_key("api", request.build_absolute_uri(), request.accepted_media_type)
        found = cache.get(key)
        if found is not None:
            content, content_type, self.saved = found
            return HttpResponse(content, content_type=content_type)
        response = answer(request, *args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200:
            # Rendered here as `finalize_response` would render it, which then leaves it be.
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            cache.set(key, (response.content, response["Content-Type"], self.saved))
        return response


class ConditionalGetMixin:
    """For a viewset: validators, 304s and caching rules on its reads (see the module)."""

    # The record a read shows, once it is known: None for a list.
    saved: SavedState | None = None

    def get_object(self):
        record = super().get_object()
        if hasattr(record, "updated_at"):
            self.saved = SavedState(record.updated_at, getattr(record, "lock_version", None))
        return record

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in READS or response.status_code != 200:
            patch_cache_control(response, no_store=True)
            return response
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_cache=True)
        else:
            patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        if response.streaming:
            return response
        if hasattr(response, "render"):
            response.render()  # DRF renders when Django asks; the ETag needs the body now.
        response.headers["ETag"] = body_etag(response, self.saved)
        last_modified = None
        if self.saved is not None:
            last_modified = int(self.saved.updated_at.timestamp())
            response.headers["Last-Modified"] = http_date(last_modified)
        return get_conditional_response(
            request, etag=response.headers["ETag"], last_modified=last_modified, response=response
        )
