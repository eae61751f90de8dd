"""HTTP manners for the API's reads: validators for conditional requests, and caching rules.

A successful read (GET or HEAD) carries:

- `ETag`: a hash of the body as sent. It is exact whatever the body depends on (the record, the
  records and vocabularies it shows in brief, the query string, the format, the host in its
  links, whether the reader may see drafts) and costs no query: the body is rendered anyway, and
  hashing it is cheap beside that. A 304 therefore saves the transfer, not the server's work. A
  validator computed before the work, such as the latest `updated_at` and the count of a list's
  results, would cost queries of its own and still miss what changes no `updated_at`: a related
  record renamed or unpublished, a theme edited, a record deleted.
- `Last-Modified`, on a record only: when it was last saved (its `updated_at`, already loaded).
  It does not move when only something the record shows in brief changes; `If-None-Match`, which
  takes precedence over `If-Modified-Since` (RFC 9110 §13.2.2, as Django's
  `get_conditional_response` applies it), is exact. A list has no such date: the latest
  `updated_at` of a page misses the records that left it.
- `Cache-Control`: anonymous reads are the same for everyone, so any cache may keep them for a
  short while (`public, max-age=API_CACHE_SECONDS`). An authenticated reader may see drafts, so
  theirs stay out of shared caches and are revalidated on every use (`private, no-cache`), which
  the ETag makes cheap. `Vary` names the request headers that select the representation.

Anything else (an error, a write) is `no-store`.

An anonymous read is also remembered by the server until the catalogue changes
(`RememberedReadsMixin`, catalogue/revision.py), after authentication, throttling and content
negotiation, so the rate limit still counts every request.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)
from django.utils.http import http_date
from rest_framework.response import Response

from catalogue import revision

READS = ("GET", "HEAD")


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
            content, content_type, self.changed_at = found
            return HttpResponse(content, content_type=content_type)
        response = answer(request, *args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200:
            # Rendered here as `finalize_response` would render it, which then leaves it be.
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            cache.set(key, (response.content, response["Content-Type"], self.changed_at))
        return response


class ConditionalGetMixin:
    """For a viewset: validators, 304s and caching rules on its reads (see the module)."""

    changed_at = None

    def get_object(self):
        record = super().get_object()
        self.changed_at = getattr(record, "updated_at", None)
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
        set_response_etag(response)
        last_modified = None
        if self.changed_at is not None:
            last_modified = int(self.changed_at.timestamp())
            response.headers["Last-Modified"] = http_date(last_modified)
        return get_conditional_response(
            request, etag=response.headers["ETag"], last_modified=last_modified, response=response
        )
