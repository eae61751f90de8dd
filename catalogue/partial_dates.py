"""Dates known to a day, a month or only a year.

Sources often say only "July 2022" or "2019". Such a date is stored as the first day of the
period it names plus its precision, and is shown as exactly what is known, never as an invented
day. `PartialDateField` is the model field, `PartialDate` the value, and
`catalogue.forms.PartialDateFormField` the year / month / day entry that curators use.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.dates import MONTHS

from catalogue.constraints import FieldCheckConstraint


class DatePrecision(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"
    YEAR = "year", "year"


@dataclass(frozen=True)
class PartialDate:
    date: datetime.date
    precision: DatePrecision

    def __post_init__(self) -> None:
        if self.precision != DatePrecision.DAY and self.date.day != 1:
            raise ValueError("A date known to a month or a year is stored as its first day.")
        if self.precision == DatePrecision.YEAR and self.date.month != 1:
            raise ValueError("A date known to a year is stored as 1 January.")

    def __str__(self) -> str:
        if self.precision == DatePrecision.YEAR:
            return str(self.date.year)
        if self.precision == DatePrecision.MONTH:
            return f"{MONTHS[self.date.month]} {self.date.year}"
        return f"{self.date.day} {MONTHS[self.date.month]} {self.date.year}"

    @property
    def iso(self) -> str:
        """ISO 8601 at the known precision: "2019", "2022-07" or "2006-11-21"."""
        length = {DatePrecision.YEAR: 4, DatePrecision.MONTH: 7, DatePrecision.DAY: 10}
        return self.date.isoformat()[: length[self.precision]]

    @classmethod
    def of(cls, instance: models.Model, field_name: str) -> "PartialDate | None":
        value = getattr(instance, field_name)
        precision = getattr(instance, f"{field_name}_precision")
        if value is None or not precision:
            return None
        return cls(value, DatePrecision(precision))


class PartialDateProperty:
    """Reads a `PartialDateField` and its precision as one `PartialDate` (or None)."""

    def __init__(self, field_name: str):
        self.field_name = field_name

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return PartialDate.of(instance, self.field_name)


class PartialDateField(models.DateField):
    """A date whose precision is kept in the sibling field `<name>_precision`.

    Forms edit the pair as one value (a `PartialDate`), so a curator enters "July 2022" as a year
    and a month and can never give a day the source does not.
    """

    description = "Date known to a day, a month or a year"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    @property
    def precision_attname(self) -> str:
        return f"{self.attname}_precision"

    def formfield(self, **kwargs):
        from catalogue.forms import PartialDateFormField, PartialDateWidget

        # The year / month / day widget is the point of this field, so it replaces any date
        # widget a caller (such as admin) offers.
        kwargs.update(form_class=PartialDateFormField, widget=PartialDateWidget)
        return super().formfield(**kwargs)

    def value_from_object(self, obj: models.Model) -> PartialDate | None:
        return PartialDate.of(obj, self.attname)

    def value_to_string(self, obj: models.Model) -> str:
        value = getattr(obj, self.attname)
        return "" if value is None else value.isoformat()

    def save_form_data(self, instance: models.Model, data: PartialDate | None) -> None:
        setattr(instance, self.attname, data.date if data else None)
        setattr(instance, self.precision_attname, data.precision if data else "")

    def validate(self, value: datetime.date | None, model_instance: models.Model) -> None:
        super().validate(value, model_instance)
        precision = getattr(model_instance, self.precision_attname)
        if value is None:
            return
        if not precision:
            raise ValidationError("Say whether this date is known to the day, month or year.")
        try:
            PartialDate(value, DatePrecision(precision))
        except ValueError as error:
            raise ValidationError(str(error)) from None


def precision_field() -> models.CharField:
    """The precision of the `PartialDateField` whose name this field's name starts with."""
    return models.CharField(max_length=5, choices=DatePrecision.choices, blank=True, editable=False)


def partial_date_constraints(*field_names: str) -> list[FieldCheckConstraint]:
    """A date has a precision exactly when it has a value."""
    return [
        FieldCheckConstraint(
            field=name,
            condition=Q(**{f"{name}__isnull": True, f"{name}_precision": ""})
            | (Q(**{f"{name}__isnull": False}) & ~Q(**{f"{name}_precision": ""})),
            name=f"%(app_label)s_%(class)s_{name}_precision",
            violation_error_message="Give a precision only with a date, and a date only with "
            "its precision.",
        )
        for name in field_names
    ]
