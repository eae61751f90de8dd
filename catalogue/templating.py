"""The Jinja2 environment that renders the readers' pages (settings.TEMPLATES).

The Django template language cost most of a list page's time, Jinja2 a fraction of it
(docs/performance.md); admin and the form widgets stay with Django's templates. The templates
get what they used of Django's tags and filters under the same names, as Django's own functions,
and a value is written as the Django template language writes it (localised, escaped by
`django.utils.html`, which escapes quotes differently from Jinja2's MarkupSafe), so that pages
read the same whichever engine renders them.

The module is not named jinja2.py: that is the name of the folder holding the templates,
catalogue/jinja2/.
"""

import datetime
from itertools import groupby
from operator import attrgetter
from types import SimpleNamespace

from django.conf import settings
from django.template import defaultfilters
from django.template.base import render_value_in_context
from django.template.defaulttags import GroupedResult
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import escape
from jinja2 import Environment

from catalogue.addresses import path_of, path_to
from catalogue.search import highlighted

# What `render_value_in_context` reads of a Django template context: settings' time zone and
# localisation, and autoescaping on.
DJANGO_OUTPUT = SimpleNamespace(autoescape=True, use_l10n=None, use_tz=None)


def environment(**options) -> Environment:
    """The environment, given the options the Jinja2 backend derives from settings."""
    # Django's templates keep a template's last newline, which Jinja2 drops by default.
    env = Environment(**options, finalize=write_value, keep_trailing_newline=True)
    env.globals.update(url=url, static=static, now=now)
    env.filters.update(
        capfirst=defaultfilters.capfirst,
        date=date,
        floatformat=defaultfilters.floatformat,
        highlight=highlighted,
        join=defaultfilters.join,
        json_script=defaultfilters.json_script,
        linebreaks=defaultfilters.linebreaks_filter,
        pluralize=defaultfilters.pluralize,
        regroup=regroup,
        slugify=defaultfilters.slugify,
        truncatewords=defaultfilters.truncatewords,
        urlencode=defaultfilters.urlencode,
        verbose_name_of=verbose_name_of,
    )
    return env


def write_value(value):
    """What `{{ value }}` writes, as the Django template language writes it; Jinja2 leaves a
    value marked safe as it is.

    A list page writes thousands of values, most of them text or counts, and the whole way took a
    third of its rendering: those two take a shortcut to the same result (localising an integer
    without thousand separators gives its digits)."""
    kind = type(value)
    if kind is str:
        return escape(value)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return render_value_in_context(value, DJANGO_OUTPUT)


def url(view_name: str, key=None) -> str:
    """`{% url %}` for a route taking no key or one. A page names the same routes on every
    request (a dozen in its header and footer alone): each is reversed once
    (catalogue.addresses)."""
    return path_of(view_name) if key is None else path_to(view_name, key)


def now(format_string: str) -> str:
    """`{% now %}`."""
    tzinfo = timezone.get_current_timezone() if settings.USE_TZ else None
    return defaultfilters.date(datetime.datetime.now(tz=tzinfo), format_string)


def date(value, format_string: str | None = None) -> str:
    """The `date` filter, which in Django's templates gets times in the current time zone."""
    return defaultfilters.date(timezone.template_localtime(value), format_string)


def regroup(items, attribute: str) -> list[GroupedResult]:
    """`{% regroup %}`: runs of consecutive items with the same `attribute`, in their order
    (Jinja2's `groupby` sorts them first)."""
    return [
        GroupedResult(grouper=key, list=list(group))
        for key, group in groupby(items, attrgetter(attribute))
    ]


def verbose_name_of(record) -> str:
    """The kind of record this is: "initiative", "actor" …"""
    return record._meta.verbose_name
