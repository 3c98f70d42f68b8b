"""Reads of funds, keys and contributions for a user; every query starts from `restrict`.

Compliance figures are aggregates over all of a fund's contributions, whatever their marking: every
member sees every member's fair share, credited total and gap (that is the point of the fund). The
contributions themselves are listed only as far as their releasability allows.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from clearinghouse.core.errors import InvalidInput, NotFound
from clearinghouse.funds import fx
from clearinghouse.funds.choices import CREDITABLE_PLEDGE_STATUSES
from clearinghouse.funds.compliance import Credit, Status, Tranche, compute_status
from clearinghouse.funds.models import (
    BurdenKey,
    BurdenKeyVersion,
    Contribution,
    Fund,
    FundOptOut,
    FundYear,
    GdpFigure,
)
from clearinghouse.funds.services import key_version_for, pledges_available, version_weights
from clearinghouse.funds.shares import ShareError, ShareTable, compute_shares


def fund_list(*, user: Any) -> QuerySet[Fund]:
    """Funds the user may see."""
    return (
        Fund.objects.restrict(user, "view")
        .select_related("group", "burden_key")
        .order_by("first_year", "slug")
    )


def get_fund(*, user: Any, slug: str) -> Fund:
    """One fund by slug, or NotFound."""
    fund = fund_list(user=user).filter(slug=slug).first()
    if fund is None:
        raise NotFound("Fund not found.")
    return fund


def key_list(*, user: Any) -> QuerySet[BurdenKey]:
    """Burden keys with their versions."""
    return BurdenKey.objects.restrict(user, "view").prefetch_related("versions").order_by("code")


def get_key(*, user: Any, code: str) -> BurdenKey:
    key = key_list(user=user).filter(code=code).first()
    if key is None:
        raise NotFound("Burden key not found.")
    return key


def key_versions(*, user: Any, key: BurdenKey) -> QuerySet[BurdenKeyVersion]:
    return (
        BurdenKeyVersion.objects.restrict(user, "view")
        .filter(key=key)
        .prefetch_related("weights__participant")
        .order_by("effective_year")
    )


def gdp_series(*, user: Any, year: int | None = None) -> QuerySet[GdpFigure]:
    qs = GdpFigure.objects.restrict(user, "view").select_related("participant")
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("year", "participant__code")


def contribution_list(
    *, user: Any, fund: Fund, participant: str | None = None, year: int | None = None, kind: str | None = None
) -> QuerySet[Contribution]:
    """The fund's contributions the user may see (releasability), newest value date first."""
    qs = (
        Contribution.objects.restrict(user, "view")
        .filter(fund=fund)
        .select_related("owner", "fund")
        .prefetch_related("releasable_to")
    )
    if participant:
        qs = qs.filter(owner__code=participant.upper())
    if year is not None:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-value_date", "-id")


def get_contribution(*, user: Any, fund: Fund, contribution_id: int) -> Contribution:
    c = contribution_list(user=user, fund=fund).filter(pk=contribution_id).first()
    if c is None:
        raise NotFound("Contribution not found.")
    return c


def opt_outs(*, user: Any, fund: Fund) -> QuerySet[FundOptOut]:
    return FundOptOut.objects.restrict(user, "view").filter(fund=fund).select_related("participant")


def _members(fund: Fund) -> dict[str, str]:
    return dict(fund.group.members.order_by("code").values_list("code", "name"))


def share_tables(fund: Fund) -> dict[int, ShareTable]:
    """The shares in force in every year of the fund (one computation per key version)."""
    members = sorted(_members(fund))
    out = set(FundOptOut.objects.filter(fund=fund).values_list("participant__code", flat=True))
    by_version: dict[int, ShareTable] = {}
    tables: dict[int, ShareTable] = {}
    for y in fund.year_range:
        version = key_version_for(fund.burden_key, y)
        if version is None:
            raise InvalidInput(
                f"Key {fund.burden_key.code} has no version in force in {y}.", field="burden_key"
            )
        if version.pk not in by_version:
            try:
                by_version[version.pk] = compute_shares(
                    version_weights(version), members=members, opted_out=out, policy=fund.shortfall_policy
                )
            except ShareError as exc:
                raise InvalidInput(f"Shares of {fund.slug} in {y}: {exc}.", field="burden_key") from None
        tables[y] = by_version[version.pk]
    return tables


def _credits(fund: Fund) -> list[Credit]:
    # Deliberately not restricted: aggregates per member and year are public to every member.
    rows = (
        Contribution.objects.filter(fund=fund)
        .values("owner__code", "year", "kind")
        .annotate(total=Sum("converted_amount"))
    )
    return [Credit(r["owner__code"], r["year"], r["kind"], r["total"] or Decimal(0)) for r in rows]


def _tranches(fund: Fund, members: list[str], as_of: dt.date) -> list[Tranche]:
    """Tranches of members' firm multi-year financial pledges not credited to any fund, in the fund's
    currency at the ECB rate of `as_of` (a forecast at today's rate)."""
    if not pledges_available() or "financial" not in fund.counts_kinds:
        return []
    from django.apps import apps

    tranche_model: Any = apps.get_model("pledges", "PledgeTranche")
    rows = (
        tranche_model.objects.filter(
            pledge__owner__code__in=members,
            pledge__kind="financial",
            pledge__status__in=CREDITABLE_PLEDGE_STATUSES,
            year__gte=fund.first_year,
            year__lte=fund.last_year,
        )
        .exclude(pledge__in=Contribution.objects.filter(pledge__isnull=False).values("pledge_id"))
        .values("pledge_id", "pledge__owner__code", "pledge__currency", "year", "amount")
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
                converted=(Decimal(r["amount"]) * rates[ccy]).quantize(fx.CENT, rounding=ROUND_HALF_EVEN),
            )
        )
    return out


def fund_status(*, user: Any, slug: str, year: int | None = None, as_of: dt.date | None = None) -> Status:
    """Compliance of every member (cumulative to date, or for one year), the fund's progress over the
    years, predictability and slippage, as of a date (today by default)."""
    fund = get_fund(user=user, slug=slug)
    return status_of(fund, year=year, as_of=as_of)


def status_of(fund: Fund, *, year: int | None = None, as_of: dt.date | None = None) -> Status:
    """The status of a fund already read for the user."""
    as_of = as_of or dt.date.today()
    if year is not None and year not in fund.year_range:
        raise InvalidInput(f"The fund runs from {fund.first_year} to {fund.last_year}.", field="year")
    members = _members(fund)
    targets = dict(FundYear.objects.filter(fund=fund).values_list("year", "target"))
    return compute_status(
        members=members,
        targets=targets,
        shares=share_tables(fund),
        credits=_credits(fund),
        tranches=_tranches(fund, sorted(members), as_of),
        as_of=as_of,
        year=year,
    )
