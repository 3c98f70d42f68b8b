"""Reads of frameworks for a user, and a framework's status (fair share against actual per member).

What counts as `actual` (military aid in the period, in the framework's currency):

* `records`: the live firm pledges (committed, in delivery, delivered) of the group's members that are
  military: in kind, or financial and earmarked for military procurement; valued in EUR at the ECB
  rate of their value date (`Pledge.value_eur`), dated by `available_from`, each pledge once. A reader
  counts the pledges they may see, as in the reports' `--source records` (the operator's console,
  without an account, counts every pledge). Jointly funded packages count for their funders, pro
  rata, dated by the package's value date (packages/attribution.py); the in-kind pledges behind a
  package's schedule count for no one (the implementer is not the donor), and the part of an earmarked
  financial pledge that funds packages counts through the packages only: no euro twice.
* `kiel`: the current Kiel tracker release's military aid (`data_explorer.csv`, column military, EUR
  billion) of the group's members, month by month; a month counts when the period includes its first
  day. Public data: the same for every reader.

Amounts in EUR are converted to a framework in another currency at the ECB rate of the period's last
day (or the last publication before it).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Q, QuerySet

from clearinghouse.core import cleaning, clock, fx
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput, NotFound
from clearinghouse.frameworks.choices import Source
from clearinghouse.frameworks.models import Framework
from clearinghouse.frameworks.status import Aid, FrameworkStatus, compute, month_in_period
from clearinghouse.funds.services import key_version_for, version_weights
from clearinghouse.funds.shares import REDISTRIBUTE, ShareError, ShareTable, compute_shares
from clearinghouse.packages import attribution
from clearinghouse.packages.models import Package
from clearinghouse.pledges.choices import FIRM, Earmark, PledgeKind
from clearinghouse.pledges.models import Pledge
from clearinghouse.tracker.choices import FlowType
from clearinghouse.tracker.models import KielFlow, KielRelease

SOURCES = tuple(Source.values)
MILITARY_PLEDGES = Q(kind=PledgeKind.IN_KIND) | Q(
    kind=PledgeKind.FINANCIAL, earmark=Earmark.MILITARY_PROCUREMENT
)


def framework_list(*, user: Actor | None) -> QuerySet[Framework]:
    """Frameworks the user may see (None: the operator's console)."""
    qs = Framework.objects.all() if user is None else Framework.objects.restrict(user, "view")
    return qs.select_related("group", "burden_key").prefetch_related("exempt").order_by("start", "slug")


def get_framework(*, user: Actor | None, slug: str) -> Framework:
    """One framework by slug, or NotFound."""
    framework = framework_list(user=user).filter(slug=slug).first()
    if framework is None:
        raise NotFound(f"Framework {slug!r} not found.")
    return framework


def members(framework: Framework) -> dict[str, str]:
    """The group's members, code → name."""
    return dict(framework.group.members.order_by("code").values_list("code", "name"))


def exempt_codes(framework: Framework) -> list[str]:
    return sorted(p.code for p in framework.exempt.all())


def share_tables(framework: Framework, years: range) -> dict[int, ShareTable]:
    """The shares in force in each year: the key version in force that year (a year before the key's
    first version uses the first), over the members, the exempt ones holding none."""
    group = sorted(members(framework))
    exempt = exempt_codes(framework)
    first = framework.burden_key.versions.order_by("effective_year").first()
    if first is None:
        raise InvalidInput(f"Key {framework.burden_key.code} has no version.", field="burden_key")
    by_version: dict[int, ShareTable] = {}
    tables: dict[int, ShareTable] = {}
    for y in years:
        version = key_version_for(framework.burden_key, y) or first
        if version.pk not in by_version:
            try:
                by_version[version.pk] = compute_shares(
                    version_weights(version), members=group, opted_out=exempt, policy=REDISTRIBUTE
                )
            except ShareError as exc:
                raise InvalidInput(f"Shares of {framework.slug} in {y}: {exc}.", field="burden_key") from None
        tables[y] = by_version[version.pk]
    return tables


def parse_period(framework: Framework, start: Any, end: Any) -> tuple[dt.date, dt.date]:
    """The period asked for (default: the framework's own), each date checked, start on or before end."""
    first = cleaning.date(start, "from", required=False) or framework.start
    last = cleaning.date(end, "to", required=False) or framework.end
    if last < first:
        raise InvalidInput(f"to: {last} is before from ({first})", field="to")
    return first, last


def parse_source(framework: Framework, source: Any) -> str:
    if source is None or source == "":
        return framework.default_source
    if source not in SOURCES:
        raise InvalidInput(f"source: {source!r} is not one of {', '.join(SOURCES)}", field="source")
    return str(source)


def _to_currency(amount_eur: Decimal, currency: str, on: dt.date) -> Decimal:
    if currency == "EUR":
        return amount_eur
    rate = fx.ecb_rate("EUR", currency, on).rate
    return amount_eur * rate


def _records_aid(
    framework: Framework, codes: list[str], start: dt.date, end: dt.date, user: Actor | None
) -> list[Aid]:
    on = min(end, clock.today())
    base = Pledge.objects.all()
    if user is not None:
        base = base.filter(pk__in=Pledge.objects.restrict(user, "view").values("pk"))
    query = (
        base.filter(MILITARY_PLEDGES)
        .filter(
            status__in=FIRM,
            owner__code__in=codes,
            available_from__gte=start,
            available_from__lte=end,
            value_eur__isnull=False,
        )
        # A package's schedule is the funders' aid, not the implementer's (packages/attribution.py).
        .exclude(pk__in=attribution.backing_pledge_ids())
        .order_by("pk")
        .values_list("pk", "owner__code", "kind", "value_eur")
    )
    rows = list(query)
    # Money that funds packages counts through the packages (below), only the rest as the pledge.
    spent = attribution.spent_through_packages(pk for pk, _, kind, _ in rows if kind == PledgeKind.FINANCIAL)
    aid = [
        Aid(("pledge", pk), code, _to_currency(Decimal(v) - spent.get(pk, 0), framework.currency, on))
        for pk, code, _, v in rows
        if Decimal(v) > spent.get(pk, 0)
    ]
    packages = Package.objects.all()
    if user is not None:
        packages = packages.filter(pk__in=Package.objects.restrict(user, "view").values("pk"))
    aid += [
        Aid(("package_funder", c.line), c.donor, _to_currency(c.value_eur, framework.currency, on))
        for c in attribution.credits(packages)
        if c.donor in codes and start <= c.on <= end
    ]
    return aid


def current_release() -> KielRelease:
    release: KielRelease | None = KielRelease.objects.filter(is_current=True).first()
    if release is None:
        raise InvalidInput(
            "source: no Kiel tracker release is imported (run `clearinghouse import kiel DIR --as USER`)",
            field="source",
        )
    return release


def _kiel_aid(framework: Framework, codes: list[str], start: dt.date, end: dt.date) -> list[Aid]:
    on = min(end, clock.today())
    rows = (
        KielFlow.objects.filter(
            release=current_release(),
            type=FlowType.MILITARY,
            participant__code__in=codes,
            year__gte=start.year,
            year__lte=end.year,
        )
        .order_by("pk")
        .values_list("pk", "participant__code", "year", "month", "value")
    )
    return [
        Aid(("kiel", pk), code, _to_currency(Decimal(value).scaleb(9), framework.currency, on))
        for pk, code, year, month, value in rows
        if month_in_period(year, month, start, end)
    ]


def source_label(source: str) -> str:
    if source == Source.KIEL:
        release = KielRelease.objects.filter(is_current=True).first()
        return release.source_line if release else "Kiel tracker (no release imported)"
    return (
        "Contact group records: firm military pledges (in kind, or money earmarked for military "
        "procurement), valued in EUR at the ECB reference rate"
    )


def status_of(
    framework: Framework,
    *,
    user: Actor | None,
    start: Any = None,
    end: Any = None,
    source: Any = None,
) -> tuple[str, FrameworkStatus]:
    """The framework's status over [start, end] (default its own period) from `source` (default its
    own), as `user` may see it (None: the operator's console)."""
    first, last = parse_period(framework, start, end)
    chosen = parse_source(framework, source)
    names = members(framework)
    codes = sorted(names)
    try:
        aid = (
            _kiel_aid(framework, codes, first, last)
            if chosen == Source.KIEL
            else _records_aid(framework, codes, first, last, user)
        )
    except fx.FxError as exc:
        raise InvalidInput(f"currency: {exc}", field="currency") from None
    status = compute(
        names=names,
        yearly_target=framework.target_amount,
        start=first,
        end=last,
        shares=share_tables(framework, range(first.year, last.year + 1)),
        aid=aid,
    )
    return chosen, status


def status_dict(framework: Framework, source: str, status: FrameworkStatus) -> dict[str, Any]:
    """The status as the doors print it: amounts and shares as decimal strings."""
    return {
        "framework": framework.slug,
        "title": framework.title,
        "target": format(status.target, "f"),
        "target_per_year": str(framework.target_amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)),
        "currency": framework.currency,
        "from": status.start.isoformat(),
        "to": status.end.isoformat(),
        "years": str(status.fraction_decimal),
        "source": source,
        "source_label": source_label(source),
        "burden_key": framework.burden_key.code,
        "exempt": exempt_codes(framework),
        "members": [
            {
                "participant": m.participant,
                "name": m.name,
                "exempt": m.exempt,
                "share": format(m.share, "f"),
                "fair_share": format(m.fair_share, "f"),
                "actual": format(m.actual, "f"),
                "gap": format(m.gap, "f"),
            }
            for m in status.members
        ],
        "totals": {
            "fair_share": format(status.fair_share_total, "f"),
            "actual": format(status.actual_total, "f"),
            "gap": format(status.gap_total, "f"),
        },
    }
