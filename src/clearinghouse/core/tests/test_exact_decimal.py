"""ExactDecimalField and the data migration that moves SQLite's money columns to scaled integers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DataError, connection

from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.fields import ExactDecimalField, rescale_sqlite_columns
from clearinghouse.core.money import money_text, parse_amount

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the representation changes on SQLite only"
)


class _Editor:
    connection = connection


@sqlite_only
def test_the_data_migration_rewrites_what_a_numeric_column_held_exactly() -> None:
    """A `make demo` database kept Decimals as text in NUMERIC-affinity columns, which SQLite turned
    into INTEGER or REAL: each is read back as the decimal it was written from and scaled."""
    written = ["1234.56", "500", "0.01", "123456789012.34", "15502500.00", "3601.75"]
    with connection.cursor() as cursor:
        cursor.execute('CREATE TEMP TABLE "money_probe" ("id" integer PRIMARY KEY, "amount" decimal NULL)')
        for i, text in enumerate(written, start=1):
            cursor.execute('INSERT INTO "money_probe" VALUES (%s, %s)', [i, text])
        cursor.execute('INSERT INTO "money_probe" VALUES (99, NULL)')
        cursor.execute('SELECT DISTINCT typeof("amount") FROM "money_probe" WHERE "amount" IS NOT NULL')
        assert {r[0] for r in cursor.fetchall()} == {"real", "integer"}  # what Django left behind
        rescale_sqlite_columns(_Editor(), [("money_probe", "amount", 17, 2)])
        cursor.execute('SELECT "id", "amount", typeof("amount") FROM "money_probe" ORDER BY "id"')
        rows = cursor.fetchall()
    assert [r[2] for r in rows[:-1]] == ["integer"] * len(written) and rows[-1][1] is None
    assert [Decimal(r[1]).scaleb(-2) for r in rows[:-1]] == [Decimal(t) for t in written]
    with connection.cursor() as cursor:
        rescale_sqlite_columns(_Editor(), [("money_probe", "amount", 17, 2)], reverse=True)
        cursor.execute('SELECT "amount" FROM "money_probe" WHERE "id" = 4')
        assert Decimal(repr(cursor.fetchone()[0])) == Decimal("123456789012.34")
        cursor.execute('DROP TABLE "money_probe"')


@sqlite_only
def test_the_data_migration_stops_at_a_value_the_new_column_cannot_hold() -> None:
    with connection.cursor() as cursor:
        cursor.execute('CREATE TEMP TABLE "money_probe" ("id" integer PRIMARY KEY, "amount" decimal NULL)')
        cursor.execute('INSERT INTO "money_probe" VALUES (7, %s)', ["999999999999999999.99"])
        with pytest.raises(DataError, match=r"money_probe\.amount of row 7"):
            rescale_sqlite_columns(_Editor(), [("money_probe", "amount", 17, 2)])
        cursor.execute('DROP TABLE "money_probe"')


def test_the_field_holds_what_it_says_and_no_more() -> None:
    field = ExactDecimalField(max_digits=17, decimal_places=2)
    field.set_attributes_from_name("amount")
    assert field.max_value == Decimal("999999999999999.99")
    assert field.fits(Decimal("999999999999999.99")) and not field.fits(Decimal("1000000000000000.00"))
    assert field.db_type(connection) == ("integer" if connection.vendor == "sqlite" else "numeric(17, 2)")
    stored = field.get_db_prep_save(Decimal("123456789012345.67"), connection)
    assert stored == (12345678901234567 if connection.vendor == "sqlite" else Decimal("123456789012345.67"))
    assert field.from_db_value(stored, None, connection) == Decimal("123456789012345.67")
    too_wide = ExactDecimalField(max_digits=19, decimal_places=2)
    too_wide.set_attributes_from_name("x")
    assert [e.id for e in too_wide.check()] == ["clearinghouse.E001"]


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("40000000000"), "USD", "40000000000.00"),
        (Decimal("99999999999999.00"), "ISK", "99999999999999"),
        (Decimal("1234.50"), "JPY", "1234.50"),  # never loses a stored cent
        (Decimal("-0.00"), "EUR", "0.00"),
        (Decimal("5E-10"), None, "0.00"),
    ],
)
def test_money_text_has_the_currencys_minor_units(value: Decimal, currency: str | None, text: str) -> None:
    assert money_text(value, currency) == text


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("999999999999999999.99", "too large"),
        ("1000000000000000", "too large"),
        ("1.005", "two decimal places"),
        ("-1", "positive"),
        ("NaN", "not a number"),
        (True, "not a number"),
        (1.2345678901234567e14, "significant digits"),
    ],
)
def test_every_door_refuses_the_same_amounts(value: object, words: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_amount(value, "amount")
    assert words in e.value.message and e.value.field == "amount"
    assert parse_amount("999,999,999,999,999.99", "amount") == Decimal("999999999999999.99")
    with pytest.raises(InvalidInput, match="no minor unit"):
        parse_amount("10.50", "amount", currency="ISK")
