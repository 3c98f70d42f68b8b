"""Who a package's value counts for (the Kiel rule): its funders, pro rata, as military aid.

* A package counts once funded (funded, contracted, delivering, completed). Its value, the smaller of
  its price and its funding, is shared among its funder lines by their EUR amounts: each funder is
  credited its share, as military aid, dated by the package's value date.
* The implementer is not credited for funded content: the in-kind pledges that back a package's
  delivery schedule are the same money's goods and count for no donor (`backing_pledge_ids`).
* A financial pledge that a funder line comes from is spent on military procurement: the part of it
  that funds packages counts as the funder's military aid through the package, and only the rest
  (if any) stays financial (`spent_through_packages`). No euro is counted twice within one total.
* A fund's disbursement line is the fund's money: it is not credited to any one donor here (the
  fund's members are credited their contributions to the fund).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from clearinghouse.packages.choices import FUNDED_STATES
from clearinghouse.packages.models import Package, PackageFunder, ScheduleLine


@dataclass(frozen=True)
class Credit:
    """One funder line's share of a package's value and of what was delivered of it, in EUR."""

    package: int
    line: int
    donor: str
    value_eur: Decimal
    delivered_eur: Decimal
    on: dt.date


def credits(packages: QuerySet[Package]) -> list[Credit]:
    """The funders' credits of the given packages that count (funded or later)."""
    out: list[Credit] = []
    chosen = list(packages.filter(state__in=FUNDED_STATES).order_by("pk"))
    delivered = _delivered_eur([p.pk for p in chosen])
    lines: dict[int, list[PackageFunder]] = defaultdict(list)
    for f in PackageFunder.objects.filter(package__in=chosen).select_related("participant").order_by("pk"):
        lines[f.package_id].append(f)
    for p in chosen:
        funded = p.funded_eur
        if funded <= 0:
            continue
        value = min(p.price_eur, funded)
        done = min(delivered.get(p.pk, Decimal(0)), value)
        for f in lines[p.pk]:
            if f.participant is None:
                continue
            share = f.amount_eur / funded
            out.append(
                Credit(
                    package=p.pk,
                    line=f.pk,
                    donor=f.participant.code,
                    value_eur=(value * share).quantize(Decimal("0.01")),
                    delivered_eur=(done * share).quantize(Decimal("0.01")),
                    on=p.value_date,
                )
            )
    return out


def _delivered_eur(package_ids: list[int]) -> dict[int, Decimal]:
    """The value of what was delivered of each package's schedule (its backing pledges)."""
    out: dict[int, Decimal] = defaultdict(Decimal)
    rows = ScheduleLine.objects.filter(
        contract__package_id__in=package_ids, pledge__isnull=False
    ).values_list(
        "contract__package_id", "pledge__value_eur", "pledge__quantity", "pledge__delivered_quantity"
    )
    for package_id, value, quantity, delivered in rows:
        if value and quantity and delivered:
            out[package_id] += Decimal(value) * Decimal(delivered) / Decimal(quantity)
    return out


def backing_pledge_ids() -> QuerySet[ScheduleLine, dict[str, Any]]:
    """Pledge ids standing behind package schedules (a subquery: `pk__in=backing_pledge_ids()`)."""
    return ScheduleLine.objects.filter(pledge__isnull=False).values("pledge_id")


def spent_through_packages(pledge_ids: Iterable[int]) -> dict[int, Decimal]:
    """EUR of each financial pledge that funds packages counting in the reports (funded or later)."""
    out: dict[int, Decimal] = defaultdict(Decimal)
    rows = PackageFunder.objects.filter(
        pledge_id__in=list(pledge_ids), package__state__in=FUNDED_STATES
    ).values_list("pledge_id", "amount_eur")
    for pledge_id, amount in rows:
        out[pledge_id] += amount
    return dict(out)
