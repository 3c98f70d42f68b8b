"""A requirement's coverage as one viewer may know it, without giving away allocations it cannot see.

A requirement's stored totals (`allocated_quantity`, `delivered_quantity`) count every allocation,
including those of pledges the viewer may not see (an `owner`-marked pledge, say, is hidden even
from the recipient). The viewer also sees every allocation it may see, to the unit: if the exact
total were shown beside them, the total minus the visible allocations would be the hidden part,
and one hidden allocation's size would be a subtraction away (and "covered" alone pins it, since
nothing is allocated beyond the quantity required). So, for each requirement and viewer:

* **exact**: the viewer sees every allocation to it (the coordination cell, auditors and admins
  always do): the totals as they are.
* **aggregate**: the allocations it cannot see come from at least `MIN_DONORS` different donors:
  the exact totals, and the hidden part as one aggregate, "from pledges not releasable to you".
  No hidden allocation's donor, size or date is shown, and no one of them can be isolated.
* **coarse**: they come from one or two donors: the totals are shown only as a band of the
  quantity required (a quarter wide: 0–25 %, 25–50 %, 50–75 %, 75–100 %), the status only as
  "partly covered" or "three quarters or more covered" (never "covered" or "delivered", which
  would pin the hidden part), and the hidden part is not shown at all.

The recipient and the cell thus always learn how far a requirement is covered, exactly when that
reveals nothing about a confidential allocation, and to within a quarter of the requirement
otherwise. Every door reads coverage from here: the API's fields, the pages, the command line, the
status filters and counts, and the shortfall reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_noop

from clearinghouse.core.actors import Actor
from clearinghouse.core.releasability import sees_everything
from clearinghouse.requirements.choices import RequirementStatus
from clearinghouse.requirements.models import MILLI, Requirement, from_milli, status_q

MIN_DONORS = 3  # the same threshold as the reports' small cells
BAND = 25  # percent of the quantity required
EXACT, AGGREGATE, COARSE = "exact", "aggregate", "coarse"
# A viewer's status where the coverage is coarsened: at least three quarters, perhaps all.
MOSTLY_COVERED = "mostly_covered"
MOSTLY_COVERED_LABEL = "Three quarters or more covered"
# A filter, not a status: open or partly covered as far as the viewer may know (the pages' "open").
NOT_FULLY_COVERED = "not_fully_covered"
STATUS_LABELS = {**dict(RequirementStatus.choices), MOSTLY_COVERED: MOSTLY_COVERED_LABEL}
# English in the API's answers; pages translate it (`{% translate data.note %}`).
NOTE = gettext_noop(
    "Coverage counts every allocation, including those from pledges not releasable to you; "
    "their donors, sizes and dates are not shown."
)


@dataclass(frozen=True)
class Coverage:
    """How far a requirement is covered, as one viewer may know it (see the module's rule)."""

    quantity: int
    cancelled: bool
    mode: str
    visible_allocated: Decimal
    visible_delivered: Decimal
    allocated: Decimal | None
    delivered: Decimal | None
    hidden_allocated: Decimal | None
    hidden_delivered: Decimal | None
    allocated_band: tuple[int, int] | None
    delivered_band: tuple[int, int] | None

    @property
    def status(self) -> str:
        if self.cancelled:
            return RequirementStatus.CANCELLED
        if self.mode == COARSE:
            assert self.allocated_band is not None
            return (
                MOSTLY_COVERED if self.allocated_band[0] >= 100 - BAND else RequirementStatus.PARTLY_COVERED
            )
        assert self.allocated is not None and self.delivered is not None
        if self.delivered >= self.quantity:
            return RequirementStatus.DELIVERED
        if self.allocated >= self.quantity:
            return RequirementStatus.COVERED
        if self.allocated > 0:
            return RequirementStatus.PARTLY_COVERED
        return RequirementStatus.OPEN

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    def _pct(self, units: Decimal | None) -> float | None:
        if units is None:
            return None
        return round(float(100 * units / self.quantity), 1) if self.quantity else 0.0

    @property
    def coverage_pct(self) -> float | None:
        """Allocated as a percentage of the quantity required, one decimal (None when coarsened)."""
        return self._pct(self.allocated)

    @property
    def delivered_pct(self) -> float | None:
        return self._pct(self.delivered)

    @property
    def outstanding(self) -> Decimal | None:
        """Requirement units still to be covered (None when coarsened)."""
        if self.cancelled:
            return Decimal(0)
        return None if self.allocated is None else max(self.quantity - self.allocated, Decimal(0))

    @property
    def bar(self) -> tuple[str, str]:
        """Widths of a coverage bar (allocated, delivered) as CSS percentages; a band's lower end."""
        allocated = self.coverage_pct if self.allocated_band is None else self.allocated_band[0]
        delivered = self.delivered_pct if self.delivered_band is None else self.delivered_band[0]
        return (f"{min(100.0, allocated or 0):.1f}", f"{min(100.0, delivered or 0):.1f}")

    def _range(self, exact: Decimal | None, bounds: tuple[int, int] | None) -> tuple[Decimal, Decimal]:
        if bounds is None:
            assert exact is not None
            return (exact, exact)
        q = self.quantity
        lo = -(-bounds[0] * q // 100)  # the smallest whole number at or above the band's start
        hi = q if bounds[1] >= 100 else max(lo, (bounds[1] * q - 1) // 100)
        return (Decimal(lo), Decimal(hi))

    @property
    def allocated_range(self) -> tuple[Decimal, Decimal]:
        """The units allocated, as a range (one value where the viewer may know it exactly)."""
        return self._range(self.allocated, self.allocated_band)

    @property
    def delivered_range(self) -> tuple[Decimal, Decimal]:
        return self._range(self.delivered, self.delivered_band)

    @property
    def allocated_text(self) -> str:
        """'120 of 1000', or '25–50 % of 1000' when coarsened."""
        if self.allocated_band is not None:
            return f"{self.allocated_band[0]}–{self.allocated_band[1]} % of {self.quantity}"
        return f"{self.allocated} of {self.quantity}"

    @property
    def delivered_text(self) -> str:
        if self.delivered_band is not None:
            return f"{self.delivered_band[0]}–{self.delivered_band[1]} %"
        return f"{self.delivered} ({self.delivered_pct}%)"

    @property
    def title(self) -> str:
        """'50.0% allocated, 20.0% delivered', or with bands where coarsened."""
        if self.allocated_band is not None and self.delivered_band is not None:
            return f"{self.pct_text}% allocated, {self.delivered_band[0]}–{self.delivered_band[1]}% delivered"
        return f"{self.coverage_pct}% allocated, {self.delivered_pct}% delivered"

    @property
    def pct_text(self) -> str:
        if self.allocated_band is not None:
            return f"{self.allocated_band[0]}–{self.allocated_band[1]}"
        return f"{self.coverage_pct}"

    def as_dict(self) -> dict[str, Any]:
        """The API's `coverage` object."""
        return {
            "mode": self.mode,
            "visible_allocated": as_number(self.visible_allocated),
            "visible_delivered": as_number(self.visible_delivered),
            "hidden_allocated": as_number(self.hidden_allocated),
            "hidden_delivered": as_number(self.hidden_delivered),
            "allocated_band": list(self.allocated_band) if self.allocated_band else None,
            "delivered_band": list(self.delivered_band) if self.delivered_band else None,
            "note": NOTE,
        }


def as_number(units: Decimal | int | None) -> int | float | None:
    """Requirement units for JSON: a whole number as an integer (every factor 1 gives these), a
    fraction (a factor such as 0.5) as a number with its decimals."""
    if units is None:
        return None
    return int(units) if units == int(units) else float(units)


def band(units: Decimal | int, quantity: int) -> tuple[int, int]:
    """The quarter of the quantity required that `units` falls in (the top one includes 100 %)."""
    if quantity <= 0:
        return (0, BAND)
    k = min(100 // BAND - 1, int((100 * units) // (BAND * quantity)))
    return (k * BAND, (k + 1) * BAND)


def _allocation_model() -> Any:
    # Allocations are the pledges app's rows that point at requirements: reached through the
    # reverse relation the ORM gives `Requirement`, not by importing the app above this one.
    return Requirement.allocations.rel.related_model


def _milli(units: str) -> Any:
    """An allocation's `units` × its factor, in thousandths of the requirement's unit, in SQL.

    The factor is an exact decimal of three places: a scaled integer (× 1000) on SQLite, numeric on
    PostgreSQL; either way the product comes out as whole thousandths."""
    if connection.vendor == "sqlite":
        return ExpressionWrapper(F(units) * F("factor"), output_field=BigIntegerField())
    return Cast(F(units) * F("factor") * MILLI, output_field=BigIntegerField())


def annotate(qs: QuerySet[Any], user: Actor | None) -> QuerySet[Any]:
    """Add what coverage needs: what the allocations the viewer sees provide and what of it was
    delivered (in thousandths of the requirement's unit), and how many donors are behind the
    allocations it does not see (one query, whatever the number of rows)."""
    annotated: QuerySet[Any]
    if sees_everything(user):
        annotated = qs.annotate(
            seen_allocated=F("allocated_milli"),
            seen_delivered=F("delivered_milli"),
            hidden_donors=Value(0, output_field=IntegerField()),
        )
        return annotated
    allocation = _allocation_model()
    visible = allocation.objects.restrict(user, "view").values("pk")
    mine = allocation.objects.filter(requirement=OuterRef("pk")).order_by().values("requirement")
    seen = mine.filter(pk__in=visible)
    hidden = mine.exclude(pk__in=visible)
    annotated = qs.annotate(
        seen_allocated=Coalesce(Subquery(seen.annotate(n=Sum(_milli("quantity"))).values("n")), 0),
        seen_delivered=Coalesce(Subquery(seen.annotate(n=Sum(_milli("delivered_quantity"))).values("n")), 0),
        hidden_donors=Coalesce(
            Subquery(hidden.annotate(n=Count("pledge__owner", distinct=True)).values("n")), 0
        ),
    )
    return annotated


def of(requirement: Any, user: Actor | None) -> Coverage:
    """The coverage of one requirement for `user` (annotated by `annotate`, or looked up now)."""
    if not hasattr(requirement, "hidden_donors"):
        model = type(requirement)
        requirement = annotate(model.objects.filter(pk=requirement.pk), user).get()
    total_a, total_d, quantity = (
        from_milli(requirement.allocated_milli),
        from_milli(requirement.delivered_milli),
        requirement.quantity,
    )
    seen_a, seen_d = from_milli(int(requirement.seen_allocated)), from_milli(int(requirement.seen_delivered))
    donors = int(requirement.hidden_donors)
    common = {
        "quantity": quantity,
        "cancelled": requirement.cancelled,
        "visible_allocated": seen_a,
        "visible_delivered": seen_d,
    }
    if donors == 0:
        return Coverage(
            **common,
            mode=EXACT,
            allocated=total_a,
            delivered=total_d,
            hidden_allocated=Decimal(0),
            hidden_delivered=Decimal(0),
            allocated_band=None,
            delivered_band=None,
        )
    if donors >= MIN_DONORS:
        return Coverage(
            **common,
            mode=AGGREGATE,
            allocated=total_a,
            delivered=total_d,
            hidden_allocated=total_a - seen_a,
            hidden_delivered=total_d - seen_d,
            allocated_band=None,
            delivered_band=None,
        )
    return Coverage(
        **common,
        mode=COARSE,
        allocated=None,
        delivered=None,
        hidden_allocated=None,
        hidden_delivered=None,
        allocated_band=band(total_a, quantity),
        delivered_band=band(total_d, quantity),
    )


def status_filter(status: str) -> Q:
    """The viewer's status as a filter over `annotate`d requirements: the same rule as `Coverage.status`.

    NOT_FULLY_COVERED is the pages' "open": open, partly covered, or coarsened at three quarters or
    more (which may or may not be all).
    """
    coarse = Q(hidden_donors__gt=0, hidden_donors__lt=MIN_DONORS, cancelled=False)
    # 64-bit on both sides: PostgreSQL's integer × integer overflows past 2^31.
    provided = F("allocated_milli") * 100
    asked = Cast(F("quantity"), output_field=BigIntegerField()) * (MILLI * (100 - BAND))
    top = Q(GreaterThanOrEqual(provided, asked))
    if status == NOT_FULLY_COVERED:
        return (
            status_filter(RequirementStatus.OPEN)
            | status_filter(RequirementStatus.PARTLY_COVERED)
            | (coarse & top)
        )
    if status == MOSTLY_COVERED:
        return coarse & top
    if status == RequirementStatus.PARTLY_COVERED:
        return (~coarse & status_q(status)) | (coarse & ~top)
    return ~coarse & status_q(status)
