"""What the catalogue's text may hold: no control characters (C0 and DEL), which no reader sees,
XML (the Atom feed, XLSX) refuses and PostgreSQL refuses a NUL of. A text of several lines keeps
its tabs and line breaks; a name, a title or a locator is one line and has none."""

import re

from django.core.exceptions import ValidationError

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_CHARACTER_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_match(pattern: re.Pattern, value: str) -> None:
    found = pattern.search(value)
    if found:
        raise ValidationError(
            "Remove the control character U+%(code)04X: a text holds none.",
            code="control_character",
            params={"code": ord(found.group())},
        )


def single_line(value: str) -> None:
    refuse_match(CONTROL_CHARACTER, value)


def multi_line(value: str) -> None:
    refuse_match(CONTROL_CHARACTER_BUT_LINE_BREAKS, value)
