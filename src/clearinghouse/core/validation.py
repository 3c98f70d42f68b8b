"""What any input may hold, in one place: text without control characters, dates in a sane window,
integers that fit the database. Every door uses these: the API's schemas (the `Line`, `Text`, `Date`
and `Id` types below), the pages' forms and the spreadsheet and CLI cleaners (`clean_text`,
`clean_date`, the Django validators), the Kiel importer, and the API's input guard middleware.

Why each rule:

* **Control characters** (U+0000–U+001F, U+007F–U+009F) are never data someone meant to type: NUL
  cannot be stored in PostgreSQL text at all, and XLSX files cannot hold any C0 control, so one such
  character in a note used to break every export that included it. Lone surrogates (U+D800–U+DFFF,
  which JSON's `\\ud800` escapes can produce) cannot be encoded for any database. Multi-line fields
  (notes, descriptions) keep tab, line feed and carriage return; single-line fields (references,
  names, codes) refuse them too, along with the Unicode line and paragraph separators.
* **Dates** are accepted from 1990-01-01 to 2100-12-31: every record of this system (pledges,
  deliveries, needs, payments, releases, mandates) falls in that window, and a year such as 0001 or
  9999 is a typo that used to break reports (date arithmetic overflows at the ends of the calendar).
* **Integers** from outside fit a signed 64-bit column (ids, offsets); anything larger is refused
  before it reaches a query, where it used to raise inside the database driver.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from pydantic import AfterValidator, Field, WithJsonSchema

from clearinghouse.core.errors import InvalidInput

MIN_DATE = dt.date(1990, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
MAX_ID = 2**63 - 1  # a signed 64-bit integer: PostgreSQL bigint, SQLite integer

# Refused in every text: C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Refused in single-line text as well: tab, line breaks, the Unicode line and paragraph separators.
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")
# The same rules as JSON Schema patterns (ECMA 262), so that the OpenAPI document states them.
LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def _describe(char: str) -> str:
    names = {"\x00": "NUL", "\t": "tab", "\n": "line feed", "\r": "carriage return", "\x7f": "DEL"}
    name = names.get(char)
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` may not be stored as text (None when it may)."""
    found = _CONTROL.search(value)
    if found is None and not multiline:
        found = _LINE_BREAK.search(value)
    if found is None:
        return None
    where = found.start() + 1
    kind = "control character" if _CONTROL.match(found.group()) else "line break or tab"
    extra = "" if multiline else " (this field is a single line)"
    return f"{kind} {_describe(found.group())} at character {where} is not allowed{extra}"


def clean_text(value: Any, field: str, *, multiline: bool = False) -> str:
    """`value` as a string, or InvalidInput naming `field` when it holds a control character."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise InvalidInput(f"{field}: {problem}", field=field)
    return text


def date_problem(value: dt.date) -> str | None:
    """Why `value` is not a date this system accepts (None when it is)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not MIN_DATE <= value <= MAX_DATE:
        return f"{value.isoformat()} is outside {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"
    return None


def clean_date(value: dt.date, field: str) -> dt.date:
    """`value` when it lies in the accepted window, else InvalidInput naming `field`."""
    problem = date_problem(value)
    if problem:
        raise InvalidInput(f"{field}: {problem}", field=field)
    return value


# --- pydantic types for the API's schemas -----------------------------------------------------------


def _line(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _text(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


def _date(value: dt.date) -> dt.date:
    problem = date_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# One line of text (references, names, codes): no control characters, no line breaks or tabs.
Line = Annotated[str, AfterValidator(_line), Field(json_schema_extra={"pattern": LINE_PATTERN})]
# Text that may span lines (notes): no control characters but tab, line feed and carriage return.
Text = Annotated[str, AfterValidator(_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})]
# A calendar date from 1990-01-01 to 2100-12-31.
Date = Annotated[
    dt.date,
    AfterValidator(_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"A date from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}.",
        }
    ),
]
# A record id in a path or a filter: a positive signed 64-bit integer.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A year, in the same window as dates.
Year = Annotated[int, Field(ge=MIN_DATE.year, le=MAX_DATE.year)]


# --- Django validators for forms and model fields ---------------------------------------------------


def validate_line(value: Any) -> None:
    """A Django validator: one line of text without control characters."""
    problem = text_problem(str(value))
    if problem:
        raise DjangoValidationError(problem[:1].upper() + problem[1:] + ".", code="control_character")


def validate_text(value: Any) -> None:
    """A Django validator: text without control characters (tab and line breaks allowed)."""
    problem = text_problem(str(value), multiline=True)
    if problem:
        raise DjangoValidationError(problem[:1].upper() + problem[1:] + ".", code="control_character")


def validate_date(value: Any) -> None:
    """A Django validator: a date from 1990-01-01 to 2100-12-31."""
    if isinstance(value, dt.date):
        problem = date_problem(value)
        if problem:
            raise DjangoValidationError(problem[:1].upper() + problem[1:] + ".", code="date_window")


# --- the last guard: nothing is stored that these rules refuse --------------------------------------


def check_before_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """`pre_save` of every model of the clearinghouse apps: no control character in any text and no
    date outside the window, whichever door (and whichever service) the record came through.

    Text columns may hold line breaks here (notes are multi-line); the single-line rule is the
    schemas' and cleaners' business. Bulk inserts (the Kiel importer's) are checked by their reader.
    """
    from django.db import models

    if raw:  # loading fixtures: stored as they are
        return
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if isinstance(field, models.CharField | models.TextField) and isinstance(value, str):
            problem = text_problem(value, multiline=True)
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            problem = date_problem(value) if isinstance(value, dt.date) else None
        else:
            continue
        if problem:
            raise InvalidInput(f"{field.name}: {problem}", field=field.name)
