"""What-if on the whole pipeline: a stalled or delayed donor or package takes back what it has not
delivered yet, including units already allocated.

The clearing problem (`services.build_problem`) holds only the unallocated residual of pledges, so
a scenario over it alone would leave allocated but undelivered units untouched. Here, before the
engine applies the scenario, the scenario problem is adjusted in the Django layer (the pure engine
is unchanged):

* every requirement an affected allocation serves needs again what the allocation's undelivered
  part provides (its residual rises; a requirement already fully allocated comes back into the
  problem);
* for a delay, those units come back as offers of the same pledge (shifted by the engine for a
  delayed donor, shifted here by the months for a delayed package); for a stall they are gone;
* a stalled package's pending schedule offers are removed, a delayed package's are shifted (offers
  pushed past the planning horizon drop out, as for a delayed donor).

`report` gives the effect per requirement and per month, in requirement units and in EUR (the
requirement's unit value, `requirements.value`): units lost (stalls) and units moved (delays).
Delays add up: a delayed package of a delayed donor slips by both.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clearinghouse.core import clock
from clearinghouse.packages.models import ScheduleLine
from clearinghouse.pledges.models import Allocation
from clearinghouse.requirements.equivalence import format_factor
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.value import Valuer, eur, eur_text

# Pledges whose undelivered allocations a scenario may take back (not ended).
ENDED_PLEDGE_STATUSES = ("withdrawn", "delivered", "cancelled", "declined")


@dataclass
class Disruption:
    """Which pledges a scenario stalls, and by how many months it delays the others."""

    stalled: set[int] = field(default_factory=set)
    delayed: dict[int, int] = field(default_factory=dict)
    # Pledges of stalled or delayed packages (their offers are removed or shifted here; donors'
    # offers are left to the engine).
    package_stalled: set[int] = field(default_factory=set)
    package_delay: dict[int, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.stalled or self.delayed)


def disruption_of(scenario: dict[str, Any]) -> Disruption:
    """The pledges the (cleaned) scenario stalls or delays: in-kind pledges of stalled or delayed
    donors, and the schedule pledges of stalled or delayed packages."""
    out = Disruption()
    stall_donors = set(scenario.get("exclude_donors", []))
    delay_donors: dict[str, int] = dict(scenario.get("delay_donors", {}))
    stall_packages = {int(pk) for pk in scenario.get("stall_packages", [])}
    delay_packages = {int(pk): int(m) for pk, m in scenario.get("delay_packages", {}).items()}
    lines = ScheduleLine.objects.filter(
        contract__package_id__in=stall_packages | set(delay_packages), pledge__isnull=False
    ).values_list("pledge_id", "contract__package_id")
    for pledge_id, package_id in lines:
        if package_id in stall_packages:
            out.package_stalled.add(pledge_id)
        elif delay_packages.get(package_id):
            out.package_delay[pledge_id] = delay_packages[package_id]
    donor_pledges = (
        Allocation.objects.filter(pledge__owner__code__in=stall_donors | set(delay_donors))
        .values_list("pledge_id", "pledge__owner__code")
        .distinct()
    )
    owner = dict(donor_pledges)
    owner.update(
        Allocation.objects.filter(pledge_id__in=out.package_stalled | set(out.package_delay))
        .values_list("pledge_id", "pledge__owner__code")
        .distinct()
    )
    for pledge_id, code in owner.items():
        if code in stall_donors or pledge_id in out.package_stalled:
            out.stalled.add(pledge_id)
            continue
        months = delay_donors.get(code, 0) + out.package_delay.get(pledge_id, 0)
        if months:
            out.delayed[pledge_id] = months
    return out


def _undelivered(disruption: Disruption) -> list[Allocation]:
    return [
        a
        for a in Allocation.objects.filter(pledge_id__in=disruption.stalled | set(disruption.delayed))
        .exclude(pledge__status__in=ENDED_PLEDGE_STATUSES)
        .select_related("pledge__item_type", "pledge__owner", "requirement")
        .order_by("pk")
        if a.quantity > a.delivered_quantity
    ]


def _month_index(origin: dt.date, day: dt.date) -> int:
    return (day.year - origin.year) * 12 + (day.month - origin.month)


def _shift(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def adjust_problem(
    problem: dict[str, Any], disruption: Disruption, *, origin: dt.date, weights: dict[str, int]
) -> dict[str, Any]:
    """The scenario problem (engine JSON) with the pipeline taken back: see the module's docstring."""
    doc = copy.deepcopy(problem)
    periods = int(doc["periods"])

    def period(day: dt.date | None) -> int:
        if day is None:
            return periods - 1
        return min(periods - 1, max(0, _month_index(origin, day)))

    reqs = {r["id"]: r for r in doc["requirements"]}
    offers = {o["id"]: o for o in doc["offers"]}
    for a in _undelivered(disruption):
        r = a.requirement
        units = a.quantity - a.delivered_quantity
        provides = int(units * a.factor)
        key = f"R{r.pk}"
        if not r.is_rate and provides > 0:
            if key in reqs:
                reqs[key]["quantity"] += provides
            else:
                reqs[key] = _element(r, provides, weights, period)
                doc["requirements"].append(reqs[key])
        if a.pledge_id in disruption.delayed and a.pledge.item_type is not None:
            okey = f"P{a.pledge_id}"
            if okey in offers:
                offers[okey]["quantity"] += units
            else:
                offers[okey] = {
                    "id": okey,
                    "donor": a.pledge.owner.code,
                    "item_type": a.pledge.item_type.code,
                    "quantity": units,
                    "available_from": period(a.pledge.available_from),
                }
                doc["offers"].append(offers[okey])
    kept = []
    for o in doc["offers"]:
        pk = int(o["id"][1:]) if o["id"].startswith("P") and o["id"][1:].isdigit() else None
        if pk in disruption.package_stalled:
            continue
        if pk is not None and pk in disruption.package_delay:
            o["available_from"] += disruption.package_delay[pk]
            if o["available_from"] > periods - 1:
                continue
        kept.append(o)
    doc["offers"] = kept
    return doc


def _element(r: Requirement, quantity: int, weights: dict[str, int], period: Any) -> dict[str, Any]:
    """A requirement the baseline held fully allocated, needing `quantity` again."""
    factors = r.factors()
    text = {code: format_factor(f) for code, f in factors.items()}
    types: list[str] | dict[str, float]
    if all(Decimal(f) == 1 for f in text.values()):
        types = sorted(text)
    else:
        types = {code: float(f) for code, f in sorted(text.items())}
    return {
        "id": f"R{r.pk}",
        "item_types": types,
        "quantity": quantity,
        "weight": weights[r.priority],
        "needed_by": period(r.needed_by),
        "meta": {"capability": r.capability.code, "priority": r.priority},
    }


def _units(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value.normalize())


def report(disruption: Disruption, *, origin: dt.date) -> dict[str, Any]:
    """The effect on the pipeline per requirement and per month, in units and EUR.

    `{"requirements": [{"requirement", "requirement_pk", "units_lost", "eur_lost", "units_delayed",
    "eur_delayed", "months": [{"month", "units", "eur"}]}], "total_units_lost", "total_eur_lost",
    "total_eur_delayed"}`; a month's units are the net change of what arrives that month for the
    requirement (negative: taken away; positive: arriving there after a delay). EUR amounts are
    decimal strings, None where the requirement has no unit value."""
    valuer = Valuer(clock.today())
    rows: dict[int, dict[str, Any]] = {}
    months: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    lost: dict[int, Decimal] = defaultdict(Decimal)
    delayed: dict[int, Decimal] = defaultdict(Decimal)
    for a in _undelivered(disruption):
        r = a.requirement
        provides = Decimal(a.quantity - a.delivered_quantity) * a.factor
        first = max(origin, a.pledge.available_from.replace(day=1))
        rows.setdefault(r.pk, {"requirement": r})
        months[r.pk][first] -= provides
        if a.pledge_id in disruption.stalled:
            lost[r.pk] += provides
        else:
            delayed[r.pk] += provides
            months[r.pk][_shift(first, disruption.delayed[a.pledge_id])] += provides
    out: list[dict[str, Any]] = []
    total_lost = Decimal(0)
    total_eur_lost = Decimal(0)
    total_eur_delayed = Decimal(0)
    for pk, row in rows.items():
        unit_value = valuer.unit_value(row["requirement"])
        eur_lost = eur(lost[pk], unit_value)
        eur_delayed = eur(delayed[pk], unit_value)
        total_lost += lost[pk]
        total_eur_lost += eur_lost or 0
        total_eur_delayed += eur_delayed or 0
        out.append(
            {
                "requirement": f"R{pk}",
                "requirement_pk": pk,
                "external_ref": row["requirement"].external_ref,
                "units_lost": _units(lost[pk]),
                "eur_lost": eur_text(eur_lost),
                "units_delayed": _units(delayed[pk]),
                "eur_delayed": eur_text(eur_delayed),
                "months": [
                    {"month": f"{m:%Y-%m}", "units": _units(u), "eur": eur_text(eur(u, unit_value))}
                    for m, u in sorted(months[pk].items())
                    if u != 0
                ],
            }
        )
    out.sort(key=lambda row: (-Decimal(str(row["units_lost"])), row["requirement_pk"]))
    return {
        "requirements": out,
        "total_units_lost": _units(total_lost),
        "total_eur_lost": eur_text(total_eur_lost),
        "total_eur_delayed": eur_text(total_eur_delayed),
    }
