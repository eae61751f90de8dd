"""Checking the catalogue's links: every record's website and every source's URL.

`check_links()` collects the URLs (each once), asks each server with bounded concurrency and a
timeout per request, and keeps one `LinkCheck` per URL: the final status after redirects or why
no answer came, and whether the link is broken. Curators read the result in admin (the link
checks' list, the "needs attention" filters, the dashboard); `manage.py check_links` runs it,
and so does the task worker when a curator asks for it on the link checks' list
(`catalogue.tasks.check_every_link`).
"""

import datetime
import http.client
import socket
import ssl
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from django.db import models, transaction
from django.utils import timezone
from django.utils.encoding import iri_to_uri

from catalogue.history import RECORD_MODELS
from catalogue.models import LinkCheck, Source

USER_AGENT = (
    "Sciplo-LinkChecker/1.0 (checks the links cited by Sciplo, an open catalogue of science "
    "diplomacy)"
)
# Servers that do not answer HEAD, or refuse it (some with 403), are asked again with GET.
HEAD_REFUSED = frozenset({403, 405, 501})
ERROR_MAX_LENGTH = LinkCheck._meta.get_field("error").max_length
LINKED_MODELS: tuple[tuple[type[models.Model], str], ...] = (
    *((model, "website") for model in RECORD_MODELS),
    (Source, "url"),
)


@dataclass(frozen=True)
class Outcome:
    """What checking `url` found: the HTTP status of the last answer, or why none came."""

    url: str
    status_code: int | None
    error: str
    checked_at: datetime.datetime

    @property
    def is_broken(self) -> bool:
        return bool(self.error) or (self.status_code is not None and self.status_code >= 400)

    @property
    def problem(self) -> str:
        return problem(self.status_code, self.error)


def problem(status_code: int | None, error: str) -> str:
    """What a link check found, in a few words: why no answer came, or the answer's status."""
    return error or f"HTTP {status_code}"


def linked_urls() -> list[str]:
    """Every URL a record's website or a source names, each once, sorted."""
    urls = set()
    for model, field in LINKED_MODELS:
        urls.update(model.objects.exclude(**{field: ""}).values_list(field, flat=True))
    return sorted(urls)


def users_of(urls: Iterable[str]) -> dict[str, list[models.Model]]:
    """The records and sources that link to each of `urls`, in one query per model."""
    urls = list(urls)
    users = defaultdict(list)
    for model, field in LINKED_MODELS:
        for user in model.objects.filter(**{f"{field}__in": urls}):
            users[getattr(user, field)].append(user)
    return dict(users)


class KeepMethodRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects keeping the request's method, so that a HEAD stays a HEAD."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        request = super().redirect_request(req, fp, code, msg, headers, newurl)
        if request is not None:
            request.method = req.get_method()
        return request


def link_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(KeepMethodRedirectHandler)


def check_url(url: str, *, timeout: float, opener: urllib.request.OpenerDirector) -> Outcome:
    """Asks for `url` with HEAD, or GET if the server refuses HEAD, following redirects."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Outcome(url, None, "not an HTTP or HTTPS address", timezone.now())
    try:
        status = request_status(url, "HEAD", timeout=timeout, opener=opener)
        if status in HEAD_REFUSED:
            status = request_status(url, "GET", timeout=timeout, opener=opener)
    except (OSError, ValueError, http.client.HTTPException) as error:
        return Outcome(url, None, describe(error)[:ERROR_MAX_LENGTH], timezone.now())
    if 300 <= status < 400:
        # urllib answers a redirect it cannot follow (a loop, no Location) with its status.
        return Outcome(url, status, "redirect not followed", timezone.now())
    return Outcome(url, status, "", timezone.now())


def request_status(
    url: str, method: str, *, timeout: float, opener: urllib.request.OpenerDirector
) -> int:
    """The status of the last answer to `method` `url`, after redirects; the body is not read."""
    request = urllib.request.Request(
        iri_to_uri(url), method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status
    except HTTPError as error:
        error.close()
        return error.code


def describe(error: BaseException) -> str:
    """Why no answer came, in a few words a curator understands."""
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "host not found"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"certificate not valid: {reason.verify_message}"
    if isinstance(reason, ssl.SSLError):
        return f"secure connection failed: {reason.reason or reason}"
    if isinstance(reason, ConnectionResetError):
        return "connection closed by the server"
    return str(reason) or type(reason).__name__


def check_urls(
    urls: Sequence[str],
    *,
    concurrency: int,
    timeout: float,
    progress: Callable[[int, int], object] | None = None,
) -> list[Outcome]:
    """Checks `urls`, at most `concurrency` at a time, each request given up after `timeout`
    seconds without an answer; the outcomes come in the order of `urls`. `progress` is told
    how many are done, of how many, as they are."""
    opener = link_opener()
    outcomes = []
    with ThreadPoolExecutor(max_workers=concurrency) as executor:
        checks = executor.map(lambda url: check_url(url, timeout=timeout, opener=opener), urls)
        for outcome in checks:
            outcomes.append(outcome)
            if progress:
                progress(len(outcomes), len(urls))
    return outcomes


@transaction.atomic
def keep_outcomes(outcomes: list[Outcome]) -> None:
    """Keeps one `LinkCheck` per checked URL and forgets the URLs no longer linked to."""
    LinkCheck.objects.bulk_create(
        [
            LinkCheck(
                url=outcome.url,
                status_code=outcome.status_code,
                error=outcome.error,
                is_broken=outcome.is_broken,
                checked_at=outcome.checked_at,
            )
            for outcome in outcomes
        ],
        update_conflicts=True,
        unique_fields=["url"],
        update_fields=["status_code", "error", "is_broken", "checked_at"],
    )
    LinkCheck.objects.exclude(url__in=[outcome.url for outcome in outcomes]).delete()


def check_links(
    *, concurrency: int, timeout: float, progress: Callable[[int, int], object] | None = None
) -> list[Outcome]:
    """Checks every URL of the catalogue and keeps the outcomes (see `check_urls`)."""
    outcomes = check_urls(
        linked_urls(), concurrency=concurrency, timeout=timeout, progress=progress
    )
    keep_outcomes(outcomes)
    return outcomes
