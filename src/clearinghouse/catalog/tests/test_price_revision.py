"""Reference price revisions on a page and from the command line: a new dated entry, audited, for the
coordination cell and admins only; earlier entries stay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from clearinghouse.catalog.models import ItemPrice
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.tests.factories import ensure_catalog

pytestmark = pytest.mark.django_db

POST = {
    "item_type": "AMM-155-HE",
    "unit_value": "4,250.00",
    "currency": "EUR",
    "valid_from": "2030-01-01",
    "source": "framework contract 2030",
}


def test_the_coordinator_revises_a_price_on_the_page(personas: dict[str, Any], page_client: Any) -> None:
    ensure_catalog()
    before = list(ItemPrice.objects.filter(item_type__code="AMM-155-HE").values_list("pk", "unit_value"))
    client = page_client(personas["coordinator"])
    listing = client.get(reverse("catalog-list")).content.decode()
    assert reverse("catalog-price-revise") + "?item_type=AMM-155-HE" in listing
    r = client.post(reverse("catalog-price-revise"), POST)
    assert r.status_code == 302
    price = ItemPrice.objects.get(item_type__code="AMM-155-HE", valid_from=dt.date(2030, 1, 1))
    assert price.unit_value == Decimal("4250.00") and price.source == "framework contract 2030"
    # Earlier entries are untouched.
    for pk, value in before:
        assert ItemPrice.objects.get(pk=pk).unit_value == value
    event = AuditEvent.objects.get(object_type="catalog.itemprice", object_id=str(price.pk))
    assert event.action == "create" and event.actor == "coordinator"


def test_price_errors_stand_beside_their_field(personas: dict[str, Any], page_client: Any) -> None:
    ensure_catalog()
    client = page_client(personas["admin"])
    r = client.post(reverse("catalog-price-revise"), {**POST, "currency": "XYZ", "unit_value": "-1"})
    assert r.status_code == 422
    html = r.content.decode()
    assert html.split('id="err-unit_value"')[1].split("</ul>")[0].count("<li>") == 1
    client.post(reverse("catalog-price-revise"), POST)
    r = client.post(reverse("catalog-price-revise"), POST)  # the same date again
    assert r.status_code == 422
    assert "already has a reference price" in html_of(r).split('id="err-valid_from"')[1].split("</ul>")[0]
    r = client.post(reverse("catalog-price-revise"), {**POST, "currency": "XYZ", "valid_from": "2031-01-01"})
    assert "ISO 4217" in html_of(r).split('id="err-currency"')[1].split("</ul>")[0]
    assert ItemPrice.objects.filter(item_type__code="AMM-155-HE", valid_from__year__gte=2030).count() == 1


def html_of(r: Any) -> str:
    return str(r.content.decode())


def test_only_the_coordination_cell_revises_prices(personas: dict[str, Any], page_client: Any) -> None:
    ensure_catalog()
    for persona in ("donor_deu", "finance", "analyst", "recipient"):
        client = page_client(personas[persona])
        assert client.post(reverse("catalog-price-revise"), POST).status_code == 403
        assert reverse("catalog-price-revise") not in client.get(reverse("catalog-list")).content.decode()
    assert not ItemPrice.objects.filter(valid_from=dt.date(2030, 1, 1)).exists()


def test_the_command_line_uses_the_same_service(personas: dict[str, Any]) -> None:
    ensure_catalog()
    out = StringIO()
    call_command(
        "catalog",
        "price",
        "AMM-155-HE",
        "4300",
        "--from",
        "2030-02-01",
        "--source",
        "cli",
        "--as",
        "admin",
        stdout=out,
    )
    assert "AMM-155-HE" in out.getvalue() and "2030-02-01" in out.getvalue()
    assert ItemPrice.objects.filter(item_type__code="AMM-155-HE", valid_from=dt.date(2030, 2, 1)).exists()
