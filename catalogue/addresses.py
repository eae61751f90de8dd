"""Addresses of records, built without walking the URLconf for each one.

A page of 50 initiatives names hundreds of related records, each with its page's address and, in
the API, its API address; `reverse()` resolves the URL patterns anew for every one of them. Two
records' addresses differ only by their key (slug, code or number), so each URL name is reversed
once, with a marker where the key goes, and an address is that template with the key put in.
"""

import re
from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, get_urlconf, reverse

# A valid slug, number-free: every detail route accepts it as a key.
MARKER = "key-marker"
# What `reverse()` leaves unquoted in an argument (django.urls.resolvers).
SAFE = "!$&'()*+,;=/~:@"
# What `quote()` leaves as it is: a slug, a code or a number needs no quoting.
UNQUOTED = re.compile(r"[-\w.~]+\Z", re.ASCII)


@lru_cache(maxsize=128)
def template(view_name: str, urlconf: str | None, script_prefix: str) -> tuple[str, str]:
    """The address of `view_name` before and after its key. The URLconf and script prefix
    are part of the cache key because `reverse()`'s result depends on them."""
    before, _marker, after = reverse(view_name, args=[MARKER], urlconf=urlconf).partition(MARKER)
    return before, after


@lru_cache(maxsize=128)
def fixed_path(view_name: str, urlconf: str | None, script_prefix: str) -> str:
    return reverse(view_name, urlconf=urlconf)


def path_of(view_name: str) -> str:
    """`reverse(view_name)` for a view taking no key: the same on every request."""
    return fixed_path(view_name, get_urlconf(), get_script_prefix())


def path_to(view_name: str, key) -> str:
    """`reverse(view_name, args=[key])` for a view taking one key."""
    before, after = template(view_name, get_urlconf(), get_script_prefix())
    return before + quoted(key) + after


def quoted(key) -> str:
    text = str(key)
    return text if UNQUOTED.match(text) else quote(text, safe=SAFE)


class Addresses:
    """Addresses of many records for one request, starting with `origin` (its scheme and host,
    or "" for paths): each URL name's template is looked up once."""

    def __init__(self, origin: str = ""):
        self.origin = origin
        self.urlconf, self.script_prefix = get_urlconf(), get_script_prefix()
        self.templates: dict[str, tuple[str, str]] = {}

    def of(self, view_name: str, key) -> str:
        found = self.templates.get(view_name)
        if found is None:
            found = self.templates[view_name] = template(
                view_name, self.urlconf, self.script_prefix
            )
        return self.origin + found[0] + quoted(key) + found[1]
