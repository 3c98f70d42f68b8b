"""A fund's in-kind credit rule: `at_delivery` (the default) credits a pledge once it is delivered,
value-dated by its last delivery; `at_commitment` credits it once committed. Chosen at creation."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.core.errors import Conflict, InvalidInput
from clearinghouse.funds import selectors, services
from clearinghouse.funds.models import Fund
from clearinghouse.funds.tests.factories import committed_pledge, trio_fund
from clearinghouse.pledges import services as pledge_services
from clearinghouse.pledges.tests import factories

pytestmark = pytest.mark.django_db


def delivered_in_kind(personas: dict[str, Any]) -> Any:
    """10 rounds of DEU at 3,000.00 EUR, committed, allocated and delivered in two parts (April, May)."""
    p = factories.accepted(personas, "donor_deu", quantity=10, available_from="2024-01-02")
    p = pledge_services.transition_pledge(actor=personas["donor_deu"], pledge_id=p.pk, to="committed")
    r = factories.requirement(personas)
    a = pledge_services.allocate(
        actor=personas["coordinator"], pledge_id=p.pk, requirement_id=r.pk, quantity=10
    )
    for quantity, day in ((4, dt.date(2024, 4, 2)), (6, dt.date(2024, 5, 6))):
        pledge_services.record_delivery(
            actor=personas["donor_deu"], allocation_id=a.pk, quantity=quantity, delivered_on=day
        )
    p.refresh_from_db()
    return p


def deu_in_kind(slug: str, year: int) -> Decimal:
    status = selectors.status_of(Fund.objects.get(slug=slug), year=year)
    return next(m.credited_in_kind for m in status.members if m.participant == "DEU")


def test_a_fund_credits_at_delivery_by_default(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"], in_kind_credit="")  # not given: the default
    assert fund.in_kind_credit == "at_delivery"
    committed = committed_pledge(personas, amount="50000.00", available_from="2024-02-01")
    with pytest.raises(Conflict, match="credits pledges at delivery: only a delivered pledge is credited"):
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=committed.pk)
    assert deu_in_kind("trio", 2024) == Decimal("0.00")
    delivered = delivered_in_kind(personas)
    assert delivered.status == "delivered"
    credit = services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=delivered.pk)
    # Value-dated by the last delivery: it counts from May 2024, in the year 2024.
    assert (credit.value_date, credit.year, credit.converted_amount) == (
        dt.date(2024, 5, 6),
        2024,
        Decimal("30000.00"),
    )
    assert deu_in_kind("trio", 2024) == Decimal("30000.00")


def test_a_fund_credits_at_commitment_when_created_so(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"], in_kind_credit="at_commitment")
    assert fund.in_kind_credit == "at_commitment"
    committed = committed_pledge(personas, amount="50000.00", available_from="2024-02-01")
    credit = services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=committed.pk)
    assert (credit.value_date, credit.converted_amount) == (dt.date(2024, 2, 1), Decimal("50000.00"))
    assert deu_in_kind("trio", 2024) == Decimal("50000.00")
    # An offer is not credited under either rule.
    offered = factories.financial(personas, "donor_deu", currency="EUR", amount="10.00")
    with pytest.raises(Conflict, match="only committed, in-delivery or delivered pledges are credited"):
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=offered.pk)


def test_the_rule_is_chosen_at_creation_through_each_door(personas: dict[str, Any], api_client: Any) -> None:
    trio_fund(personas["admin"])
    client = api_client(personas["finance"])
    body = {
        "slug": "by-api",
        "name": "By API",
        "target_amount": "300.00",
        "currency": "EUR",
        "first_year": 2025,
        "years": 3,
        "group": "trio",
        "burden_key": "trio-key",
    }
    r = client.post("/api/v1/funds", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["in_kind_credit"] == "at_delivery"
    r = client.post(
        "/api/v1/funds",
        {**body, "slug": "by-api-2", "in_kind_credit": "at_commitment"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["in_kind_credit"] == "at_commitment"
    r = client.post(
        "/api/v1/funds",
        {**body, "slug": "by-api-3", "in_kind_credit": "whenever"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "in_kind_credit"
    with pytest.raises(InvalidInput, match="in_kind_credit cannot be changed"):
        services.update_fund(
            actor=personas["finance"], slug="by-api", changes={"in_kind_credit": "at_commitment"}
        )
    out = io.StringIO()
    call_command(
        "fund",
        "create",
        "by-cli",
        "--name",
        "By CLI",
        "--target",
        "300.00",
        "--currency",
        "EUR",
        "--first-year",
        "2025",
        "--years",
        "3",
        "--group",
        "trio",
        "--key",
        "trio-key",
        "--in-kind-credit",
        "at_commitment",
        "--as",
        "finance",
        stdout=out,
    )
    assert "in-kind credit at_commitment" in out.getvalue()
    assert Fund.objects.get(slug="by-cli").in_kind_credit == "at_commitment"


def test_the_fund_page_names_the_rule(personas: dict[str, Any], page_client: Any) -> None:
    from django.urls import reverse

    trio_fund(personas["admin"], in_kind_credit="at_delivery")
    html = page_client(personas["analyst"]).get(reverse("fund-detail", args=["trio"])).content.decode()
    assert 'id="in-kind-credit">At delivery (the pledge is delivered)' in html
