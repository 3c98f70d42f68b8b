"""Money earmarked for military procurement is military aid in the records reports, not financial aid,
and every pledge counts once within a total (issue 13). The earmark enters by API, import and page."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from clearinghouse.frameworks.tests.factories import records
from clearinghouse.pledges.models import Pledge
from clearinghouse.reports import selectors

pytestmark = pytest.mark.django_db


def bn(value: str) -> Decimal:
    return Decimal(value).scaleb(-9)


def test_earmarked_money_is_military_and_counted_once(personas: dict[str, Any]) -> None:
    pledges = records(personas)
    report = selectors.totals_report(user=personas["coordinator"], by="year", source="records")
    row = next(r for r in report["rows"] if r["period"] == "2024")
    pol = pledges["pol"].value_eur
    # Military: DEU's earmarked 200,000, POL's earmarked money, USA's 30,000 of items.
    assert Decimal(row["military"]) == bn("200000.00") + bn(str(pol)) + bn("30000.00")
    # Financial: only DEU's 70,000 not earmarked.
    assert Decimal(row["financial"]) == bn("70000.00")
    # The total is military + financial: the earmarked pledges are not counted twice.
    assert Decimal(row["total"]) == Decimal(row["military"]) + Decimal(row["financial"])

    def deu(type: str) -> Decimal:
        report = selectors.donors_report(user=personas["coordinator"], type=type, source="records")
        return Decimal(next(r for r in report["donors"] if r["participant"] == "DEU")["value_eur_bn"])

    # Every year: the 2025 earmarked pledge too.
    assert deu("military") == bn("200000.00") + bn("50000.00")
    assert deu("financial") == bn("70000.00")
    assert deu("total") == deu("military") + deu("financial")


def test_the_earmark_through_the_api(personas: dict[str, Any], api_client: Any) -> None:
    client = api_client(personas["donor_deu"])
    body = {
        "donor": "DEU",
        "kind": "financial",
        "amount": "1000.00",
        "currency": "EUR",
        "available_from": "2024-02-01",
        "earmark": "military_procurement",
    }
    r = client.post("/api/v1/pledges", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert client.get(f"/api/v1/pledges/{r.json()['id']}").json()["earmark"] == "military_procurement"
    bad = client.post("/api/v1/pledges", {**body, "earmark": "guns"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "earmark"
    in_kind = {
        "donor": "DEU",
        "kind": "in_kind",
        "item_type": "AMM-155-HE",
        "quantity": 1,
        "unit_value": "1.00",
        "currency": "EUR",
        "available_from": "2024-02-01",
        "earmark": "military_procurement",
    }
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    bad = client.post("/api/v1/pledges", in_kind, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "earmark"


def test_the_earmark_through_the_csv_import(personas: dict[str, Any], tmp_path: Path) -> None:
    from clearinghouse.pledges.spreadsheets import import_file

    path = tmp_path / "pledges.csv"
    path.write_text(
        "external_ref,donor,kind,item_type,quantity,unit_value,amount,currency,available_from,"
        "releasability,notes,earmark\n"
        "DE-1,DEU,financial,,,,5000.00,EUR,2024-02-01,coordination,,military_procurement\n"
        "DE-2,DEU,financial,,,,6000.00,EUR,2024-02-01,coordination,,\n",
        encoding="utf-8",
    )
    import_file(actor=personas["donor_deu"], path=path)
    assert dict(Pledge.objects.filter(owner__code="DEU").values_list("external_ref", "earmark")) == {
        "DE-1": "military_procurement",
        "DE-2": "",
    }
    # A file without the column leaves the earmark as it is.
    path.write_text(
        "external_ref,donor,kind,item_type,quantity,unit_value,amount,currency,available_from,"
        "releasability,notes\n"
        "DE-1,DEU,financial,,,,5500.00,EUR,2024-02-01,coordination,\n",
        encoding="utf-8",
    )
    import_file(actor=personas["donor_deu"], path=path)
    de1 = Pledge.objects.get(external_ref="DE-1")
    assert (de1.amount, de1.earmark) == (Decimal("5500.00"), "military_procurement")


def test_the_earmark_through_the_page(personas: dict[str, Any], page_client: Any) -> None:
    client = page_client(personas["donor_deu"])
    r = client.post(
        reverse("pledge-create"),
        {
            "kind": "financial",
            "amount": "1234.00",
            "currency": "EUR",
            "available_from": "2024-02-01",
            "earmark": "military_procurement",
            "releasability": "coordination",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    pledge = Pledge.objects.get(amount=Decimal("1234.00"))
    assert pledge.earmark == "military_procurement"
    detail = client.get(reverse("pledge-detail", args=[pledge.pk])).content.decode()
    assert 'id="pledge-earmark"' in detail and "Military procurement" in detail
