"""Dates with a precision show exactly what is known and are entered as year / month / day."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from catalogue.forms import PartialDateFormField
from catalogue.partial_dates import DatePrecision, PartialDate


@pytest.mark.parametrize(
    ("date", "precision", "shown", "iso"),
    [
        (datetime.date(2019, 1, 1), DatePrecision.YEAR, "2019", "2019"),
        (datetime.date(2022, 7, 1), DatePrecision.MONTH, "July 2022", "2022-07"),
        (datetime.date(2006, 11, 21), DatePrecision.DAY, "21 November 2006", "2006-11-21"),
    ],
)
def test_a_date_shows_exactly_what_is_known(date, precision, shown, iso):
    value = PartialDate(date, precision)
    assert str(value) == shown
    assert value.iso == iso


def test_a_partial_date_refuses_an_invented_day():
    with pytest.raises(ValueError, match="first day"):
        PartialDate(datetime.date(2022, 7, 15), DatePrecision.MONTH)


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        (["2019", "", ""], PartialDate(datetime.date(2019, 1, 1), DatePrecision.YEAR)),
        (["2022", "7", ""], PartialDate(datetime.date(2022, 7, 1), DatePrecision.MONTH)),
        (["2006", "11", "21"], PartialDate(datetime.date(2006, 11, 21), DatePrecision.DAY)),
        (["", "", ""], None),
    ],
)
def test_entry_takes_only_what_the_curator_gives(entered, expected):
    assert PartialDateFormField(required=False).clean(entered) == expected


@pytest.mark.parametrize(
    ("entered", "message"),
    [
        (["", "7", ""], "Enter the year"),
        (["2022", "", "15"], "A day needs its month"),
        (["2023", "2", "30"], "30 February 2023 is not a date"),
        (["1850", "", ""], "greater than or equal to 1900"),
        (["2022", "13", ""], "Select a valid choice"),
    ],
)
def test_entry_refuses_impossible_dates(entered, message):
    with pytest.raises(ValidationError) as raised:
        PartialDateFormField(required=False).clean(entered)
    assert any(message in text for text in raised.value.messages), raised.value.messages
