"""Reads of funds, keys and contributions for a user; every query starts from `restrict`.

What a reader sees of a fund's compliance (the rule, see docs/money-and-fund.md):

* Every member's compliance figures (fair share, credited, gap, surplus, met %, per year and to date)
  count every contribution in force, whatever its marking: that is the point of burden sharing.
* The breakdown into contributions follows each contribution's marking. Cash and in kind sum only the
  contributions releasable to the reader; the rest of a member's credit in a year is one figure,
  `credited_not_releasable`, which tells no kind, count or date. The contributions themselves are
  listed only as far as their releasability allows, and predictability and slippage are computed
  from the pledges the reader may see.
* A status as of a past date is for readers who see every contribution of the fund (the coordinating
  body, auditors, admins): for anyone else it would date the hidden contributions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from clearinghouse.core import clock, fx
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput, NotFound
from clearinghouse.core.money import round_to_currency
from clearinghouse.core.releasability import sees_everything
from clearinghouse.funds import services
from clearinghouse.funds.choices import CREDITABLE_PLEDGE_STATUSES
from clearinghouse.funds.compliance import Credit, Status, Tranche, compute_status
from clearinghouse.funds.models import (
    BurdenKey,
    BurdenKeyVersion,
    Contribution,
    Disbursement,
    Fund,
    FundOptOut,
    FundYear,
    GdpFigure,
)
from clearinghouse.pledges.choices import PledgeKind
from clearinghouse.pledges.models import PledgeTranche


def fund_list(*, user: Actor) -> QuerySet[Fund]:
    """Funds the user may see."""
    return (
        Fund.objects.restrict(user, "view")
        .select_related("group", "burden_key")
        .order_by("first_year", "slug")
    )


def get_fund(*, user: Actor, slug: str) -> Fund:
    """One fund by slug, or NotFound."""
    fund = fund_list(user=user).filter(slug=slug).first()
    if fund is None:
        raise NotFound("Fund not found.")
    return fund


def key_list(*, user: Actor) -> QuerySet[BurdenKey]:
    """Burden keys with their versions."""
    return BurdenKey.objects.restrict(user, "view").prefetch_related("versions").order_by("code")


def get_key(*, user: Actor, code: str) -> BurdenKey:
    key = key_list(user=user).filter(code=code).first()
    if key is None:
        raise NotFound("Burden key not found.")
    return key


def key_versions(*, user: Actor, key: BurdenKey) -> QuerySet[BurdenKeyVersion]:
    return (
        BurdenKeyVersion.objects.restrict(user, "view")
        .filter(key=key)
        .prefetch_related("weights__participant")
        .order_by("effective_year")
    )


def gdp_series(*, user: Actor, year: int | None = None) -> QuerySet[GdpFigure]:
    qs = GdpFigure.objects.restrict(user, "view").select_related("participant")
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("year", "participant__code")


def contribution_list(
    *,
    user: Actor,
    fund: Fund,
    participant: str | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> QuerySet[Contribution]:
    """The fund's contributions the user may see (releasability), newest value date first."""
    qs = (
        Contribution.objects.restrict(user, "view")
        .filter(fund=fund)
        .select_related("owner", "fund", "reversal")
        .prefetch_related("releasable_to")
    )
    if participant:
        qs = qs.filter(owner__code=participant.upper())
    if year is not None:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-value_date", "-id")


def get_contribution(*, user: Actor, fund: Fund, contribution_id: int) -> Contribution:
    c = contribution_list(user=user, fund=fund).filter(pk=contribution_id).first()
    if c is None:
        raise NotFound("Contribution not found.")
    return c


def opt_outs(*, user: Actor, fund: Fund) -> QuerySet[FundOptOut]:
    return FundOptOut.objects.restrict(user, "view").filter(fund=fund).select_related("participant")


def _members(fund: Fund) -> dict[str, str]:
    return dict(fund.group.members.order_by("code").values_list("code", "name"))


share_tables = services.share_tables


def sees_every_contribution(user: Actor | None) -> bool:
    """Whether every marking is releasable to `user` (None: the operator's console)."""
    return user is None or sees_everything(user)


def _credits(fund: Fund, *, as_of: dt.date, user: Actor | None) -> list[Credit]:
    """Every entry (originals and reversals) with a value date on or before `as_of`, summed in
    Python (exact; SQL's SUM can overflow 64 bits on SQLite), split by what the reader may see."""
    # Deliberately not restricted: a member's figures per year are public to every reader.
    rows = (
        Contribution.objects.filter(fund=fund, value_date__lte=as_of)
        .order_by()
        .values_list("pk", "owner__code", "year", "kind", "converted_amount")
    )
    visible: set[int] | None = None
    if not sees_every_contribution(user):
        visible = set(
            Contribution.objects.restrict(user, "view")
            .filter(fund=fund)
            .order_by()
            .values_list("pk", flat=True)
        )
    totals: dict[tuple[str, int, str, bool], Decimal] = defaultdict(Decimal)
    for pk, code, year, kind, converted in rows:
        totals[(code, year, kind, visible is None or pk in visible)] += converted
    return [
        Credit(code, year, kind, total, seen) for (code, year, kind, seen), total in sorted(totals.items())
    ]


def _tranches(fund: Fund, members: list[str], as_of: dt.date, user: Actor | None) -> list[Tranche]:
    """Tranches of members' firm multi-year financial pledges not credited to any fund, in the fund's
    currency at the ECB rate of `as_of` (a forecast at today's rate); only pledges the reader may see."""
    if PledgeKind.FINANCIAL not in fund.counts_kinds:
        return []
    base = PledgeTranche.objects.all() if user is None else PledgeTranche.objects.restrict(user, "view")
    rows = (
        base.filter(
            pledge__owner__code__in=members,
            pledge__kind=PledgeKind.FINANCIAL,
            pledge__status__in=CREDITABLE_PLEDGE_STATUSES,
            year__gte=fund.first_year,
            year__lte=fund.last_year,
        )
        .exclude(pledge__in=services.in_force().filter(pledge__isnull=False).values("pledge_id"))
        .order_by("pledge_id", "year")
        .values("pledge_id", "pledge__owner__code", "pledge__currency", "year", "amount")
        .distinct()
    )
    out = []
    rates: dict[str, Decimal] = {}
    for r in rows:
        ccy = r["pledge__currency"]
        if ccy not in rates:
            try:
                rates[ccy] = fx.ecb_rate(ccy, fund.currency, as_of).rate
            except fx.FxError:
                continue
        out.append(
            Tranche(
                participant=r["pledge__owner__code"],
                pledge_id=r["pledge_id"],
                year=r["year"],
                amount=r["amount"],
                currency=ccy,
                converted=round_to_currency(Decimal(r["amount"]) * rates[ccy], fund.currency),
            )
        )
    return out


def fund_status(*, user: Actor, slug: str, year: int | None = None, as_of: dt.date | None = None) -> Status:
    """Compliance of every member (cumulative to date, or for one year), the fund's progress over the
    years, predictability and slippage, as of a date (today by default), as `user` may see them."""
    fund = get_fund(user=user, slug=slug)
    return status_of(fund, year=year, as_of=as_of, user=user)


def status_of(
    fund: Fund, *, year: int | None = None, as_of: dt.date | None = None, user: Actor | None = None
) -> Status:
    """The status of a fund already read for `user` (None: the operator's console, which sees all).

    As of a date: the entries with a value date on or before it (a correction's reversal carries the
    value date of the entry it corrects, so the figures are restated; the reversal of a withdrawn
    pledge's credit counts from the withdrawal), and tranches converted at that date's rate."""
    today = clock.today()
    as_of = as_of or today
    if year is not None and year not in fund.year_range:
        raise InvalidInput(f"The fund runs from {fund.first_year} to {fund.last_year}.", field="year")
    if as_of < today and not sees_every_contribution(user):
        raise InvalidInput(
            "A status as of a past date is for those who see every contribution of the fund (the "
            "coordinating body, auditors): it would date contributions not releasable to you.",
            field="as_of",
        )
    members = _members(fund)
    targets = dict(FundYear.objects.filter(fund=fund).values_list("year", "target"))
    return compute_status(
        members=members,
        targets=targets,
        shares=share_tables(fund),
        credits=_credits(fund, as_of=as_of, user=user),
        tranches=_tranches(fund, sorted(members), as_of, user),
        as_of=as_of,
        year=year,
    )


def fund_flows(*, user: Actor, fund: Fund, as_of: dt.date | None = None) -> dict[str, Any]:
    """The fund's sources (cash contributions) and uses (disbursements to packages) over time, and its
    balance at `as_of` (today).

    A reader who sees every contribution (finance, the coordination cell, auditors) gets the whole
    books and the balance. Any other reader gets the cash contributions and disbursements releasable
    to them, and no balance: the balance counts every payment, and with the compliance figures it
    would tell a hidden cash payment from a hidden credit in kind (funds/tests/test_confidentiality)."""
    as_of = as_of or clock.today()
    complete = sees_every_contribution(user)
    cash = Contribution.objects.filter(fund=fund, kind="cash", value_date__lte=as_of)
    spent = Disbursement.objects.filter(fund=fund, value_date__lte=as_of)
    if not complete:
        cash = cash.filter(pk__in=Contribution.objects.restrict(user, "view").values("pk"))
        spent = spent.filter(pk__in=Disbursement.objects.restrict(user, "view").values("pk"))
    by_day: dict[dt.date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for day, amount in cash.values_list("value_date", "converted_amount"):
        by_day[day][0] += amount
    for day, amount in spent.values_list("value_date", "converted_amount"):
        by_day[day][1] += amount
    running = Decimal(0)
    over_time: list[dict[str, Any]] = []
    for day in sorted(by_day):
        came, went = by_day[day]
        running += came - went
        over_time.append(
            {"date": day, "sources": came, "uses": went, "balance": running if complete else None}
        )
    sources = sum((v[0] for v in by_day.values()), Decimal(0))
    uses = sum((v[1] for v in by_day.values()), Decimal(0))
    return {
        "fund": fund.slug,
        "currency": fund.currency,
        "as_of": as_of,
        "complete": complete,
        "sources": sources,
        "uses": uses,
        "balance": sources - uses if complete else None,
        "over_time": over_time,
        "disbursements": [
            disbursement_dict(d) for d in spent.select_related("package", "fund").order_by("value_date", "pk")
        ],
    }


def disbursement_dict(d: Disbursement) -> dict[str, Any]:
    """A disbursement in the API's shape (Decimals; the doors write them as decimal strings)."""
    return {
        "id": d.pk,
        "fund": d.fund.slug,
        "package": d.package_id,
        "package_title": d.package.title,
        "amount": d.amount,
        "currency": d.currency,
        "value_date": d.value_date,
        "converted_amount": d.converted_amount,
        "fund_currency": d.fund.currency,
        "fx_rate": d.fx_rate,
        "fx_date": d.fx_date,
        "notes": d.notes,
    }
