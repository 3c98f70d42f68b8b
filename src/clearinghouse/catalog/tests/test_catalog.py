"""The shipped catalog: capability areas, item types, the dated price list; CLI and API."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.catalog import selectors, services
from clearinghouse.catalog.models import CapabilityArea, ItemPrice, ItemType
from clearinghouse.catalog.services import load_catalog
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.models import AuditEvent

pytestmark = pytest.mark.django_db

REQUIRED_AREAS = {
    "Air defence",
    "Artillery",
    "Ammunition",
    "Armour",
    "Infantry fighting vehicles",
    "Rocket artillery",
    "Drones",
    "Demining",
    "Medical",
    "Logistics and fuel",
    "Training",
    "Winter equipment",
    "Air force",
    "Maritime",
    "Electronic warfare",
    "Counter-drone",
    "IT and communications",
}


def test_the_shipped_catalog_loads_every_capability_area_and_priced_item_types() -> None:
    counts = load_catalog()
    assert counts["created"] > 0 and counts["updated"] == 0
    assert set(CapabilityArea.objects.values_list("name", flat=True)) >= REQUIRED_AREAS
    assert ItemType.objects.count() == 83
    for area in CapabilityArea.objects.all():
        assert area.item_types.exists(), f"{area.code} has no item types"
    unpriced = ItemType.objects.filter(prices__isnull=True)
    assert not unpriced.exists(), list(unpriced)
    shell = ItemType.objects.get(code="AMM-155-HE")
    assert (shell.capability.code, shell.unit, shell.family) == ("ammunition", "rounds", "155mm-NATO")
    # Interceptors and anti-aircraft rounds are air defence, not ammunition (issue 14).
    for code in ("AMM-PATRIOT", "AMM-AMRAAM", "AMM-IRIST", "AMM-35-AA"):
        assert ItemType.objects.get(code=code).capability.code == "air-defence", code
    # Guns and their rounds share the compatibility family.
    assert ItemType.objects.get(code="ART-M777").family == shell.family


def test_loading_twice_changes_nothing_and_writes_no_audit_event() -> None:
    load_catalog()
    events = AuditEvent.objects.count()
    # 17 capability areas, 83 item types, 85 dated prices, 10 dependent-need rules.
    assert load_catalog() == {"created": 0, "updated": 0, "unchanged": 195}
    assert AuditEvent.objects.count() == events


def test_prices_derived_from_the_kiel_tracker_match_its_file() -> None:
    load_catalog()
    # Kiel R29 weapons.csv: Canada, NASAMS, 49,013,492 EUR for 1 system.
    price = ItemPrice.objects.get(item_type__code="AD-NASAMS")
    assert (price.unit_value, price.currency) == (Decimal("49013492.00"), "EUR")
    assert "Kiel Institute" in price.source


def test_the_price_list_is_dated_so_revisions_leave_earlier_dates_alone() -> None:
    load_catalog()
    shell = ItemType.objects.get(code="AMM-155-HE")
    assert selectors.reference_price(shell, dt.date(2021, 12, 31)) is None
    assert _unit_value(shell, dt.date(2023, 6, 1)) == Decimal("3000.00")
    assert _unit_value(shell, dt.date(2024, 1, 1)) == Decimal("8000.00")
    ItemPrice.objects.create(
        item_type=shell,
        unit_value=Decimal("9000"),
        currency="EUR",
        source="t",
        valid_from=dt.date(2025, 1, 1),
    )
    assert _unit_value(shell, dt.date(2024, 6, 1)) == Decimal("8000.00")
    assert _unit_value(shell, dt.date(2025, 6, 1)) == Decimal("9000.00")


def test_cli_lists_item_types_as_json_and_as_a_table() -> None:
    load_catalog()
    out = StringIO()
    call_command("catalog", "list", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert len(data["items"]) == ItemType.objects.count()
    item = next(i for i in data["items"] if i["code"] == "ART-M777")
    assert item["name"] == "M777 155mm towed howitzer"
    assert (item["capability"], item["unit"], item["family"]) == ("artillery", "guns", "155mm-NATO")
    assert item["currency"] == "EUR" and item["price_date"] == "2022-01-24"
    out = StringIO()
    call_command("catalog", "list", "--capability", "drones", stdout=out)
    assert "DRN-FPV" in out.getvalue() and "ART-M777" not in out.getvalue()


def test_cli_load_acts_as_the_named_account(personas: dict[str, Any]) -> None:
    out = StringIO()
    call_command("catalog", "load", "--as", "admin", stdout=out)
    assert "created" in out.getvalue()
    assert AuditEvent.objects.filter(object_type="catalog.itemtype", actor="admin").exists()


def test_api_lists_capabilities_and_filters_item_types(personas: dict[str, Any], api_client: Any) -> None:
    load_catalog()
    client = api_client(personas["analyst"])
    areas = client.get("/api/v1/catalog/capabilities?limit=100").json()
    assert areas["count"] >= 12 and areas["items"][0]["code"] == "air-defence"
    drones = client.get("/api/v1/catalog/item-types?capability=drones").json()
    assert drones["count"] == ItemType.objects.filter(capability__code="drones").count()
    assert {i["capability"] for i in drones["items"]} == {"drones"}
    shell = client.get("/api/v1/catalog/item-types/AMM-155-HE").json()
    assert [p["unit_value"] for p in shell["prices"]] == ["3000.00", "8000.00"]
    assert client.get("/api/v1/catalog/item-types/NOPE").status_code == 404
    assert api_client(None).get("/api/v1/catalog/item-types").status_code == 401


def _unit_value(item: ItemType, on: dt.date) -> Decimal | None:
    price = selectors.reference_price(item, on)
    return price.unit_value if price is not None else None


def test_default_equivalence_factors_are_reviewed_data_with_a_rationale_and_source() -> None:
    load_catalog()
    factors = {
        t.code: (t.equivalence_family, t.default_factor)
        for t in ItemType.objects.filter(code__in=["AD-PATRIOT", "AD-SAMPT", "AD-NASAMS", "AD-IRIST-SLM"])
    }
    assert factors == {
        "AD-PATRIOT": ("medium-range-air-defence", Decimal("1.000")),
        "AD-SAMPT": ("medium-range-air-defence", Decimal("1.000")),
        "AD-NASAMS": ("medium-range-air-defence", Decimal("0.500")),
        "AD-IRIST-SLM": ("medium-range-air-defence", Decimal("0.500")),
    }
    stated = ItemType.objects.exclude(equivalence_family="")
    assert stated.count() == 21
    assert not stated.filter(equivalence_rationale="").exists()
    assert not stated.filter(equivalence_source="").exists()
    # Types the file does not name count 1 and belong to no family.
    shell = ItemType.objects.get(code="AMM-155-HE")
    assert (shell.equivalence_family, shell.default_factor) == ("", Decimal("1.000"))


@pytest.mark.parametrize("value", ["0", "-1", "10.5", "0.0005", "abc", ""])
def test_an_equivalence_factor_out_of_bounds_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="must be a number > 0 and at most 10"):
        services.equivalence_factor(value, "factor")
