"""The readers' pages' Jinja2 environment writes what Django's templates wrote, and each engine
finds only its own templates."""

import datetime
import decimal
from types import SimpleNamespace

import pytest
from django.template import TemplateDoesNotExist, engines
from django.test import override_settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from catalogue.partial_dates import DatePrecision, PartialDate

VALUES = [
    'Women\'s "science" <diplomacy> & co',
    mark_safe("<em>already safe</em>"),
    gettext_lazy("initiatives"),
    DatePrecision.MONTH,
    PartialDate(datetime.date(2024, 5, 1), DatePrecision.MONTH),
    0,
    -12,
    123456,
    True,
    None,
    1.5,
    decimal.Decimal("1E+2"),
    datetime.date(2024, 5, 17),
    datetime.datetime(2024, 5, 17, 23, 30, tzinfo=datetime.UTC),
]


def render(engine: str, source: str, **context) -> str:
    return engines[engine].from_string(source).render(context)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_is_written_as_django_writes_it(value):
    assert render("jinja2", "{{ value }}", value=value) == render(
        "django", "{{ value }}", value=value
    )


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_counts_follow_the_thousand_separator_setting():
    assert render("jinja2", "{{ value }}", value=123456) == render(
        "django", "{{ value }}", value=123456
    )


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_times_are_written_in_the_current_time_zone():
    moment = datetime.datetime(2024, 5, 17, 23, 30, tzinfo=datetime.UTC)
    source = {"django": '{{ moment|date:"c" }}', "jinja2": '{{ moment|date("c") }}'}
    assert render("jinja2", source["jinja2"], moment=moment) == render(
        "django", source["django"], moment=moment
    )


def test_regroup_keeps_the_order_of_its_runs():
    links = [SimpleNamespace(role=role) for role in ("lead", "lead", "member", "lead")]
    groups = render(
        "jinja2",
        "{% for group in links|regroup('role') %}{{ group.grouper }}{{ group.list|length }} "
        "{% endfor %}",
        links=links,
    )
    assert groups == "lead2 member1 lead1 "


def test_each_engine_finds_only_its_own_templates():
    engines["jinja2"].get_template("catalogue/record_list.html")
    engines["django"].get_template("admin/catalogue/dashboard.html")
    with pytest.raises(TemplateDoesNotExist):
        engines["django"].get_template("catalogue/record_list.html")
    with pytest.raises(TemplateDoesNotExist):
        engines["jinja2"].get_template("admin/catalogue/dashboard.html")
