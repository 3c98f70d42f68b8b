"""Money is stored exactly on every database, and every door refuses what storage cannot hold.

Issue 10, item 1: a financial pledge of 999999999999999999.99 GBP was accepted (answer 500, row
kept), stored as a float on SQLite, and from then on the pledge list, exports, records reports,
/pledges/ and /public/ answered 500 for everyone; 123456789012345.67 was silently rounded.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DataError, connection, models, transaction

from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges import services
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.spreadsheets import COLUMNS as PLEDGE_COLUMNS
from clearinghouse.pledges.tests import factories
from clearinghouse.spreadsheets import import_file

pytestmark = pytest.mark.django_db

JSON = "application/json"
TOO_LARGE = "999999999999999999.99"
EXACT = "123456789012345.67"
FINANCIAL = {
    "donor": "USA",
    "kind": "financial",
    "currency": "GBP",
    "available_from": "2024-01-02",
    "releasability": "contact_group",
}


def _column_type(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f'SELECT typeof("{column}") FROM "{table}"')
            return ",".join(sorted({r[0] for r in cursor.fetchall()}))
        cursor.execute(
            "SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = %s",
            [table, column],
        )
        kind, precision, scale = cursor.fetchone()
        return f"{kind}({precision},{scale})"


def _nothing_written(before_events: int) -> None:
    assert Pledge.objects.count() == 0
    assert AuditEvent.objects.count() == before_events


def _everything_answers(personas: dict[str, Any], api_client: Any, page_client: Any) -> None:
    """The doors that answered 500 for everyone after the bad write."""
    api = api_client(personas["coordinator"])
    for url in (
        "/api/v1/pledges",
        "/api/v1/pledges/export?format=csv",
        "/api/v1/pledges/export?format=xlsx",
        "/api/v1/reports/totals?source=records",
        "/api/v1/reports/totals?source=records&format=xlsx",
        "/api/v1/reports/donors?source=records",
        "/api/v1/reports/groups?source=records",
        "/api/v1/reports/weapons?source=records",
    ):
        assert api.get(url).status_code == 200, url
    for client, url in (
        (page_client(personas["donor_usa"]), "/pledges/"),
        (page_client(personas["coordinator"]), "/reports/?source=records"),
        (page_client(None), "/public/"),
    ):
        assert client.get(url).status_code == 200, url


def test_every_decimal_column_is_exact_and_no_float_column_holds_money() -> None:
    decimals = [
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, models.DecimalField) and not isinstance(f, ExactDecimalField)
    ]
    assert decimals == []
    floats = {
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, models.FloatField)
    }
    # The optimiser's objective, bound and worth per unit are priority weights less lateness
    # penalties (no unit cost is passed from pledges): not money.
    assert floats <= {
        "clearing.ClearingRun.objective",
        "clearing.ClearingRun.bound",
        "clearing.Proposal.worth_per_unit",
        "core.Job.progress",  # a background job's progress, 0..1: not money
    }


def test_an_amount_of_17_digits_round_trips_exactly(personas: dict[str, Any]) -> None:
    pledge = factories.financial(personas, amount=EXACT, currency="GBP")
    stored = Pledge.objects.get(pk=pledge.pk)
    assert stored.amount == Decimal(EXACT) and str(stored.amount) == EXACT
    assert stored.value_eur == pledge.value_eur and len(str(stored.value_eur).replace(".", "")) >= 17
    assert Pledge.objects.filter(amount=Decimal(EXACT)).count() == 1
    assert Pledge.objects.filter(amount__gt=Decimal("123456789012345.66")).count() == 1
    expected = "integer" if connection.vendor == "sqlite" else "numeric(17,2)"
    assert _column_type("pledges_pledge", "amount") == expected


def test_the_field_refuses_what_the_column_cannot_hold_and_writes_nothing(personas: dict[str, Any]) -> None:
    pledge = factories.financial(personas)
    with pytest.raises(DataError), transaction.atomic():
        Pledge.objects.filter(pk=pledge.pk).update(amount=Decimal(TOO_LARGE))
    assert Pledge.objects.get(pk=pledge.pk).amount == Decimal("1000000.00")


@pytest.mark.parametrize("as_number", [False, True], ids=["string", "json-number"])
def test_the_api_refuses_an_oversized_amount_and_keeps_nothing(
    personas: dict[str, Any], api_client: Any, page_client: Any, as_number: bool
) -> None:
    client = api_client(personas["donor_usa"])
    events = AuditEvent.objects.count()
    body = json.dumps({**FINANCIAL, "amount": "AMOUNT"}).replace(
        '"AMOUNT"', TOO_LARGE if as_number else f'"{TOO_LARGE}"'
    )
    response = client.post("/api/v1/pledges", body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert response.json()["field"].endswith("amount"), response.json()
    _nothing_written(events)
    _everything_answers(personas, api_client, page_client)


def test_the_api_stores_17_digits_exactly_and_answers_them_as_a_string(
    personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    client = api_client(personas["donor_usa"])
    response = client.post("/api/v1/pledges", {**FINANCIAL, "amount": EXACT}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == EXACT
    again = client.get(f"/api/v1/pledges/{response.json()['id']}").json()
    assert again["amount"] == EXACT and isinstance(again["value_eur"], str)
    # A JSON number with more digits than a double carries cannot be known to be what was sent.
    body = json.dumps({**FINANCIAL, "amount": "X"}).replace('"X"', EXACT)
    refused = client.post("/api/v1/pledges", body, content_type=JSON)
    assert refused.status_code == 422 and "string" in refused.json()["detail"]
    _everything_answers(personas, api_client, page_client)


def test_a_valuation_beyond_what_is_kept_names_the_quantity(personas: dict[str, Any]) -> None:
    from clearinghouse.core.errors import InvalidInput

    factories.ensure_catalog()
    with pytest.raises(InvalidInput) as info:
        factories.pledge(personas, quantity=2_000_000_000, unit_value="999999999999.99")
    assert info.value.field == "quantity"
    assert Pledge.objects.count() == 0


def _sheet(path: Path, amount: str) -> Path:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(PLEDGE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    row = dict.fromkeys(PLEDGE_COLUMNS, "")
    row.update(
        external_ref="BIG-1",
        donor="USA",
        kind="financial",
        amount=amount,
        currency="GBP",
        available_from="2024-01-02",
        releasability="contact_group",
    )
    writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_spreadsheet_with_an_oversized_amount_imports_nothing_and_names_the_cell(
    personas: dict[str, Any], api_client: Any, page_client: Any, tmp_path: Path
) -> None:
    from clearinghouse.core.errors import InvalidInput

    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as info:
        import_file(actor=personas["donor_usa"], path=_sheet(tmp_path / "big.csv", TOO_LARGE), kind="pledges")
    assert "row 2, column amount" in info.value.message and "too large" in info.value.message
    _nothing_written(events)
    import_file(actor=personas["donor_usa"], path=_sheet(tmp_path / "exact.csv", EXACT), kind="pledges")
    assert Pledge.objects.get(external_ref="BIG-1").amount == Decimal(EXACT)
    _everything_answers(personas, api_client, page_client)


def test_the_page_form_refuses_an_oversized_amount_beside_the_field(
    personas: dict[str, Any], page_client: Any
) -> None:
    factories.ensure_catalog()
    client = page_client(personas["donor_usa"])
    form = {
        "external_ref": "BIG",
        "kind": "financial",
        "item_type": "",
        "quantity": "",
        "unit_value": "",
        "amount": TOO_LARGE,
        "currency": "GBP",
        "available_from": "2024-02-01",
        "releasability": "coordination",
        "notes": "",
    }
    html = client.post("/pledges/new/", form).content.decode()
    assert "too large" in html.split('id="err-amount">')[1].split("</ul>")[0]
    assert TOO_LARGE in html  # what the user typed is kept
    assert Pledge.objects.count() == 0


def test_the_cli_refuses_an_oversized_contribution_in_one_line(personas: dict[str, Any]) -> None:
    from clearinghouse.funds.tests.factories import trio_fund

    fund = trio_fund(personas["admin"])
    with pytest.raises(CommandError) as info:
        call_command(
            "fund",
            "contribute",
            fund.slug,
            "DEU",
            TOO_LARGE,
            "EUR",
            "--date",
            "2025-01-10",
            "--as",
            "finance",
        )
    assert "amount" in str(info.value) and "\n" not in str(info.value)


def test_sums_over_many_large_amounts_do_not_overflow(
    personas: dict[str, Any], api_client: Any, page_client: Any
) -> None:
    """Ten amounts of 999,999,999,999,999.99 sum beyond 64 bits as cents: summed in Python, exactly."""
    for i in range(10):
        services.create_pledge(
            actor=personas["donor_usa"],
            data={**FINANCIAL, "currency": "EUR", "amount": "999999999999999.99", "external_ref": f"MAX-{i}"},
        )
    from clearinghouse.pledges.selectors import pipeline

    assert pipeline(user=personas["coordinator"])["offered"]["value_eur"] == Decimal("9999999999999999.90")
    _everything_answers(personas, api_client, page_client)
