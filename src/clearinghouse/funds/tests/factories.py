"""Small builders shared by the funds tests and the authorisation registry (tests/access.py)."""

from __future__ import annotations

from typing import Any

TRIO = ("DEU", "FRA", "POL")


def trio_fund(
    admin: Any,
    *,
    policy: str = "redistribute",
    slug: str = "trio",
    counts_capabilities: list[str] | None = None,
    in_kind_credit: str = "at_commitment",
) -> Any:
    """A fund of 1,500,000.00 EUR over 2024–2026 shared by DEU 50, FRA 30, POL 20 (a fixed key)."""
    from clearinghouse.funds import services
    from clearinghouse.funds.models import BurdenKey
    from clearinghouse.participants.models import Participant, ParticipantGroup

    group, _ = ParticipantGroup.objects.get_or_create(code="trio", defaults={"name": "Trio"})
    group.members.set(Participant.objects.filter(code__in=TRIO))
    if not BurdenKey.objects.filter(code="trio-key").exists():
        services.create_key_version(
            actor=admin,
            key="trio-key",
            name="Trio cost share",
            effective_year=2024,
            kind="fixed",
            weights={"DEU": "50", "FRA": "30", "POL": "20"},
            source="test formula",
        )
    return services.create_fund(
        actor=admin,
        data={
            "slug": slug,
            "name": f"Fund {slug}",
            "target_amount": "1500000.00",
            "currency": "EUR",
            "first_year": 2024,
            "years": 3,
            "group": "trio",
            "burden_key": "trio-key",
            "shortfall_policy": policy,
            "counts_capabilities": counts_capabilities or [],
            # The tests credit committed pledges (the rule itself is tested in test_in_kind_credit.py).
            "in_kind_credit": in_kind_credit,
        },
    )


def exemption(admin: Any, slug: str, participant: str) -> int:
    """The id of an adopted decision granting `participant` its opt-out of the fund `slug` (which an
    opt-out must cite): a decision on the opt-out itself, by silence closing today, of a test council."""
    from clearinghouse.core import clock
    from clearinghouse.governance import services as governance
    from clearinghouse.governance.models import Body

    Body.objects.get_or_create(
        code="fund-council", defaults={"name": "Fund council", "kind": "council", "procedure": "silence"}
    )
    decision = governance.propose_decision(
        actor=admin,
        data={
            "body": "fund-council",
            "title": f"{participant} abstains from {slug}",
            "procedure": "silence",
            "deadline": clock.today().isoformat(),
            "subject": "fund_opt_out",
            "subject_ref": slug,
            "subject_participant": participant,
        },
    )
    closed = governance.close_decision(actor=admin, decision_id=decision.pk)
    assert closed.status == "adopted"
    return int(closed.pk)


def opt_out(admin: Any, slug: str, participant: str, *, actor: Any = None, reason: str = "") -> Any:
    """Record `participant`'s opt-out of `slug` (by `actor`, the admin by default), citing a decision
    granting it (`exemption`)."""
    from clearinghouse.funds import services

    return services.opt_out(
        actor=actor or admin,
        slug=slug,
        participant=participant,
        reason=reason,
        decision=exemption(admin, slug, participant),
    )


def alliance_fund(admin: Any, *, slug: str = "ally-fund", in_kind_credit: str = "at_commitment") -> Any:
    """The demo's shape: 100 bn USD over 2025–2029, the alliance, GDP 2021 key, redistribute."""
    from clearinghouse.funds import services
    from clearinghouse.funds.models import BurdenKey

    services.load_gdp_series(actor=admin)
    if not BurdenKey.objects.filter(code="alliance-gdp").exists():
        services.create_key_version(
            actor=admin, key="alliance-gdp", effective_year=2025, kind="gdp", gdp_year=2021
        )
    return services.create_fund(
        actor=admin,
        data={
            "slug": slug,
            "name": "Alliance fund",
            "target_amount": "100000000000",
            "currency": "USD",
            "first_year": 2025,
            "years": 5,
            "group": "alliance",
            "burden_key": "alliance-gdp",
            "in_kind_credit": in_kind_credit,
        },
    )


def cash(admin: Any, slug: str, participant: str, amount: str, currency: str, date: str, **extra: Any) -> Any:
    from clearinghouse.funds import services

    data = {"participant": participant, "amount": amount, "currency": currency, "value_date": date, **extra}
    return services.record_cash_contribution(actor=admin, slug=slug, data=data)


def committed_pledge(personas: dict[str, Any], donor: str = "DEU", **data: Any) -> Any:
    """A pledge entered by the donor's officer, accepted by the cell and committed by the donor."""
    from clearinghouse.pledges import services as pledge_services

    officer = personas[f"donor_{donor.lower()}"]
    values: dict[str, Any] = {
        "donor": donor,
        "kind": "financial",
        "amount": "200000.00",
        "currency": "EUR",
        "available_from": "2025-03-03",
    }
    values.update(data)
    pledge = pledge_services.create_pledge(actor=officer, data=values)
    pledge_services.transition_pledge(actor=personas["coordinator"], pledge_id=pledge.pk, to="accepted")
    return pledge_services.transition_pledge(actor=officer, pledge_id=pledge.pk, to="committed")
