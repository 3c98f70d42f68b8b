"""The fund's services and status: targets, shares under both policies, FX, double credit, compliance,
predictability and slippage, permissions, releasability and the audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clearinghouse.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clearinghouse.core.models import AuditEvent
from clearinghouse.funds import selectors, services
from clearinghouse.funds.models import Contribution, Fund, FundYear
from clearinghouse.funds.tests.factories import alliance_fund, cash, committed_pledge, opt_out, trio_fund

pytestmark = pytest.mark.django_db
D = Decimal
MID_2025 = dt.date(2025, 6, 1)


def lines(status: Any) -> dict[str, Any]:
    return {m.participant: m for m in status.members}


def test_the_target_is_split_evenly_per_year_to_the_cent(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"])
    assert dict(FundYear.objects.filter(fund=fund).values_list("year", "target")) == {
        2024: D("500000.00"),
        2025: D("500000.00"),
        2026: D("500000.00"),
    }
    assert services.split_evenly(D("100.00"), [2025, 2026, 2027]) == {
        2025: D("33.34"),
        2026: D("33.33"),
        2027: D("33.33"),
    }


def test_a_yearly_schedule_must_cover_every_year_and_add_up(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    data = {
        "slug": "scheduled",
        "name": "Scheduled",
        "target_amount": "1000",
        "currency": "EUR",
        "first_year": 2025,
        "years": 2,
        "group": "trio",
        "burden_key": "trio-key",
    }
    with pytest.raises(InvalidInput) as e:
        services.create_fund(
            actor=personas["admin"],
            data={
                **data,
                "yearly_targets": [{"year": 2025, "target": "600"}, {"year": 2026, "target": "300"}],
            },
        )
    assert e.value.field == "yearly_targets"
    fund = services.create_fund(
        actor=personas["admin"],
        data={**data, "yearly_targets": [{"year": 2025, "target": "700"}, {"year": 2026, "target": "300"}]},
    )
    status = selectors.status_of(fund, year=2025, as_of=MID_2025)
    assert lines(status)["DEU"].fair_share == D("350.00")  # 0.5 x 700


def test_fair_shares_credited_gap_and_met_pct_by_hand(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"])
    cash(personas["admin"], "trio", "DEU", "100000.00", "EUR", "2024-03-01")
    status = selectors.status_of(fund, year=2024, as_of=MID_2025)
    deu, fra, pol = lines(status)["DEU"], lines(status)["FRA"], lines(status)["POL"]
    assert (deu.share, fra.share, pol.share) == (D("0.5"), D("0.3"), D("0.2"))
    assert (deu.fair_share, fra.fair_share, pol.fair_share) == (
        D("250000.00"),
        D("150000.00"),
        D("100000.00"),
    )
    assert (deu.credited, deu.gap, deu.surplus, deu.met_pct) == (
        D("100000.00"),
        D("150000.00"),
        0,
        D("40.00"),
    )
    assert fra.met_pct == D("0.00")
    assert status.target == D("500000.00") and status.credited == D("100000.00")
    assert status.shortfall == D("400000.00") and status.met_pct == D("20.00")
    # Cumulative to the current year (2025): two years of fair shares, the same credit.
    cumulative = selectors.status_of(fund, as_of=MID_2025)
    assert cumulative.period == (2024, 2025) and cumulative.cumulative
    assert lines(cumulative)["DEU"].fair_share == D("500000.00")
    assert lines(cumulative)["DEU"].gap == D("400000.00")
    assert cumulative.target == D("1000000.00")
    assert [y.state for y in cumulative.years] == ["past", "current", "future"]


def test_opt_out_under_redistribute_moves_the_share_to_the_others_by_key(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"], policy="redistribute")
    opt_out(personas["admin"], "trio", "POL", actor=personas["finance"], reason="abstains")
    status = selectors.status_of(fund, year=2024, as_of=MID_2025)
    got = {c: (m.share, m.fair_share, m.opted_out) for c, m in lines(status).items()}
    # DEU 50 / 80, FRA 30 / 80; POL stays listed with share 0.
    assert got == {
        "DEU": (D("0.625"), D("312500.00"), False),
        "FRA": (D("0.375"), D("187500.00"), False),
        "POL": (D("0"), D("0.00"), True),
    }
    assert status.unfunded == 0 and status.fair_share_total == status.target
    assert lines(status)["POL"].met_pct is None


def test_opt_out_left_unfunded_keeps_the_others_key_shares(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"], policy="leave_unfunded")
    opt_out(personas["admin"], "trio", "POL", actor=personas["finance"])
    status = selectors.status_of(fund, year=2024, as_of=MID_2025)
    got = {c: (m.share, m.fair_share) for c, m in lines(status).items()}
    assert got == {
        "DEU": (D("0.5"), D("250000.00")),
        "FRA": (D("0.3"), D("150000.00")),
        "POL": (D("0"), D("0.00")),
    }
    assert status.unfunded == D("100000.00")
    assert status.fair_share_total + status.unfunded == status.target
    assert status.rounding == 0
    table = selectors.share_tables(fund)[2024]
    assert table.paying_total == D("0.8") and table.unfunded == D("0.2")


def test_the_last_paying_member_cannot_opt_out_under_redistribute(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    opt_out(personas["admin"], "trio", "POL", actor=personas["finance"])
    opt_out(personas["admin"], "trio", "FRA", actor=personas["finance"])
    with pytest.raises(Conflict, match="nothing to share"):
        opt_out(personas["admin"], "trio", "DEU", actor=personas["finance"])
    with pytest.raises(Conflict, match="already opted out"):
        opt_out(personas["admin"], "trio", "FRA", actor=personas["finance"])
    services.cancel_opt_out(actor=personas["finance"], slug="trio", participant="FRA")
    assert sorted(Fund.objects.get(slug="trio").opt_outs.values_list("participant__code", flat=True)) == [
        "POL"
    ]


def test_a_key_version_takes_effect_in_its_year(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"])
    services.create_key_version(
        actor=personas["finance"],
        key="trio-key",
        effective_year=2025,
        kind="fixed",
        weights={"DEU": "40", "FRA": "40", "POL": "20"},
    )
    tables = selectors.share_tables(fund)
    assert tables[2024].share_of("DEU") == D("0.5")
    assert tables[2025].share_of("DEU") == D("0.4") and tables[2026].share_of("FRA") == D("0.4")


def test_gdp_key_shares_of_the_alliance_sum_to_one(personas: dict[str, Any]) -> None:
    fund = alliance_fund(personas["admin"])
    table = selectors.share_tables(fund)[2025]
    assert len(table.members) == 32
    assert table.paying_total == 1
    # USA: 19712.763961 / 41940.xx of the allies' 2021 GDP (EUR bn).
    weights = {m.participant: m.weight for m in table.members}
    usa = weights["USA"] / sum(weights.values())
    assert abs(table.share_of("USA") - usa) < D("1e-10")
    status = selectors.status_of(fund, year=2025, as_of=MID_2025)
    assert status.fair_share_total == D("20000000000.00")


def test_cash_is_converted_at_the_ecb_rate_of_the_value_date_and_stored(personas: dict[str, Any]) -> None:
    alliance_fund(personas["admin"])
    c = cash(personas["finance"], "ally-fund", "DEU", "1000000.00", "EUR", "2024-01-02", year=2025)
    assert (c.fx_rate, c.fx_date, c.converted_amount) == (D("1.0956"), dt.date(2024, 1, 2), D("1095600.00"))
    trio_fund(personas["admin"])
    usd = cash(personas["finance"], "trio", "FRA", "10956.00", "USD", "2024-01-02")
    # 1 / 1.0956 to 10 decimals; 10956 x 0.9127418766 = 9999.99999995 -> 10000.00
    assert (usd.fx_rate, usd.converted_amount, usd.currency) == (D("0.9127418766"), D("10000.00"), "USD")
    weekend = cash(personas["finance"], "trio", "FRA", "86645.00", "GBP", "2024-01-06")
    assert weekend.fx_date == dt.date(2024, 1, 5) and weekend.value_date == dt.date(2024, 1, 6)


def test_the_same_payment_is_credited_once(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    trio_fund(personas["admin"], slug="trio-two")
    cash(personas["finance"], "trio", "DEU", "100.00", "EUR", "2024-03-01", reference="DE-001")
    before = Contribution.objects.count()
    with pytest.raises(Conflict, match="already credited"):
        cash(personas["finance"], "trio", "DEU", "100.00", "EUR", "2024-03-01", reference="DE-001")
    with pytest.raises(Conflict, match="already credited"):
        cash(personas["finance"], "trio-two", "DEU", "100.00", "EUR", "2024-03-01", reference="DE-001")
    assert Contribution.objects.count() == before
    # Another member's payment may carry the same reference text.
    cash(personas["finance"], "trio", "FRA", "100.00", "EUR", "2024-03-01", reference="DE-001")


def test_the_same_pledge_is_credited_once_across_funds(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    trio_fund(personas["admin"], slug="trio-two")
    pledge = committed_pledge(personas)
    c = services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=pledge.pk, today=MID_2025)
    assert (c.kind, c.pledge_id, c.owner.code, c.converted_amount, c.year) == (
        "in_kind",
        pledge.pk,
        "DEU",
        D("200000.00"),
        2025,
    )
    with pytest.raises(Conflict, match="already credited to trio"):
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=pledge.pk)
    with pytest.raises(Conflict, match="already credited to trio"):
        services.credit_pledge(actor=personas["finance"], slug="trio-two", pledge_id=pledge.pk)
    assert Contribution.objects.filter(pledge=pledge).count() == 1
    # Once its credit is reversed (a correction), the pledge may be credited again, in force once.
    services.reverse_contribution(
        actor=personas["finance"], slug="trio", contribution_id=c.pk, reason="wrong fund"
    )
    again = services.credit_pledge(
        actor=personas["finance"], slug="trio", pledge_id=pledge.pk, today=MID_2025
    )
    with pytest.raises(Conflict, match="already credited to trio"):
        services.credit_pledge(actor=personas["finance"], slug="trio-two", pledge_id=pledge.pk)
    assert list(services.in_force().filter(pledge=pledge)) == [again]
    status = selectors.status_of(Fund.objects.get(slug="trio"), year=2025, as_of=MID_2025)
    assert lines(status)["DEU"].credited_in_kind == D("200000.00")


def test_pledges_are_credited_by_the_funds_rule(personas: dict[str, Any]) -> None:
    from clearinghouse.catalog.services import load_catalog
    from clearinghouse.pledges import services as pledge_services

    load_catalog()
    trio_fund(personas["admin"], counts_capabilities=["artillery"])
    offered = pledge_services.create_pledge(
        actor=personas["donor_deu"],
        data={
            "donor": "DEU",
            "kind": "financial",
            "amount": "5.00",
            "currency": "EUR",
            "available_from": "2025-01-02",
        },
    )
    with pytest.raises(Conflict, match="is offered"):
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=offered.pk)
    air_defence = committed_pledge(
        personas, kind="in_kind", item_type="AD-NASAMS", quantity=1, amount=None, currency=None
    )
    with pytest.raises(InvalidInput, match="air-defence does not count") as e:
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=air_defence.pk)
    assert e.value.field == "pledge_id"
    services.update_fund(actor=personas["finance"], slug="trio", changes={"counts_kinds": ["in_kind"]})
    financial = committed_pledge(personas, external_ref="F-2")
    with pytest.raises(InvalidInput, match="financial pledges do not count"):
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=financial.pk)
    usa = committed_pledge(
        personas, donor="USA", kind="in_kind", item_type="AD-NASAMS", quantity=1, amount=None
    )
    services.update_fund(actor=personas["finance"], slug="trio", changes={"counts_capabilities": []})
    with pytest.raises(InvalidInput, match="USA is not a member"):
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=usa.pk)
    # An in-kind pledge credited at its valuation (the catalog's reference price, EUR): worth more than
    # DEU's fair share of the whole fund, so only when confirmed.
    with pytest.raises(services.NeedsConfirmation, match="larger than DEU's fair share") as big:
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=air_defence.pk, year=2025)
    assert big.value.field == "confirm" and not Contribution.objects.filter(pledge=air_defence).exists()
    c = services.credit_pledge(
        actor=personas["finance"], slug="trio", pledge_id=air_defence.pk, year=2025, confirm=True
    )
    assert c.amount == air_defence.value_amount and c.converted_amount == air_defence.value_amount
    with pytest.raises(InvalidInput) as missing:
        services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=999999)
    assert missing.value.field == "pledge_id"


def test_predictability_and_slippage_from_multi_year_pledges(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"])
    tranches = [{"year": y, "amount": "100000.00"} for y in (2024, 2025, 2026)]
    pledge = committed_pledge(
        personas, donor="POL", amount="300000.00", available_from="2024-02-01", tranches=tranches
    )
    status = selectors.status_of(fund, as_of=MID_2025)
    assert [(s.participant, s.year, s.amount) for s in status.slippage] == [("POL", 2024, D("100000.00"))]
    assert [(f.year, f.target, f.scheduled, f.coverage_pct) for f in status.forecast] == [
        (2025, D("500000.00"), D("100000.00"), D("20.00")),
        (2026, D("500000.00"), D("100000.00"), D("20.00")),
    ]
    pol = next(f for f in status.member_forecast if f.participant == "POL")
    assert (pol.remaining_fair_share, pol.scheduled, pol.coverage_pct) == (
        D("200000.00"),
        D("200000.00"),
        D("100.00"),
    )
    services.credit_pledge(actor=personas["finance"], slug="trio", pledge_id=pledge.pk, year=2024)
    after = selectors.status_of(fund, as_of=MID_2025)
    assert after.slippage == [] and all(f.scheduled == 0 for f in after.forecast)


def test_members_in_arrears_are_those_behind_their_fair_shares_to_date(personas: dict[str, Any]) -> None:
    fund = trio_fund(personas["admin"])
    cash(personas["finance"], "trio", "DEU", "600000.00", "EUR", "2024-05-02")  # ahead: 500,000 due to date
    cash(personas["finance"], "trio", "POL", "150000.00", "EUR", "2024-05-02")  # behind: 200,000 due
    status = selectors.status_of(fund, as_of=MID_2025)
    assert status.arrears == ["FRA", "POL"]
    assert selectors.status_of(fund, as_of=dt.date(2024, 6, 1)).arrears == ["FRA"]


def test_only_finance_officers_and_admins_write(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    for name in ("donor_deu", "coordinator", "analyst", "auditor"):
        with pytest.raises(PermissionDenied):
            cash(personas[name], "trio", "DEU", "1.00", "EUR", "2024-03-01")
        with pytest.raises(PermissionDenied):
            services.opt_out(actor=personas[name], slug="trio", participant="POL")
    with pytest.raises(NotFound):
        cash(personas["finance"], "no-such-fund", "DEU", "1.00", "EUR", "2024-03-01")


def test_contributions_follow_their_releasability_but_compliance_counts_them_all(
    personas: dict[str, Any],
) -> None:
    fund = trio_fund(personas["admin"])
    cash(personas["finance"], "trio", "DEU", "1000.00", "EUR", "2024-03-01", releasability="owner")
    cash(personas["finance"], "trio", "FRA", "2000.00", "EUR", "2024-03-01", releasability="contact_group")
    seen = {
        name: sorted(
            selectors.contribution_list(user=personas[name], fund=fund).values_list("owner__code", flat=True)
        )
        for name in ("donor_deu", "donor_usa", "outsider", "coordinator")
    }
    assert seen == {
        "donor_deu": ["DEU", "FRA"],
        "donor_usa": ["FRA"],
        "outsider": ["FRA"],
        "coordinator": ["DEU", "FRA"],
    }
    # The compliance figure counts both; the breakdown shows only what the reader may see.
    deu = lines(selectors.fund_status(user=personas["outsider"], slug="trio", year=2024))["DEU"]
    assert (deu.credited, deu.credited_cash, deu.credited_not_releasable) == (D("1000.00"), 0, D("1000.00"))
    fra = lines(selectors.fund_status(user=personas["outsider"], slug="trio", year=2024))["FRA"]
    assert (fra.credited, fra.credited_cash, fra.credited_not_releasable) == (D("2000.00"), D("2000.00"), 0)


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    good = {"participant": "DEU", "amount": "10.00", "currency": "EUR", "value_date": "2024-03-01"}
    cases: dict[str, list[dict[str, Any]]] = {
        "amount": [{"amount": "-5"}, {"amount": "abc"}, {"amount": "1.005"}, {"amount": "0"}],
        "currency": [{"currency": "XYZ"}, {"currency": "UAH"}, {"currency": ""}],
        "value_date": [{"value_date": "2024-02-30"}, {"value_date": "2999-01-01"}],
        "participant": [{"participant": "XXX"}, {"participant": "USA"}],
        "year": [{"year": 2031}, {"value_date": "2023-12-29"}],
        "releasability": [{"releasability": "secret"}],
    }
    events = AuditEvent.objects.count()
    for field, variants in cases.items():
        for change in variants:
            with pytest.raises(InvalidInput) as e:
                services.record_cash_contribution(
                    actor=personas["finance"], slug="trio", data={**good, **change}
                )
            assert e.value.field == field, (change, e.value.message)
    assert Contribution.objects.count() == 0 and AuditEvent.objects.count() == events


def test_writes_are_audited_and_a_no_change_update_writes_nothing(personas: dict[str, Any]) -> None:
    trio_fund(personas["admin"])
    c = cash(personas["finance"], "trio", "DEU", "1000.00", "USD", "2024-01-02", reference="R-1")
    event = AuditEvent.objects.filter(object_type="funds.contribution", object_id=str(c.pk)).get()
    assert event.actor == "finance" and event.after["converted_amount"] == "912.74"
    assert event.after["fx_rate"] == "0.9127418766" and event.after["fx_date"] == "2024-01-02"
    count = AuditEvent.objects.count()
    services.update_fund(actor=personas["finance"], slug="trio", changes={"notes": ""})
    assert AuditEvent.objects.count() == count
    services.update_fund(
        actor=personas["finance"], slug="trio", changes={"shortfall_policy": "leave_unfunded"}
    )
    assert AuditEvent.objects.count() == count + 1


def test_gdp_series_ships_every_ally_with_source_and_loads_idempotently(personas: dict[str, Any]) -> None:
    from clearinghouse.funds.models import GdpFigure
    from clearinghouse.participants.models import Participant

    first = services.load_gdp_series()
    assert first == {"created": 32, "updated": 0}
    assert services.load_gdp_series() == {"created": 0, "updated": 0}
    allies = set(Participant.objects.filter(kind="ally").values_list("code", flat=True))
    figures = GdpFigure.objects.filter(year=2021)
    assert set(figures.values_list("participant__code", flat=True)) == allies
    assert all(f.source and f.gdp_eur_bn > 0 for f in figures)
    assert figures.get(participant__code="DEU").gdp_eur_bn == D("3601.750000")
    assert "World Bank" in figures.get(participant__code="MNE").source
