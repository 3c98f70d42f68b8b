"""Equivalence factors on requirements: CODE:factor in services, spreadsheets and the API."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.catalog.services import load_catalog
from clearinghouse.core.errors import InvalidInput
from clearinghouse.requirements import services, spreadsheets
from clearinghouse.requirements.models import Requirement

pytestmark = pytest.mark.django_db

AIR_DEFENCE = {
    "external_ref": "AD-1",
    "item_types": "AD-PATRIOT; AD-SAMPT; AD-NASAMS:0.4; AD-IRIST-SLM",
    "quantity": "10",
    "unit": "Patriot-equivalent fire units",
    "priority": "critical",
}


def test_a_bare_code_counts_the_catalog_default_and_code_factor_overrides_it(
    personas: dict[str, Any],
) -> None:
    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(AIR_DEFENCE))
    assert r.item_factors == {"AD-NASAMS": "0.400"}
    assert r.factors() == {
        "AD-IRIST-SLM": Decimal("0.500"),  # catalog default
        "AD-NASAMS": Decimal("0.4"),  # this requirement's override
        "AD-PATRIOT": Decimal("1.000"),
        "AD-SAMPT": Decimal("1.000"),
    }
    assert r.has_factors
    # An update that restates the same thing changes nothing; dropping the override restores the default.
    services.update_requirement(actor=personas["recipient"], requirement_id=r.pk, changes={"quantity": 10})
    r.refresh_from_db()
    assert r.item_factors == {"AD-NASAMS": "0.400"}
    services.update_requirement(
        actor=personas["recipient"], requirement_id=r.pk, changes={"item_types": ["AD-PATRIOT", "AD-NASAMS"]}
    )
    r.refresh_from_db()
    assert r.item_factors == {} and r.factors()["AD-NASAMS"] == Decimal("0.500")


@pytest.mark.parametrize(
    ("item_types", "message"),
    [
        ("AD-PATRIOT;AD-NASAMS:0", "item_types: the factor of AD-NASAMS must be a number > 0 and at most 10"),
        (
            "AD-PATRIOT;AD-NASAMS:11",
            "item_types: the factor of AD-NASAMS must be a number > 0 and at most 10",
        ),
        ("AD-NASAMS:half", "item_types: the factor of AD-NASAMS must be a number > 0 and at most 10"),
        ("AD-NASAMS:0.5;AD-NASAMS:0.6", "item_types: AD-NASAMS is given two different factors"),
        (":0.5", "item_types: ':0.5' has no item type code"),
    ],
)
def test_bad_factors_name_the_field(personas: dict[str, Any], item_types: str, message: str) -> None:
    load_catalog()
    with pytest.raises(InvalidInput) as err:
        services.create_requirement(
            actor=personas["recipient"], data={**AIR_DEFENCE, "item_types": item_types}
        )
    assert err.value.field == "item_types" and str(err.value.message).startswith(message)
    assert not Requirement.objects.exists()


def test_spreadsheet_import_and_export_carry_the_factors(personas: dict[str, Any], tmp_path: Path) -> None:
    load_catalog()
    src = tmp_path / "requirements.csv"
    src.write_text(
        "external_ref,capability,item_types,quantity,priority,needed_by,releasability,notes\n"
        'AD-1,air-defence,"AD-PATRIOT;AD-NASAMS:0.4;AD-IRIST-SLM",10,critical,,,\n',
        encoding="utf-8",
    )
    spreadsheets.import_file(actor=personas["recipient"], path=src)
    r = Requirement.objects.get(external_ref="AD-1")
    assert r.factors()["AD-NASAMS"] == Decimal("0.4")
    _, rows = spreadsheets.export_rows(user=personas["recipient"])
    assert rows[0][2] == "AD-IRIST-SLM;AD-NASAMS:0.4;AD-PATRIOT"


def test_the_api_accepts_code_factor_and_reports_effective_factors(
    personas: dict[str, Any], api_client: Any
) -> None:
    load_catalog()
    client = api_client(personas["recipient"])
    body = {"external_ref": "AD-2", "item_types": ["AD-PATRIOT", "AD-NASAMS:0.25"], "quantity": 4}
    created = client.post("/api/v1/requirements", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["item_factors"] == {"AD-NASAMS": "0.25", "AD-PATRIOT": "1"}
    bad = client.post(
        "/api/v1/requirements", {**body, "item_types": ["AD-NASAMS:20"]}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["field"].endswith("item_types")


def test_the_requirement_page_shows_its_factors(personas: dict[str, Any], page_client: Any) -> None:
    load_catalog()
    r = services.create_requirement(actor=personas["recipient"], data=dict(AIR_DEFENCE))
    html = page_client(personas["recipient"]).get(f"/requirements/{r.pk}/").content.decode()
    assert "Equivalence factors" in html
    assert "one AD-NASAMS provides 0.4 Patriot-equivalent fire units" in html
    assert "one AD-IRIST-SLM provides 0.5 Patriot-equivalent fire units" in html
    plain = services.create_requirement(
        actor=personas["recipient"], data={"external_ref": "AMM-1", "item_types": "AMM-155-HE", "quantity": 5}
    )
    assert (
        "Equivalence factors"
        not in page_client(personas["recipient"]).get(f"/requirements/{plain.pk}/").content.decode()
    )
