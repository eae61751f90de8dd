"""Form fields shared by admin and the site."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS

from catalogue.models.base import FIRST_PLAUSIBLE_YEAR, LAST_PLAUSIBLE_YEAR
from catalogue.partial_dates import DatePrecision, PartialDate


class PartialDateWidget(forms.MultiWidget):
    template_name = "catalogue/widgets/partial_date.html"

    def __init__(self, attrs=None):
        widgets = {
            "year": forms.NumberInput(
                attrs={
                    "min": FIRST_PLAUSIBLE_YEAR,
                    "max": LAST_PLAUSIBLE_YEAR,
                    "size": 4,
                    "placeholder": "year",
                    "aria-label": "year",
                }
            ),
            "month": forms.Select(
                choices=[("", "month unknown"), *MONTHS.items()], attrs={"aria-label": "month"}
            ),
            "day": forms.NumberInput(
                attrs={"min": 1, "max": 31, "size": 2, "placeholder": "day", "aria-label": "day"}
            ),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: PartialDate | None) -> list:
        if value is None:
            return [None, None, None]
        known_month = value.precision != DatePrecision.YEAR
        known_day = value.precision == DatePrecision.DAY
        return [
            value.date.year,
            value.date.month if known_month else None,
            value.date.day if known_day else None,
        ]


class PartialDateFormField(forms.MultiValueField):
    """A year, and the month and day only if the source gives them."""

    widget = PartialDateWidget
    default_error_messages = {
        "needs_year": "Enter the year; the month and day are optional.",
        "needs_month": "A day needs its month.",
        "invalid_date": "%(day)s %(month)s %(year)s is not a date.",
    }

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        fields = (
            forms.IntegerField(
                min_value=FIRST_PLAUSIBLE_YEAR, max_value=LAST_PLAUSIBLE_YEAR, required=False
            ),
            forms.TypedChoiceField(
                choices=[("", ""), *MONTHS.items()], coerce=int, empty_value=None, required=False
            ),
            forms.IntegerField(min_value=1, max_value=31, required=False),
        )
        super().__init__(fields, require_all_fields=False, **kwargs)
        help_text = "Only what the source says: a year, a month and year, or a full date."
        self.help_text = f"{self.help_text} {help_text}".strip() if self.help_text else help_text

    def compress(self, data_list: list) -> PartialDate | None:
        if not data_list:
            return None
        year, month, day = data_list
        if year is None:
            if month or day:
                raise ValidationError(self.error_messages["needs_year"], code="needs_year")
            return None
        if day is not None and month is None:
            raise ValidationError(self.error_messages["needs_month"], code="needs_month")
        try:
            date = datetime.date(year, month or 1, day or 1)
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid_date"],
                code="invalid_date",
                params={"day": day, "month": MONTHS[month], "year": year},
            ) from None
        if day is not None:
            return PartialDate(date, DatePrecision.DAY)
        if month is not None:
            return PartialDate(date, DatePrecision.MONTH)
        return PartialDate(date, DatePrecision.YEAR)
