"""API schemas of requirements: field names are the spreadsheet's columns plus id, status and the rest."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from ninja import Schema
from pydantic import Field, StringConstraints

from clearinghouse.core.choices import Releasability
from clearinghouse.core.schemas import IsoCountry
from clearinghouse.core.validation import Date, Line, Text
from clearinghouse.requirements.choices import Priority
from clearinghouse.requirements.equivalence import format_factor

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]

if TYPE_CHECKING:
    from clearinghouse.requirements.coverage import Coverage
    from clearinghouse.requirements.models import Requirement


class RequirementIn(Schema):
    external_ref: Line = Field("", max_length=100, description="The recipient's own reference (unique).")
    capability: Line | None = Field(
        None, max_length=40, description="Capability area code; default: that of the first item type."
    )
    item_types: list[Line] = Field(
        ...,
        min_length=1,
        description="Acceptable item type codes (substitutes), each optionally CODE:factor (the units of "
        "this requirement one unit of the type provides; a bare code counts its catalog default factor).",
    )
    quantity: int | None = Field(
        None,
        gt=0,
        description="Units required (required unless a rate is given; with a rate it is derived: "
        "rate_per_month × months, and if sent must equal that).",
    )
    rate_per_month: int | None = Field(
        None,
        gt=0,
        description="A consumption requirement: units needed every month from from_month to to_month, "
        "matched month by month. The three rate fields go together.",
    )
    from_month: Month | None = Field(None, description="First month of the rate, YYYY-MM.")
    to_month: Month | None = Field(
        None, description="Last month of the rate, YYYY-MM (not before from_month)."
    )
    unit: Line = Field("", max_length=40, description="Default: the unit of the first item type.")
    priority: Priority = Priority.MEDIUM
    needed_by: Date | None = None
    releasability: Releasability = Releasability.CONTACT_GROUP
    releasable_to: list[IsoCountry] = Field(default_factory=list)
    notes: Text = Field("", max_length=10_000)
    owner: IsoCountry | None = Field(None, description="The recipient (admins only; default: your own).")
    illustrative: bool = Field(
        False,
        description="Demo or training data, not a real requirement: labelled wherever shown. Fixed when "
        "the requirement is created.",
    )


class RequirementPatch(Schema):
    external_ref: Line | None = Field(None, max_length=100)
    capability: Line | None = Field(None, max_length=40)
    item_types: list[Line] | None = Field(None, min_length=1)
    quantity: int | None = Field(None, gt=0)
    rate_per_month: int | None = Field(
        None, gt=0, description="Send null for all three rate fields to make it a one-off quantity."
    )
    from_month: Month | None = None
    to_month: Month | None = None
    unit: Line | None = Field(None, max_length=40)
    priority: Priority | None = None
    needed_by: Date | None = None
    releasability: Releasability | None = None
    releasable_to: list[IsoCountry] | None = None
    notes: Text | None = Field(None, max_length=10_000)
    illustrative: bool | None = Field(
        None, description="Fixed at creation: only the stored value is accepted."
    )


class CancelIn(Schema):
    reason: Text = Field(
        description="Why the requirement is cancelled (required): kept in the audit chain, shown in its "
        "history."
    )


class CoverageOut(Schema):
    """How far the requirement is covered as you may know it (see docs/confidentiality.md)."""

    mode: str = Field(
        description="exact: you see every allocation; aggregate: the ones you cannot see come from 3 or "
        "more donors and are shown as one sum; coarse: they come from 1 or 2 donors, so the totals are "
        "shown only as a band a quarter of the quantity wide."
    )
    visible_allocated: int | float = Field(
        description="What allocations from pledges you may see provide, in the requirement's units "
        "(units × equivalence factor; a whole number when every factor is 1)."
    )
    visible_delivered: int | float
    hidden_allocated: int | float | None = Field(
        description="What allocations from pledges not releasable to you provide (null when coarse)."
    )
    hidden_delivered: int | float | None
    allocated_band: list[int] | None = Field(description="[from, to] percent of the quantity, when coarse.")
    delivered_band: list[int] | None
    note: str


class MonthShortOut(Schema):
    month: str = Field(description="YYYY-MM")
    short: int = Field(description="Units of the month's rate no allocation covers.")


class DerivedFromOut(Schema):
    delivery: int = Field(description="The delivery of the platform.")
    pledge: int
    platform: str = Field(description="The delivered platform's item type code.")
    platform_units: int = Field(description="Platform units in that delivery.")
    rule: int = Field(description="The catalog's dependent-need rule applied.")
    added: int = Field(description="Units (a rate: units a month) the delivery added.")


def _coverage(obj: Requirement, context: dict[str, Any] | None) -> Coverage:
    """The requirement's coverage for the caller (annotated by the selectors; looked up otherwise)."""
    from clearinghouse.requirements import coverage

    request = context["request"] if context else None
    cached: Coverage | None = getattr(obj, "_coverage_for", None)
    if cached is None:
        cached = coverage.of(obj, getattr(request, "user", None))
        obj._coverage_for = cached  # type: ignore[attr-defined]  # memo on the instance
    return cached


def _value(obj: Requirement, context: dict[str, Any] | None, key: str) -> str | None:
    """One EUR figure of the requirement's coverage for the caller (requirements/value.py)."""
    from clearinghouse.core import clock
    from clearinghouse.requirements.value import coverage_value, eur_text, valuer_for

    cached: dict[str, Any] | None = getattr(obj, "_value_for", None)
    if cached is None:
        request = context["request"] if context else None
        valuer = valuer_for(request, clock.today())
        cached = coverage_value(_coverage(obj, context), valuer.unit_value(obj))
        obj._value_for = cached  # type: ignore[attr-defined]  # memo on the instance
    return eur_text(cached[key])


class RequirementOut(Schema):
    id: int
    external_ref: str
    owner: str
    capability: str
    item_types: list[str]
    item_factors: dict[str, str] = Field(
        description="Effective equivalence factor of every acceptable item type (the requirement's "
        "override or the catalog default), as decimal strings."
    )
    quantity: int = Field(description="Units required; for a rate, rate_per_month × its months.")
    rate_per_month: int | None = Field(description="Units a month (a consumption requirement); else null.")
    from_month: str | None = Field(description="First month of the rate, YYYY-MM.")
    to_month: str | None = Field(description="Last month of the rate, YYYY-MM.")
    months_short: list[MonthShortOut] | None = Field(
        description="For a rate, the months not fully covered by allocations and by how many units, in "
        "month order ([] when none, or for a one-off quantity); null where some allocations are not "
        "releasable to you (which months they cover would tell their dates)."
    )
    derived_from: list[DerivedFromOut] = Field(
        description="The deliveries of platforms this requirement was derived from (dependent needs: a "
        "platform's ammunition, spares, training), with what each added; [] for an entered requirement."
    )
    unit: str
    priority: str
    needed_by: dt.date | None
    releasability: str
    releasable_to: list[str]
    notes: str
    status: str = Field(
        description="open, partly_covered, covered, delivered, cancelled; or mostly_covered (three "
        "quarters or more, perhaps all) where the coverage is coarsened for you."
    )
    coverage_pct: float | None = Field(
        description="Allocated as a percentage of the quantity required, counting allocations from "
        "pledges not releasable to you; null when coarsened (see coverage.allocated_band)."
    )
    delivered_pct: float | None
    allocated_quantity: int | float | None = Field(
        description="What every allocation provides, in the requirement's units (units × equivalence "
        "factor); null when coarsened."
    )
    delivered_quantity: int | float | None
    coverage: CoverageOut
    unit_value_eur: str | None = Field(
        description="EUR value of one unit of this requirement at catalog reference prices: the cheapest "
        "acceptable way to provide it, min(reference price ÷ factor); null without any price."
    )
    required_eur: str | None = Field(description="quantity × unit_value_eur, a decimal string.")
    allocated_eur: str | None = Field(description="What allocations provide, in EUR; null when coarsened.")
    delivered_eur: str | None
    short_eur: str | None = Field(description="What is still to cover, in EUR; null when coarsened.")
    cancelled: bool
    illustrative: bool = Field(description="Demo or training data, not a real requirement.")
    endorsed_by: int | None = Field(
        None, description="The adopted decision of a body that endorsed it (null: not endorsed)."
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(obj: Requirement) -> str:
        return obj.owner.code

    @staticmethod
    def resolve_endorsed_by(obj: Requirement) -> int | None:
        return obj.endorsed_by_id

    @staticmethod
    def resolve_status(obj: Requirement, context: dict[str, Any] | None) -> str:
        return _coverage(obj, context).status

    @staticmethod
    def resolve_coverage_pct(obj: Requirement, context: dict[str, Any] | None) -> float | None:
        return _coverage(obj, context).coverage_pct

    @staticmethod
    def resolve_delivered_pct(obj: Requirement, context: dict[str, Any] | None) -> float | None:
        return _coverage(obj, context).delivered_pct

    @staticmethod
    def resolve_allocated_quantity(obj: Requirement, context: dict[str, Any] | None) -> int | float | None:
        from clearinghouse.requirements.coverage import as_number

        return as_number(_coverage(obj, context).allocated)

    @staticmethod
    def resolve_delivered_quantity(obj: Requirement, context: dict[str, Any] | None) -> int | float | None:
        from clearinghouse.requirements.coverage import as_number

        return as_number(_coverage(obj, context).delivered)

    @staticmethod
    def resolve_coverage(obj: Requirement, context: dict[str, Any] | None) -> dict[str, Any]:
        return _coverage(obj, context).as_dict()

    @staticmethod
    def resolve_unit_value_eur(obj: Requirement, context: dict[str, Any] | None) -> str | None:
        return _value(obj, context, "unit_value_eur")

    @staticmethod
    def resolve_required_eur(obj: Requirement, context: dict[str, Any] | None) -> str | None:
        return _value(obj, context, "required_eur")

    @staticmethod
    def resolve_allocated_eur(obj: Requirement, context: dict[str, Any] | None) -> str | None:
        return _value(obj, context, "allocated_eur")

    @staticmethod
    def resolve_delivered_eur(obj: Requirement, context: dict[str, Any] | None) -> str | None:
        return _value(obj, context, "delivered_eur")

    @staticmethod
    def resolve_short_eur(obj: Requirement, context: dict[str, Any] | None) -> str | None:
        return _value(obj, context, "short_eur")

    @staticmethod
    def resolve_capability(obj: Requirement) -> str:
        return obj.capability.code

    @staticmethod
    def resolve_item_types(obj: Requirement) -> list[str]:
        return sorted(t.code for t in obj.item_types.all())

    @staticmethod
    def resolve_item_factors(obj: Requirement) -> dict[str, str]:
        return {code: format_factor(f) for code, f in obj.factors().items()}

    @staticmethod
    def resolve_from_month(obj: Requirement) -> str | None:
        return obj.from_month_text or None

    @staticmethod
    def resolve_to_month(obj: Requirement) -> str | None:
        return obj.to_month_text or None

    @staticmethod
    def resolve_months_short(obj: Requirement, context: dict[str, Any] | None) -> list[dict[str, Any]] | None:
        from clearinghouse.requirements import consumption, coverage

        if not obj.is_rate:
            return []
        if _coverage(obj, context).mode != coverage.EXACT:
            return None
        return [{"month": m.label, "short": m.short} for m in consumption.requirement_months(obj) if m.short]

    @staticmethod
    def resolve_derived_from(obj: Requirement, context: dict[str, Any] | None) -> list[dict[str, Any]]:
        from clearinghouse.requirements import derived

        request = context["request"] if context else None
        return [d.as_dict() for d in derived.derived_from(obj, getattr(request, "user", None))]

    @staticmethod
    def resolve_releasable_to(obj: Requirement) -> list[str]:
        return sorted(p.code for p in obj.releasable_to.all())
