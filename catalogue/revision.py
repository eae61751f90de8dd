"""The catalogue's revision, and what is derived from the catalogue under it.

The revision is a token that every write to the catalogue replaces. Two things are derived from
the catalogue as it stands under a token: each process's list index (catalogue/index.py), built
again once the token has moved, and the whole answers given to anonymous readers, remembered in
the cache keyed by their address and the token — the site's pages (`RememberedPageMixin`) and the
API's reads (api/http.py). Remembering is a bonus for readers who ask what was asked before:
every answer is computed afresh fast enough without it (docs/performance.md), and `CACHE=off`
turns it off.

Every write to a model of the catalogue draws a new token in its own transaction (signals, see
`connect_signals`), so nothing derived before a write is used once it commits, whichever worker
process derived it; writes that send no signals (the generator's bulk inserts) call `advance()`
themselves. A request reads the token once (`RevisionMiddleware`); code outside a request reads
it at each use.
"""

import uuid
from contextvars import ContextVar
from functools import cache
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache as answers
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from catalogue.compiled import CompiledQuery
from catalogue.models import ImportJob, LinkCheck, Revision, Version

# Models no reader's answer depends on alone: versions are written with the records they
# describe, which advance the revision; link checks show in admin only.
UNCOUNTED = (Version, LinkCheck, ImportJob)

# What the current request keeps while it runs: the token once it has read it (`request_memo`).
_request_token: ContextVar[dict | None] = ContextVar("request_token", default=None)


def current() -> str:
    """The catalogue's revision token ("" before the first write)."""
    memo = _request_token.get()
    if memo is not None and "token" in memo:
        return memo["token"]
    found = token_query(DEFAULT_DB_ALIAS).rows([1])
    token = found[0][0] if found else ""
    if memo is not None:
        memo["token"] = token
    return token


def request_memo() -> dict | None:
    """What the current request keeps while it runs, so that it reads a thing once (None
    outside a request): the token, and what code keys in it (a search as read)."""
    return _request_token.get()


@cache
def token_query(using: str) -> CompiledQuery:
    return CompiledQuery(
        lambda ids: Revision.objects.filter(pk__in=ids).values_list("token"), using
    )


def advance() -> None:
    """Draws a new token: everything remembered so far is retired."""
    token = uuid.uuid4().hex
    if not Revision.objects.filter(pk=1).update(token=token):
        Revision.objects.create(pk=1, token=token)
    memo = _request_token.get()
    if memo is not None:
        memo["token"] = token


def cache_key(*parts) -> str:
    """A cache key for what `parts` (plain values) determine in the catalogue as it is now. The
    day is part of it: what is shown of a course (open for application, upcoming) hangs on it."""
    digest = sha256(repr((timezone.localdate(), *parts)).encode()).hexdigest()
    return f"catalogue:{current()}:{digest}"


class RememberedPageMixin:
    """For a view: what it answers an anonymous reader is remembered, and answered from the
    cache until the catalogue changes. Only a whole, successful answer is: not an error, not a
    streamed export, not what a signed-in curator sees (drafts, previews)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if (
            not settings.REMEMBER_ANSWERS
            or request.method not in ("GET", "HEAD")
            or request.user.is_authenticated
        ):
            return super().dispatch(request, *args, **kwargs)
        key = cache_key("page", request.build_absolute_uri())
        found = answers.get(key)
        if found is not None:
            content, content_type = found
            return HttpResponse(content, content_type=content_type)
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            if hasattr(response, "render"):
                response.render()
            answers.set(key, (response.content, response["Content-Type"]))
        return response


class RevisionMiddleware:
    """Lets each request read the revision token once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        reading = _request_token.set({})
        try:
            return self.get_response(request)
        finally:
            _request_token.reset(reading)


def catalogue_written(sender, **kwargs) -> None:
    if sender._meta.app_label != "catalogue" or issubclass(sender, UNCOUNTED):
        return
    if kwargs.get("action", "post_").startswith("post_"):
        advance()


def connect_signals() -> None:
    """Every save, deletion and change of a many-to-many relation in the catalogue (reference
    data too: facets show its names) advances the revision."""
    for name, signal in (("save", post_save), ("delete", post_delete), ("m2m", m2m_changed)):
        signal.connect(catalogue_written, dispatch_uid=f"revision-{name}")
