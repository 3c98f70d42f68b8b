"""Turning loosely typed input (API bodies, spreadsheet rows) into clean values, or a 422 naming the field.

Shared by the services of every app and the spreadsheet imports: each accepts native values (int,
Decimal, date, lists) as the API gives them, and strings as a spreadsheet gives them ("" meaning
empty). Participants named by code are cleaned by `participants.cleaning`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload

from clearinghouse.core import money as money_rules
from clearinghouse.core import validation
from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import InvalidInput

CENT = money_rules.CENT
MAX_MONEY = money_rules.MAX_AMOUNT  # what an entered amount may be (numeric(17, 2))


def blank(value: Any) -> bool:
    """None, an empty or all-space string, or an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def check_fields(data: dict[str, Any], allowed: Iterable[str]) -> None:
    """Refuse keys the record does not have (a misspelt column must not be silently ignored)."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])


# Fields whose text may span lines (tab and line breaks kept); every other text is one line.
MULTILINE_FIELDS = frozenset({"notes", "description"})


def text(value: Any, field: str, *, max_length: int, multiline: bool | None = None) -> str:
    """A string, stripped, at most `max_length` long ("" when blank), without control characters.

    Notes may span lines; every other field is one line (see `core.validation`).
    """
    if blank(value):
        return ""
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    validation.clean_text(
        value, field, multiline=field in MULTILINE_FIELDS if multiline is None else multiline
    )
    if len(value) > max_length:
        raise InvalidInput(f"{field}: at most {max_length} characters, got {len(value)}", field=field)
    return str(value)


@overload
def integer(
    value: Any, field: str, *, required: Literal[True] = ..., minimum: int = ..., maximum: int | None = ...
) -> int: ...
@overload
def integer(
    value: Any, field: str, *, required: bool, minimum: int = ..., maximum: int | None = ...
) -> int | None: ...
def integer(
    value: Any, field: str, *, required: bool = True, minimum: int = 1, maximum: int | None = None
) -> int | None:
    """A whole number of at least `minimum` and at most `maximum` (None when blank and not required)."""
    if blank(value):
        if required:
            raise InvalidInput(f"{field}: required", field=field)
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field}: {value!r} is not a whole number", field=field)
    try:
        number = (
            Decimal(str(value).strip().replace("_", "")) if not isinstance(value, int) else Decimal(value)
        )
    except InvalidOperation:
        raise InvalidInput(f"{field}: {value!r} is not a whole number", field=field) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise InvalidInput(f"{field}: {value!r} is not a whole number", field=field)
    if maximum is not None and not minimum <= number <= maximum:
        raise InvalidInput(
            f"{field}: must be between {minimum} and {maximum}, got {int(number)}", field=field
        )
    if number < minimum:
        raise InvalidInput(f"{field}: must be at least {minimum}, got {int(number)}", field=field)
    if number > 2_000_000_000:
        raise InvalidInput(f"{field}: {int(number)} is too large", field=field)
    return int(number)


@overload
def money(
    value: Any, field: str, *, required: Literal[True] = ..., positive: bool = ..., currency: str | None = ...
) -> Decimal: ...
@overload
def money(
    value: Any, field: str, *, required: bool, positive: bool = ..., currency: str | None = ...
) -> Decimal | None: ...
def money(
    value: Any, field: str, *, required: bool = True, positive: bool = True, currency: str | None = None
) -> Decimal | None:
    """An amount within the limits every door shares (core.money): at most 2 decimals (none for
    JPY, ISK, KRW when `currency` is given), at most 999,999,999,999,999.99, never a float's
    binary approximation."""
    return money_rules.parse_amount(value, field, required=required, positive=positive, currency=currency)


@overload
def date(value: Any, field: str, *, required: Literal[True] = ...) -> dt.date: ...
@overload
def date(value: Any, field: str, *, required: bool) -> dt.date | None: ...
def date(value: Any, field: str, *, required: bool = True) -> dt.date | None:
    """A date, from a date or an ISO string YYYY-MM-DD, within 1990-01-01 to 2100-12-31."""
    if blank(value):
        if required:
            raise InvalidInput(f"{field}: required", field=field)
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field) from None
    return validation.clean_date(value, field)


_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def boolean(value: Any, field: str, *, default: bool = False) -> bool:
    """True or False from a bool or a cell: "true"/"false", "yes"/"no", "1"/"0" (the default when blank)."""
    if blank(value):
        return default
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise InvalidInput(f"{field}: {value!r} is not true or false", field=field)


def immutable_flag(changes: dict[str, Any], field: str, stored: bool, what: str) -> dict[str, Any]:
    """`changes` without `field` when it is blank or states the stored value; InvalidInput when it
    would change: an illustrative record never becomes a real one, nor a real one an illustration."""
    if field not in changes:
        return changes
    if not blank(changes[field]) and boolean(changes[field], field) != stored:
        raise InvalidInput(f"{field}: fixed when the {what} is created; it cannot change", field=field)
    return {k: v for k, v in changes.items() if k != field}


@functools.cache
def _values(choices: Any) -> frozenset[str]:
    # `TextChoices.values` builds a new list on every call; imports ask for it on every cell.
    return frozenset(choices.values)


def choice(value: Any, field: str, choices: Any, *, default: str | None = None) -> str:
    """One of a TextChoices' values (case-insensitive), or the default when blank."""
    if blank(value):
        if default is None:
            raise InvalidInput(f"{field}: required; one of {', '.join(choices.values)}", field=field)
        return default
    v = str(getattr(value, "value", value)).strip().lower()
    if v not in _values(choices):
        raise InvalidInput(f"{field}: {value!r} is not one of {', '.join(choices.values)}", field=field)
    return v


def code_list(value: Any, field: str) -> list[str]:
    """A list of codes, from a list or a string separated by ';' (spreadsheet cells); duplicates dropped."""
    if blank(value):
        return []
    items = value.split(";") if isinstance(value, str) else list(value)
    seen: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(f"{field}: {item!r} is not a code", field=field)
        code = validation.clean_text(item.strip(), field)
        if code and code not in seen:
            seen.append(code)
    return seen


def releasability(
    value: Any, field: str = "releasability", *, default: str = Releasability.COORDINATION
) -> str:
    """A releasability marking; blank means the default (coordination unless said otherwise)."""
    return choice(value, field, Releasability, default=default)
