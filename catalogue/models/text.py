"""What the catalogue's text may hold: no control characters (C0 and DEL), which no reader sees,
XML (the Atom feed, XLSX) refuses and PostgreSQL refuses a NUL of. A text of several lines keeps
its tabs and line breaks; a name, a title or a locator is one line and has none. A web address
holds none of the characters a URI may not (RFC 3986), which Django's URL check lets through."""

import re

from django.core.exceptions import ValidationError

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_CHARACTER_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NOT_IN_A_URI = re.compile(r'["<>\\^`{|}]')


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


def printable(text: str) -> str:
    """`text` without the control characters no text may hold, for what XML carries (the Atom
    feed, XLSX cells): a text stored before the rules above, or in a history, never breaks it."""
    return CONTROL_CHARACTER_BUT_LINE_BREAKS.sub("", text)


def web_address(value: str) -> None:
    found = NOT_IN_A_URI.search(value)
    if found:
        raise ValidationError(
            "A web address holds no %(character)s: write it percent-encoded (%(encoded)s).",
            code="not_in_a_uri",
            params={"character": found.group(), "encoded": f"%{ord(found.group()):02X}"},
        )
