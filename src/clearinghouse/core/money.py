"""Money, once: what an amount may be, how it is stored, parsed and written out.

Limits (they match the columns, see `core.fields.ExactDecimalField`):

* An amount that a person or a file enters (a pledge's amount or unit value, a catalog price, a
  tranche, a fund's target, a contribution) has at most 2 decimals and at most 15 digits before the
  point: 0.01 to 999,999,999,999,999.99. Column: numeric(17, 2).
* An amount the system derives from one (quantity x unit value, a conversion to EUR or to a fund's
  currency) may be up to ten times larger: at most 9,999,999,999,999,999.99, numeric(18, 2). A
  derivation beyond that is refused, naming the input field that caused it.
* A rate has 10 decimals and at most 8 digits before the point: numeric(18, 10).

In JSON (API and CLI alike) every amount is a decimal string with its currency's minor units
("40000000000.00"; "12000" for JPY, ISK and KRW, which have none); shares and percentages are
decimal strings too. Never a float: a double carries 15 significant digits, an amount up to 18.
On input the API accepts a decimal string, or a JSON number of at most 15 significant digits (a
number with more cannot be known to be the one that was sent).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any

from django import forms
from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.fields import ExactDecimalField

PLACES = 2
CENT = Decimal("0.01")
AMOUNT_DIGITS = 17
MAX_AMOUNT = Decimal("999999999999999.99")
DERIVED_DIGITS = 18
MAX_DERIVED = Decimal("9999999999999999.99")
RATE_DIGITS = 18
RATE_PLACES = 10
FLOAT_DIGITS = 15  # what a double carries exactly
# ISO 4217 currencies without a minor unit (among those the ECB publishes, and a few more).
ZERO_MINOR_UNITS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF"}
)
MAX_AMOUNT_TEXT = "999,999,999,999,999.99"

MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]{2})?$"
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
AMOUNT_IN_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,2})?$"


# --- model fields -------------------------------------------------------------------------------


def AmountField(**kwargs: Any) -> ExactDecimalField:  # a field factory: named like the class it makes
    """An amount entered by a person or a file: numeric(17, 2)."""
    return ExactDecimalField(max_digits=AMOUNT_DIGITS, decimal_places=PLACES, **kwargs)


def DerivedAmountField(**kwargs: Any) -> ExactDecimalField:
    """An amount the system computes (a valuation, a conversion): numeric(18, 2)."""
    return ExactDecimalField(max_digits=DERIVED_DIGITS, decimal_places=PLACES, **kwargs)


def RateField(**kwargs: Any) -> ExactDecimalField:
    """An exchange rate: numeric(18, 10)."""
    return ExactDecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES, **kwargs)


# --- minor units and text -----------------------------------------------------------------------


def minor_units(currency: str | None) -> int:
    """Decimals of a currency's minor unit (ISO 4217): 0 for JPY, ISK, KRW ...; 2 otherwise."""
    return 0 if currency and currency.upper() in ZERO_MINOR_UNITS else PLACES


def unit(currency: str | None) -> Decimal:
    """The smallest amount of a currency that is stored: 1 (JPY, ISK, KRW) or 0.01."""
    return Decimal(1).scaleb(-minor_units(currency))


def round_to_currency(value: Decimal, currency: str | None) -> Decimal:
    """A computed amount rounded half-even to the currency's minor unit (kept with 2 decimals)."""
    return Decimal(value).quantize(unit(currency), rounding=ROUND_HALF_EVEN).quantize(CENT)


def decimal_text(value: Decimal, places: int) -> str:
    """Fixed-point text with exactly `places` decimals (rounded half-even), never an exponent."""
    q = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = format(q, "f")
    return "0" + text[2:] if text.startswith("-0") and q == 0 else text


def money_text(value: Decimal, currency: str | None = None) -> str:
    """An amount as JSON writes it: its currency's minor units, or 2 decimals when it has cents."""
    places = minor_units(currency)
    if places < PLACES and Decimal(value) != Decimal(value).quantize(unit(currency)):
        places = PLACES  # never lose a stored cent
    return decimal_text(value, places)


def plain_text(value: Decimal) -> str:
    """A decimal as fixed-point text without trailing zeros (a share, a weight): 0.25, 3601.75."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text


# --- parsing (services, forms, CLI, spreadsheets) ----------------------------------------------


def parse_amount(
    value: Any,
    field: str,
    *,
    required: bool = True,
    positive: bool = True,
    currency: str | None = None,
    maximum: Decimal = MAX_AMOUNT,
) -> Decimal | None:
    """An amount with at most 2 decimals (none for JPY, ISK, KRW) up to 999,999,999,999,999.99.

    Accepts a Decimal, an int, a string ("1,234.50" and "1_234.50" too) or a float of at most 15
    significant digits; every refusal is an InvalidInput naming `field`. None when blank and not required.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field}: required", field=field)
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field}: {value!r} is not a number", field=field)
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
            if len(number.normalize().as_tuple().digits) > FLOAT_DIGITS:
                raise InvalidInput(
                    f"{field}: {value!r} has more than {FLOAT_DIGITS} significant digits as a number; "
                    "write the amount as text",
                    field=field,
                )
        elif isinstance(value, Decimal | int):
            number = Decimal(value)
        else:
            number = Decimal(str(value).strip().replace(",", "").replace("_", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field}: {value!r} is not a number", field=field) from None
    if not number.is_finite():
        raise InvalidInput(f"{field}: {value!r} is not a number", field=field)
    if number < 0 or (positive and number == 0):
        raise InvalidInput(
            f"{field}: must be {'positive' if positive else 'zero or more'}, got {value}", field=field
        )
    if number > maximum:
        raise InvalidInput(
            f"{field}: {value} is too large; the largest amount is {maximum:,.2f}", field=field
        )
    if number != number.quantize(CENT, rounding=ROUND_HALF_EVEN):
        raise InvalidInput(f"{field}: at most two decimal places, got {value}", field=field)
    if currency and minor_units(currency) == 0 and number != number.to_integral_value():
        raise InvalidInput(f"{field}: {currency} has no minor unit; give a whole amount", field=field)
    return number.quantize(CENT)


def check_derived(value: Decimal, field: str, what: str) -> Decimal:
    """A computed amount that must fit its column (numeric(18, 2)); InvalidInput on `field` if not."""
    if abs(value) > MAX_DERIVED:
        raise InvalidInput(
            f"{field}: {what} would be {value:,.2f}, beyond the largest amount the system keeps "
            f"({MAX_DERIVED:,.2f})",
            field=field,
        )
    return value


class AmountFormField(forms.DecimalField):
    """A page's amount field, with the limits of every other door (2 decimals, at most 15 before)."""

    def __init__(self, *, positive: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", CENT if positive else Decimal(0))
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(max_digits=AMOUNT_DIGITS, decimal_places=PLACES, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace("_", "")
        return super().to_python(value)


# --- API types ----------------------------------------------------------------------------------


def _amount_in(value: Any) -> Any:
    """Before pydantic's Decimal: refuse booleans, and JSON numbers a double cannot carry exactly."""
    if isinstance(value, bool):
        raise ValueError('an amount is a decimal string such as "1250000.00"')
    if isinstance(value, float):
        number = Decimal(repr(value))
        if len(number.normalize().as_tuple().digits) > FLOAT_DIGITS:
            raise ValueError(
                f"a JSON number carries at most {FLOAT_DIGITS} significant digits exactly; "
                "send this amount as a decimal string"
            )
        return number
    if isinstance(value, str):
        return value.strip().replace(",", "").replace("_", "")
    return value


AMOUNT_IN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": AMOUNT_IN_PATTERN, "examples": ["1250000.00"]},
        {"type": "number"},
    ],
    "description": f"An amount: a decimal string (or a JSON number of at most {FLOAT_DIGITS} significant "
    f"digits), at most 2 decimals, at most {MAX_AMOUNT_TEXT}.",
}

# An amount in a request body: at most 17 digits, 2 of them decimals, as the columns hold.
AmountIn = Annotated[
    Decimal,
    BeforeValidator(_amount_in),
    Field(max_digits=AMOUNT_DIGITS, decimal_places=PLACES),
    WithJsonSchema(AMOUNT_IN_SCHEMA),
]

MONEY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "decimal",
    "pattern": MONEY_PATTERN,
    "examples": ["40000000000.00"],
    "description": "An amount: a decimal string with its currency's minor units (2 decimals; none for "
    "JPY, ISK and KRW), never a float.",
}


def _money_out(value: Decimal) -> str:
    return money_text(value)


# An amount in a response: a decimal string (2 decimals unless the schema knows the currency).
MoneyOut = Annotated[Decimal, PlainSerializer(_money_out, return_type=str), WithJsonSchema(MONEY_SCHEMA)]
MoneyOrNoneOut = Annotated[
    Decimal | None,
    PlainSerializer(lambda v: None if v is None else money_text(v), return_type=str | None),
    WithJsonSchema({"anyOf": [MONEY_SCHEMA, {"type": "null"}]}),
]


def _decimal_schema(description: str, example: str) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "decimal",
        "pattern": DECIMAL_PATTERN,
        "examples": [example],
        "description": description,
    }


def _fixed(places: int) -> Any:
    return lambda v: None if v is None else decimal_text(v, places)


RATE_SCHEMA = _decimal_schema("An exchange rate: a decimal string with 10 decimals.", "0.8567000000")
RateOut = Annotated[
    Decimal, PlainSerializer(_fixed(RATE_PLACES), return_type=str), WithJsonSchema(RATE_SCHEMA)
]
RateOrNoneOut = Annotated[
    Decimal | None,
    PlainSerializer(_fixed(RATE_PLACES), return_type=str | None),
    WithJsonSchema({"anyOf": [RATE_SCHEMA, {"type": "null"}]}),
]
SHARE_SCHEMA = _decimal_schema(
    "A share (a fraction of 1): a decimal string with 10 decimals.", "0.2500000000"
)
ShareOut = Annotated[Decimal, PlainSerializer(_fixed(10), return_type=str), WithJsonSchema(SHARE_SCHEMA)]
PCT_SCHEMA = _decimal_schema("A percentage: a decimal string with 2 decimals.", "87.50")
PctOrNoneOut = Annotated[
    Decimal | None,
    PlainSerializer(_fixed(2), return_type=str | None),
    WithJsonSchema({"anyOf": [PCT_SCHEMA, {"type": "null"}]}),
]
FIGURE_SCHEMA = _decimal_schema(
    "A figure: an exact decimal string (EUR billion with at least 6 decimals, as the source has them).",
    "12.075500",
)


def figure_text(value: Decimal | None, places: int = 6) -> str | None:
    """An exact figure with at least `places` decimals and no trailing zeros beyond them."""
    if value is None:
        return None
    normal = Decimal(value).normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places:
        normal = normal.quantize(Decimal(1).scaleb(-places))
    return format(normal, "f")


FigureOrNoneOut = Annotated[
    Decimal | None,
    PlainSerializer(figure_text, return_type=str | None),
    WithJsonSchema({"anyOf": [FIGURE_SCHEMA, {"type": "null"}]}),
]


def jsonable_money(value: Any) -> Any:
    """Decimals to decimal strings, recursively (a CLI's JSON output): never a float."""
    if isinstance(value, Decimal):
        return figure_text(value, 0)
    if isinstance(value, dict):
        return {k: jsonable_money(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable_money(v) for v in value]
    return value


# Text already formatted by the code that knows the currency (a fund's status): documented like the
# Decimal types above, validated as strings.
MoneyText = Annotated[str, WithJsonSchema(MONEY_SCHEMA)]
ShareText = Annotated[str, WithJsonSchema(SHARE_SCHEMA)]
PctTextOrNone = Annotated[str | None, WithJsonSchema({"anyOf": [PCT_SCHEMA, {"type": "null"}]})]
