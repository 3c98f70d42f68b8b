"""The funds API: status contract, writes by finance officers, 4xx on bad input, never a 500."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from clearinghouse.funds.models import Contribution
from clearinghouse.funds.tests.factories import cash, committed_pledge, exemption, trio_fund

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_status_lists_every_member_with_the_contract_fields(
    personas: dict[str, Any], api_client: Any
) -> None:
    trio_fund(personas["admin"])
    cash(personas["finance"], "trio", "DEU", "100000.00", "EUR", "2024-03-01")
    client = api_client(personas["outsider"])
    assert (
        client.post(
            "/api/v1/funds/trio/opt-outs",
            data=json.dumps({"participant": "POL"}),
            content_type="application/json",
        ).status_code
        == 403
    )
    finance = api_client(personas["finance"])
    uncited = post(finance, "/api/v1/funds/trio/opt-outs", {"participant": "POL"})
    assert uncited.status_code == 422 and uncited.json()["field"] == "decision"
    granted = exemption(personas["admin"], "trio", "POL")
    cited = post(finance, "/api/v1/funds/trio/opt-outs", {"participant": "POL", "decision": granted})
    assert cited.status_code == 201 and cited.json()["decision"] == granted
    # A past date is for readers who see every contribution (it would date hidden ones).
    refused = client.get("/api/v1/funds/trio/status?year=2024&as_of=2025-06-01")
    assert refused.status_code == 422 and refused.json()["field"] == "as_of"
    r = client.get("/api/v1/funds/trio/status?year=2024")
    assert r.status_code == 200
    data = r.json()
    assert data["period"] == {"from": 2024, "to": 2024, "cumulative": False}
    members = {m["participant"]: m for m in data["members"]}
    assert set(members) == {"DEU", "FRA", "POL"}
    for m in members.values():
        assert {"participant", "share", "fair_share", "credited", "gap", "met_pct"} <= set(m)
    assert (members["DEU"]["share"], members["DEU"]["fair_share"], members["DEU"]["credited"]) == (
        "0.6250000000",
        "312500.00",
        "100000.00",
    )
    # DEU's payment is marked coordination: counted, but not as cash for the outsider.
    assert (members["DEU"]["credited_cash"], members["DEU"]["credited_not_releasable"]) == (
        "0.00",
        "100000.00",
    )
    assert (members["DEU"]["gap"], members["DEU"]["met_pct"]) == ("212500.00", "32.00")
    assert (members["POL"]["share"], members["POL"]["opted_out"], members["POL"]["met_pct"]) == (
        "0.0000000000",
        True,
        None,
    )
    assert data["totals"]["target"] == "500000.00" and data["totals"]["credited"] == "100000.00"
    assert sum(Decimal(m["share"]) for m in data["members"]) == 1
    past = api_client(personas["finance"]).get("/api/v1/funds/trio/status?year=2024&as_of=2025-06-01")
    assert past.status_code == 200 and past.json()["totals"]["credited_cash"] == "100000.00"


def test_cash_contribution_through_the_api(personas: dict[str, Any], api_client: Any) -> None:
    trio_fund(personas["admin"])
    client = api_client(personas["finance"])
    body = {
        "participant": "FRA",
        "amount": "10956.00",
        "currency": "USD",
        "value_date": "2024-01-02",
        "reference": "X1",
    }
    r = post(client, "/api/v1/funds/trio/contributions", body)
    assert r.status_code == 201, r.content
    out = r.json()
    assert (out["converted_amount"], out["fx_rate"], out["fx_date"], out["fund_currency"]) == (
        "10000.00",
        "0.9127418766",
        "2024-01-02",
        "EUR",
    )
    again = post(client, "/api/v1/funds/trio/contributions", body)
    assert again.status_code == 409 and "already credited" in again.json()["detail"]
    listed = client.get("/api/v1/funds/trio/contributions?participant=FRA").json()
    assert listed["count"] == 1 and listed["items"][0]["reference"] == "X1"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "QQQ"}, "currency"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"value_date": "2024-13-01"}, "value_date"),
        ({"participant": "ZZZ"}, "participant"),
        ({"participant": "USA"}, "participant"),
        ({"releasability": "top"}, "releasability"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    personas: dict[str, Any], api_client: Any, change: dict[str, Any], field: str
) -> None:
    trio_fund(personas["admin"])
    body = {"participant": "FRA", "amount": "10.00", "currency": "EUR", "value_date": "2024-01-02", **change}
    r = post(api_client(personas["finance"]), "/api/v1/funds/trio/contributions", body)
    assert r.status_code == 422, r.content
    assert field in r.json()["field"]
    assert Contribution.objects.count() == 0


def test_pledge_credit_twice_is_a_409(personas: dict[str, Any], api_client: Any) -> None:
    trio_fund(personas["admin"])
    trio_fund(personas["admin"], slug="trio-two")
    pledge = committed_pledge(personas)
    client = api_client(personas["finance"])
    assert (
        post(client, "/api/v1/funds/trio/pledge-credits", {"pledge_id": pledge.pk, "year": 2025}).status_code
        == 201
    )
    r = post(client, "/api/v1/funds/trio-two/pledge-credits", {"pledge_id": pledge.pk, "year": 2025})
    assert r.status_code == 409 and "credited once" in r.json()["detail"]


def test_fund_key_and_shares_routes(personas: dict[str, Any], api_client: Any) -> None:
    trio_fund(personas["admin"])
    client = api_client(personas["recipient"])
    fund = client.get("/api/v1/funds/trio").json()
    assert fund["yearly_targets"] == [{"year": y, "target": "500000.00"} for y in (2024, 2025, 2026)]
    key = client.get("/api/v1/burden-keys/trio-key").json()
    assert key["versions"][0]["weights"][0] == {
        "participant": "DEU",
        "weight": "50",
        "source": "test formula",
    }
    shares = client.get("/api/v1/funds/trio/shares?year=2025").json()
    assert shares["total"] == "1.0000000000" and shares["members"][0]["share"] == "0.5000000000"
    assert client.get("/api/v1/funds/trio/shares?year=1999").status_code == 422
    assert client.get("/api/v1/funds/trio/status?year=1999").status_code == 422
    assert client.get("/api/v1/funds/nope/status").status_code == 404


def test_create_fund_validates_input(personas: dict[str, Any], api_client: Any) -> None:
    trio_fund(personas["admin"])
    client = api_client(personas["finance"])
    body = {
        "slug": "f2",
        "name": "F2",
        "target_amount": "1000",
        "currency": "EUR",
        "first_year": 2025,
        "years": 2,
        "group": "trio",
        "burden_key": "trio-key",
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({"currency": "ABC"}, "currency"),
        ({"group": "nobody"}, "group"),
        ({"burden_key": "none"}, "burden_key"),
        ({"target_amount": "-3"}, "target_amount"),
        ({"slug": "keys"}, "slug"),
        ({"counts_kinds": ["cash"]}, "counts_kinds"),
    ]
    for change, field in cases:
        r = post(client, "/api/v1/funds", {**body, **change})
        assert r.status_code == 422 and r.json()["field"] == field, (change, r.content)
    assert post(client, "/api/v1/funds", body).status_code == 201
    assert post(client, "/api/v1/funds", body).status_code == 409
