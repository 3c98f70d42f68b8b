"""Demo data of the funds app: the `ukraine-fund` (100 bn USD, 2025–2029, the 32 allies, GDP 2021 key,
Hungary opted out under `redistribute`), cash contributions in several currencies, and in-kind credit of
committed pledges when the pledges demo has created some, and one disbursement to a package of the
packages demo. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clearinghouse.core import clock
from clearinghouse.core.errors import DomainError
from clearinghouse.funds import services
from clearinghouse.funds.choices import CREDITABLE_UNDER
from clearinghouse.funds.models import BurdenKey, Contribution, Disbursement, Fund, FundOptOut
from clearinghouse.governance import demo as governance_demo
from clearinghouse.packages import attribution as package_attribution
from clearinghouse.packages.models import Package
from clearinghouse.pledges.models import Pledge

FUND = "ukraine-fund"
KEY = "alliance-gdp"

# (member, amount, currency, value date, reference, releasability)
CASH: list[tuple[str, str, str, str, str, str]] = [
    ("EST", "100000000", "EUR", "2025-02-24", "EE-MOD-2025-001", "contact_group"),
    ("LTU", "150000000", "EUR", "2025-02-24", "LT-KAM-2025-014", "contact_group"),
    ("DEU", "3500000000", "EUR", "2025-03-14", "DE-BMF-2025-0311", "contact_group"),
    ("GBR", "1800000000", "GBP", "2025-04-30", "UK-HMT-25-0042", "contact_group"),
    ("FRA", "2400000000", "EUR", "2025-05-20", "FR-DGT-2025-77", "coordination"),
    ("USA", "12000000000", "USD", "2025-06-30", "US-TREAS-FY25-UAF-1", "contact_group"),
    ("CAN", "2100000000", "CAD", "2025-07-02", "CA-FIN-2025-UF-3", "contact_group"),
    ("NLD", "1500000000", "EUR", "2025-08-29", "NL-MINFIN-25-0829", "contact_group"),
    ("NOR", "9000000000", "NOK", "2025-09-15", "NO-FIN-2025-NANSEN-7", "contact_group"),
    ("POL", "4200000000", "PLN", "2025-10-10", "PL-MF-2025-1010", "contact_group"),
    ("SWE", "7500000000", "SEK", "2025-11-03", "SE-FIN-2025-UA-11", "coordination"),
    # A Saturday: the rate is the ECB's of the last publication day before it (Christmas Eve).
    ("DNK", "5000000000", "DKK", "2025-12-27", "DK-FM-2025-UKR-12", "contact_group"),
    ("CZE", "6000000000", "CZK", "2026-01-02", "CZ-MF-2026-0001", "contact_group"),
    ("USA", "4000000000", "USD", "2026-01-15", "US-TREAS-FY26-UAF-1", "contact_group"),
    ("DEU", "2000000000", "EUR", "2026-02-16", "DE-BMF-2026-0214", "contact_group"),
    ("GBR", "900000000", "GBP", "2026-03-31", "UK-HMT-26-0007", "contact_group"),
    # Easter Monday: no ECB fixing that day.
    ("ITA", "1000000000", "EUR", "2026-04-06", "IT-MEF-2026-0406", "coordination"),
    ("POL", "2000000000", "PLN", "2026-05-04", "PL-MF-2026-0504", "owner"),
    ("ESP", "600000000", "EUR", "2026-06-30", "ES-TESORO-2026-63", "contact_group"),
    ("BEL", "500000000", "EUR", "2026-09-18", "BE-FIN-2026-0918", "contact_group"),
]

MAX_IN_KIND = 8


def seed(admin: Any) -> None:
    """Create the demo fund and its contributions (idempotent)."""
    services.load_gdp_series(actor=admin)
    key = BurdenKey.objects.filter(code=KEY).first()
    if key is None or not key.versions.filter(effective_year=2025).exists():
        services.create_key_version(
            actor=admin,
            key=KEY,
            name="Alliance GDP key",
            effective_year=2025,
            kind="gdp",
            gdp_year=2021,
            notes="Each ally's share of the allies' combined 2021 GDP.",
        )
    if not Fund.objects.filter(slug=FUND).exists():
        services.create_fund(
            actor=admin,
            data={
                "slug": FUND,
                "name": "Ukraine Fund",
                "target_amount": "100000000000",
                "currency": "USD",
                "first_year": 2025,
                "years": 5,
                "group": "alliance",
                "burden_key": KEY,
                "shortfall_policy": "redistribute",
                # The demo credits committed pledges (a fund's default credits them at delivery).
                "in_kind_credit": "at_commitment",
                "counts_kinds": ["in_kind", "financial"],
                "notes": "100 billion USD over five years from the 32 allies, shared by 2021 GDP.",
            },
        )
    if not FundOptOut.objects.filter(fund__slug=FUND, participant__code="HUN").exists():
        services.opt_out(
            actor=admin,
            slug=FUND,
            participant="HUN",
            reason="Constructive abstention (Council decision).",
            decision=governance_demo.ensure_fund_decision(admin),
        )
    for member, amount, currency, value_date, reference, releasability in CASH:
        if Contribution.objects.filter(owner__code=member, reference=reference).exists():
            continue
        services.record_cash_contribution(
            actor=admin,
            slug=FUND,
            data={
                "participant": member,
                "amount": amount,
                "currency": currency,
                "value_date": value_date,
                "reference": reference,
                "releasability": releasability,
            },
            # Some allies pay more than their fair share of the whole fund at once (EST, LTU): the
            # demo's figures are deliberate, as a finance officer would confirm them.
            confirm=True,
        )
    _credit_pledges(admin)
    _disburse(admin)


# The fund's demo payment: to the Czech-led ammunition package of the packages demo (if loaded).
DISBURSEMENT = ("155 mm ammunition initiative (Czech-led)", "100000000", "USD", "2025-10-15")


def _disburse(admin: Any) -> None:
    """Pay the fund's demo disbursement to a package of the packages demo, once."""
    title, amount, currency, value_date = DISBURSEMENT
    package = Package.objects.filter(title=title).first()
    if package is None or Disbursement.objects.filter(fund__slug=FUND, package=package).exists():
        return
    services.disburse(
        actor=admin,
        slug=FUND,
        data={
            "package": package.pk,
            "amount": amount,
            "currency": currency,
            "value_date": value_date,
            "notes": "Demo: the fund pays part of the ammunition package.",
        },
    )


def _credit_pledges(admin: Any) -> None:
    """Credit some firm in-kind pledges of allies valued within the fund's years, if the pledges demo
    created any. Multi-year financial pledges stay uncredited: they show as predictability (future
    tranches) and slippage (past tranches)."""
    fund = Fund.objects.get(slug=FUND)
    already = Contribution.objects.filter(fund=fund, kind="in_kind").count()
    if already >= MAX_IN_KIND or "in_kind" not in fund.counts_kinds:
        return
    today = clock.today()
    candidates = (
        Pledge.objects.filter(
            status__in=CREDITABLE_UNDER[fund.in_kind_credit],
            kind="in_kind",
            owner__in=fund.group.members.all(),
            available_from__gte=dt.date(fund.first_year, 1, 1),
            available_from__lte=min(today, dt.date(fund.last_year, 12, 31)),
        )
        .exclude(pk__in=services.in_force().filter(pledge__isnull=False).values("pledge_id"))
        .exclude(pk__in=package_attribution.backing_pledge_ids())
        .exclude(owner__in=FundOptOut.objects.filter(fund=fund).values("participant"))
        .order_by("available_from", "pk")
    )
    for pledge in candidates[: MAX_IN_KIND - already]:
        try:
            services.credit_pledge(actor=admin, slug=FUND, pledge_id=pledge.pk, confirm=True)
        except DomainError:
            # A pledge without a valuation or in a currency the ECB does not publish: not credited.
            continue
