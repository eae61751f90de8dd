"""The Atom feed of recent public changes across the catalogue (`catalogue.changes`)."""

import datetime
from typing import NamedTuple

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse, reverse_lazy
from django.utils.dateformat import format as format_date
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import capfirst
from django.utils.timezone import localtime

from catalogue.changes import PublicChange, recent_changes
from catalogue.models.text import printable


class FeedEntry(NamedTuple):
    change: PublicChange
    # Absolute, and the same whatever the record's slug becomes: the feed's address and the
    # version's number.
    id: str


class RecentChangesFeed(Feed):
    """One entry per public change, newest first, linking to the record's page; changes to
    records readers can no longer open (deleted, withdrawn) are left out."""

    feed_type = Atom1Feed
    title = "Sciplo: recent changes"
    subtitle = (
        "Records of the science-diplomacy catalogue created, updated, verified, published or "
        "archived."
    )
    link = reverse_lazy("catalogue:home")
    author_name = "Sciplo"
    item_guid_is_permalink = False

    def get_object(self, request: HttpRequest) -> HttpRequest:
        # The request itself, which the entries' absolute ids need.
        return request

    def items(self, request: HttpRequest) -> list[FeedEntry]:
        address = request.build_absolute_uri(reverse("catalogue:changes-feed"))
        return [
            FeedEntry(change, f"{address}#version-{change.version_id}")
            for change in recent_changes()
        ]

    def item_title(self, entry: FeedEntry) -> str:
        return printable(f"{entry.change.name} {entry.change.summary}")

    def item_description(self, entry: FeedEntry) -> str:
        change = entry.change
        record_type = capfirst(change.record._meta.verbose_name)
        when = format_date(localtime(change.when), "j F Y")
        fields = f": {', '.join(change.summary.fields)}" if change.summary.fields else ""
        return printable(f"{record_type} {change.summary.event} {when}{fields}.")

    def item_link(self, entry: FeedEntry) -> str:
        return entry.change.record.get_absolute_url()

    def item_guid(self, entry: FeedEntry) -> str:
        return entry.id

    def item_pubdate(self, entry: FeedEntry) -> datetime.datetime:
        return entry.change.when

    def item_updateddate(self, entry: FeedEntry) -> datetime.datetime:
        return entry.change.when
