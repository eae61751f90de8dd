"""Template filters for the readers' site."""

from django import template

register = template.Library()


@register.filter
def verbose_name_of(record) -> str:
    """The kind of record this is: "initiative", "actor" …"""
    return record._meta.verbose_name
