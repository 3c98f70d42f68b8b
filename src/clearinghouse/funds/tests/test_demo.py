"""The demo fund: idempotent seed, Hungary opted out under redistribute, cash in several currencies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clearinghouse.core.models import AuditEvent
from clearinghouse.funds import demo, selectors
from clearinghouse.funds.models import Contribution, Fund

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_shaped_as_the_issue_says(personas: dict[str, Any]) -> None:
    demo.seed(personas["admin"])
    counts = (Contribution.objects.count(), AuditEvent.objects.count())
    demo.seed(personas["admin"])
    assert (Contribution.objects.count(), AuditEvent.objects.count()) == counts
    fund = Fund.objects.get(slug="ukraine-fund")
    assert (fund.target_amount, fund.currency, fund.first_year, fund.last_year) == (
        100_000_000_000,
        "USD",
        2025,
        2029,
    )
    assert (fund.group.code, fund.shortfall_policy, fund.burden_key.versions.get().gdp_year) == (
        "alliance",
        "redistribute",
        2021,
    )
    assert list(fund.opt_outs.values_list("participant__code", flat=True)) == ["HUN"]
    currencies = set(Contribution.objects.filter(kind="cash").values_list("currency", flat=True))
    assert {"EUR", "GBP", "USD", "CAD", "NOK", "PLN", "SEK", "DKK", "CZK"} <= currencies
    years = set(Contribution.objects.values_list("value_date__year", flat=True))
    assert {2025, 2026} <= years
    status = selectors.status_of(fund, year=2025)
    assert len(status.members) == 32 and sum(m.share for m in status.members) == 1


def test_demo_credits_committed_in_kind_pledges_of_allies_once(personas: dict[str, Any]) -> None:
    from clearinghouse.catalog.services import load_catalog
    from clearinghouse.funds.tests.factories import committed_pledge

    load_catalog()
    in_kind: dict[str, Any] = {"kind": "in_kind", "item_type": "AD-NASAMS", "quantity": 2, "amount": None}
    firm = committed_pledge(personas, donor="POL", available_from="2025-04-05", **in_kind)  # a Saturday
    early = committed_pledge(personas, external_ref="EARLY", available_from="2024-05-02", **in_kind)
    tranches = [{"year": 2025, "amount": "100.00"}, {"year": 2026, "amount": "100.00"}]
    multi_year = committed_pledge(personas, amount="200.00", available_from="2025-02-03", tranches=tranches)
    demo.seed(personas["admin"])
    credited = {c.pledge_id: c for c in Contribution.objects.filter(kind="in_kind")}
    # Only in-kind pledges valued within the fund's years; the multi-year financial one is forecast.
    assert set(credited) == {firm.pk}
    c = credited[firm.pk]
    assert (c.currency, c.year, c.value_date.isoformat(), c.fx_date.isoformat()) == (
        firm.currency,
        2025,
        "2025-04-05",
        "2025-04-04",
    )
    assert c.converted_amount == (firm.value_amount * c.fx_rate).quantize(Decimal("0.01"))
    status = selectors.status_of(Fund.objects.get(slug="ukraine-fund"), as_of=dt.date(2026, 6, 1))
    assert [(s.participant, s.year) for s in status.slippage] == [("DEU", 2025)]
    assert status.forecast[0].year == 2026 and status.forecast[0].scheduled > 0
    assert early.pk not in credited and multi_year.pk not in credited
    demo.seed(personas["admin"])
    assert Contribution.objects.filter(kind="in_kind").count() == 1
