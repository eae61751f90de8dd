"""The catalogue's revision, and what is derived from the catalogue under it.

The revision is a token that every write to the catalogue replaces. Two things are derived from
the catalogue as it stands under a token: each process's list index (catalogue/index.py), built
again once the token has moved, and the whole answers given to anonymous readers, remembered in
the cache keyed by their address and the token — the site's pages (`RememberedPageMixin`) and the
API's reads (api/http.py). Remembering is a bonus for readers who ask what was asked before:
every answer is computed afresh fast enough without it (docs/performance.md), and `CACHE=off`
turns it off.

The first write to a model of the catalogue in a transaction draws a new token in that
transaction (signals, see `connect_signals`), so nothing derived before it is used once it
commits, whichever worker process derived it; writes that send no signals (the generator's bulk
inserts) call `advance()` themselves. The transaction's later writes are only counted, in the
process that makes them (`PendingWrites`): until it ends, that process reads the token with the
count beside it, so that what it derives between two of its own writes is not used after the
second, and one row is updated per transaction however many rows it writes (an import of a
thousand rows once, not a thousand times). A request reads the token once
(`RevisionMiddleware`); code outside a request reads it at each use.
"""

import uuid
from contextvars import ContextVar
from functools import cache
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache as answers
from django.db import DEFAULT_DB_ALIAS, connections, transaction
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
    """The catalogue's revision token ("" before the first write), and the number of writes
    the current transaction has made since it drew it, if any."""
    memo = _request_token.get()
    if memo is not None and "token" in memo:
        token = memo["token"]
    else:
        found = token_query(DEFAULT_DB_ALIAS).rows([1])
        token = found[0][0] if found else ""
        if memo is not None:
            memo["token"] = token
    pending = pending_writes(DEFAULT_DB_ALIAS)
    return token if pending is None else f"{token}+{pending.count}"


def request_memo() -> dict | None:
    """What the current request keeps while it runs, so that it reads a thing once (None
    outside a request): the token, and what code keys in it (a search as read)."""
    return _request_token.get()


@cache
def token_query(using: str) -> CompiledQuery:
    return CompiledQuery(
        lambda ids: Revision.objects.filter(pk__in=ids).values_list("token"), using
    )


class PendingWrites:
    """The writes to the catalogue of a transaction that has drawn its token: registered to run
    when the transaction commits (when it has nothing left to do), so that Django forgets it
    with the token's update if the transaction, or the savepoint it was made in, rolls back."""

    def __init__(self):
        self.count = 0

    def __call__(self) -> None:
        pass


def pending_writes(using: str) -> PendingWrites | None:
    """The current transaction's writes to the catalogue since it drew its token, if it has."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return None
    # Registered at the transaction's first write, so found among the first callbacks.
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, PendingWrites):
            return callback
    return None


def written() -> None:
    """A write to the catalogue: the transaction's first draws a new token (in the database
    the token is kept in, as `advance` does), the others are counted."""
    pending = pending_writes(DEFAULT_DB_ALIAS)
    if pending is None:
        advance()
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            transaction.on_commit(PendingWrites(), using=DEFAULT_DB_ALIAS)
    else:
        pending.count += 1


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
        written()


def connect_signals() -> None:
    """Every save, deletion and change of a many-to-many relation in the catalogue (reference
    data too: facets show its names) is a write that moves the revision."""
    for name, signal in (("save", post_save), ("delete", post_delete), ("m2m", m2m_changed)):
        signal.connect(catalogue_written, dispatch_uid=f"revision-{name}")
