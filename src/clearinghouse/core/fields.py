"""Exact decimals on every database: `ExactDecimalField`, and the limits that storage can hold.

Django's `DecimalField` is `numeric(p, s)` on PostgreSQL but a NUMERIC-affinity column on SQLite,
which keeps a REAL (a double, about 15 significant digits) for most values: 123456789012345.67 comes
back as 123456789012345.7, and a value with more digits than `max_digits` makes every later read fail.

`ExactDecimalField(max_digits, decimal_places)` is `numeric(p, s)` on PostgreSQL and, on SQLite, a
64-bit INTEGER holding value x 10^decimal_places. Comparisons, ordering, MIN/MAX and SUM work on the
scaled integers unchanged (every column keeps one scale); `from_db_value` scales back. `max_digits`
is at most 18, so every value the field accepts fits in 64 bits (10^18 - 1 < 2^63 - 1).

Both databases refuse the same values: a value with more integer digits than the field holds raises
`DataError` before anything is written (PostgreSQL would raise "numeric field overflow"; SQLite would
silently store a REAL), and excess decimals are rounded half-even on both. Input validation (see
`core.money`) must refuse such values first, naming the field; this is the last line of defence.

SUM over many rows can exceed 64 bits on SQLite ("integer overflow"): sum money in Python (exact,
unbounded) instead of in SQL, as the selectors do.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.core import checks
from django.db import DataError, models

MAX_SCALED_DIGITS = 18  # 10**18 - 1 < 2**63 - 1: every accepted value fits a signed 64-bit integer
_INT64 = 2**63 - 1


def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


class ExactDecimalField(models.DecimalField):  # type: ignore[type-arg]  # not subscriptable at run time
    """numeric(p, s) on PostgreSQL; a scaled 64-bit INTEGER on SQLite. Exact on both."""

    description = "Exact decimal (numeric on PostgreSQL, scaled integer on SQLite)"

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = list(super().check(**kwargs))
        if isinstance(self.max_digits, int) and self.max_digits > MAX_SCALED_DIGITS:
            errors.append(
                checks.Error(
                    f"ExactDecimalField holds at most {MAX_SCALED_DIGITS} digits "
                    "(a 64-bit integer on SQLite).",
                    obj=self,
                    id="clearinghouse.E001",
                )
            )
        return errors

    def get_internal_type(self) -> str:
        # Not "DecimalField": SQLite's backend would otherwise run its float-based decimal converter
        # (15 significant digits) on the integers this field reads.
        return "ExactDecimalField"

    def db_type(self, connection: Any) -> str:
        if connection.vendor == "sqlite":
            return "integer"
        return str(connection.data_types["DecimalField"] % self.db_type_parameters(connection))

    def cast_db_type(self, connection: Any) -> str:
        return self.db_type(connection)

    # --- limits -------------------------------------------------------------------------------------

    @property
    def max_value(self) -> Decimal:
        """The largest value the column holds, e.g. 9999999999999999.99 for (18, 2)."""
        return Decimal(10) ** (self.max_digits - self.decimal_places) - _quantum(self.decimal_places)

    def fits(self, value: Decimal) -> bool:
        """Whether `value`, rounded to the field's places, is within what the column holds."""
        try:
            q = Decimal(value).quantize(_quantum(self.decimal_places), rounding=ROUND_HALF_EVEN)
        except InvalidOperation:
            return False
        return q.is_finite() and abs(q) <= self.max_value

    def _stored(self, value: Decimal) -> Decimal:
        """The value rounded half-even to the field's places; DataError beyond what the column holds."""
        if not self.fits(value):
            raise DataError(
                f"{self.model.__name__}.{self.name}: {value} does not fit numeric"
                f"({self.max_digits}, {self.decimal_places}) (at most {self.max_value})"
            )
        return value.quantize(_quantum(self.decimal_places), rounding=ROUND_HALF_EVEN)

    # --- to and from the database ----------------------------------------------------------------

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or hasattr(value, "as_sql"):
            return value
        value = self.to_python(value)
        if prepared:
            # A lookup's right-hand side (amount__gt=...): compare, never refuse or round.
            if connection.vendor != "sqlite":
                return value
            scaled = value.scaleb(self.decimal_places)
            if scaled == scaled.to_integral_value() and abs(scaled) <= _INT64:
                return int(scaled)
            return float(scaled)  # SQLite compares INTEGER and REAL by value
        stored = self._stored(value)
        if connection.vendor != "sqlite":
            return stored
        return int(stored.scaleb(self.decimal_places))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        if connection.vendor != "sqlite":
            return value if isinstance(value, Decimal) else Decimal(str(value))
        if isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        else:
            number = Decimal(str(value))
        return number.scaleb(-self.decimal_places).quantize(_quantum(self.decimal_places))


def rescale_sqlite_columns(
    schema_editor: Any, columns: list[tuple[str, str, int, int]], *, reverse: bool = False
) -> None:
    """Data migration helper: rewrite SQLite money columns as scaled integers (or back, `reverse`).

    `columns` are (table, column, max_digits, decimal_places). A NUMERIC-affinity column kept what
    Django gave it as an INTEGER, a REAL or TEXT; every such value is read back as the decimal it was
    written from (a REAL through its shortest repr, exact for the up to 15 significant digits a
    double carries) and stored as value x 10^decimal_places. PostgreSQL keeps numeric: nothing to do.
    A value the new column cannot hold stops the migration with its table, row and value.
    """
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table, column, max_digits, places in columns:
            cursor.execute(f'SELECT "id", "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')  # noqa: S608
            updates: list[tuple[Any, Any]] = []
            for pk, raw in cursor.fetchall():
                if reverse:
                    number = Decimal(int(raw)).scaleb(-places).quantize(_quantum(places))
                    updates.append((str(number), pk))
                    continue
                number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip())
                number = number.quantize(_quantum(places), rounding=ROUND_HALF_EVEN)
                limit = Decimal(10) ** (max_digits - places) - _quantum(places)
                if not number.is_finite() or abs(number) > limit:
                    raise DataError(
                        f"{table}.{column} of row {pk} is {raw!r}, which numeric({max_digits}, {places}) "
                        f"cannot hold (at most {limit}); correct that row, then migrate again."
                    )
                updates.append((int(number.scaleb(places)), pk))
            cursor.executemany(f'UPDATE "{table}" SET "{column}" = %s WHERE "id" = %s', updates)  # noqa: S608
