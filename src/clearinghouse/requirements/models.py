"""Requirements: the recipient's prioritised needs, with coverage derived from allocations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast

from clearinghouse.core.models import Releasable
from clearinghouse.requirements.choices import Priority, RequirementStatus

MILLI = 1000  # allocated_milli / delivered_milli are thousandths of the requirement's unit


def in_milli(field: str) -> Any:
    """`field` (a count of requirement units) in thousandths, as a 64-bit integer: PostgreSQL's
    integer × integer overflows past 2^31 (a quantity of 2,000,000 units × 1000)."""
    return Cast(F(field), output_field=models.BigIntegerField()) * MILLI


_MILLI = Decimal(MILLI)


def to_milli(provides: Decimal) -> int:
    """Requirement units (at most three decimals, as factors have) as whole thousandths."""
    return int((provides * _MILLI).to_integral_value())


def from_milli(milli: int) -> Decimal:
    """Whole thousandths of a requirement's unit as a decimal without trailing zeros (``1.5``, ``3``)."""
    value = Decimal(milli) / _MILLI
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class Requirement(Releasable):
    """What the recipient (the owner) needs: a quantity of any of several acceptable item types.

    `allocated_quantity` and `delivered_quantity` are the sums of offer units over the allocations to
    this requirement; `allocated_milli` and `delivered_milli` what those units provide (units ×
    equivalence factor) in thousandths of the requirement's unit: coverage and status count these.
    The services keep them in step under a row lock, and the database checks that what is provided
    never exceeds what is required (allocated) or allocated (delivered).
    """

    external_ref = models.CharField(max_length=100, blank=True, help_text="The recipient's own reference.")
    capability = models.ForeignKey(
        "catalog.CapabilityArea", on_delete=models.PROTECT, related_name="requirements"
    )
    item_types = models.ManyToManyField(
        "catalog.ItemType", related_name="requirements", help_text="Acceptable item types (substitutes)."
    )
    item_factors = models.JSONField(
        default=dict,
        blank=True,
        help_text='Equivalence factor overrides by item type code, e.g. {"AD-NASAMS": "0.500"}; a type not '
        "named here counts its catalog default factor.",
    )
    quantity = models.PositiveIntegerField(
        help_text="Units required; for a consumption requirement, rate_per_month × its months (derived)."
    )
    rate_per_month = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A consumption requirement: units needed every month from from_month to to_month "
        "(matched month by month); null for a one-off quantity.",
    )
    from_month = models.DateField(null=True, blank=True, help_text="First month (its first day) of a rate.")
    to_month = models.DateField(null=True, blank=True, help_text="Last month (its first day) of a rate.")
    unit = models.CharField(max_length=40, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    needed_by = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    cancelled = models.BooleanField(default=False)
    illustrative = models.BooleanField(
        default=False,
        help_text="Demo or training data, not a real requirement: labelled wherever shown. Fixed when "
        "the requirement is created.",
    )
    allocated_quantity = models.PositiveIntegerField(
        default=0, help_text="Offer units allocated to it, of whatever acceptable item type."
    )
    delivered_quantity = models.PositiveIntegerField(default=0, help_text="Offer units delivered against it.")
    allocated_milli = models.PositiveBigIntegerField(
        default=0,
        help_text="What its allocations provide (Σ units × factor), in thousandths of the requirement's "
        "unit: the coverage. Integer thousandths compare with quantity × 1000 in SQL on every database.",
    )
    delivered_milli = models.PositiveBigIntegerField(
        default=0, help_text="What its deliveries provide, in thousandths of the requirement's unit."
    )
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every write (the ETag).")
    endorsed_by = models.ForeignKey(
        "governance.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="endorsed_requirements",
        help_text="The adopted decision of a body that endorsed this requirement (null: not endorsed).",
    )
    endorsed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=("owner", "external_ref"),
                condition=~Q(external_ref=""),
                name="requirements_requirement_unique_external_ref",
                violation_error_message="This external reference is already used by another requirement.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="requirements_requirement_quantity_positive",
                violation_error_message="A requirement's quantity must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(rate_per_month__isnull=True, from_month__isnull=True, to_month__isnull=True)
                | Q(
                    rate_per_month__gt=0,
                    from_month__isnull=False,
                    to_month__isnull=False,
                    from_month__lte=F("to_month"),
                ),
                name="requirements_requirement_rate_complete",
                violation_error_message="A consumption requirement has a positive rate and a month range "
                "from_month ≤ to_month.",
            ),
            models.CheckConstraint(
                condition=Q(allocated_milli__lte=in_milli("quantity")),
                name="requirements_requirement_provided_lte_quantity",
                violation_error_message="More is allocated than the requirement asks for.",
            ),
            models.CheckConstraint(
                condition=Q(delivered_milli__lte=F("allocated_milli")),
                name="requirements_requirement_delivered_lte_allocated_provides",
                violation_error_message="More is delivered than was allocated.",
            ),
            models.CheckConstraint(
                condition=Q(delivered_quantity__lte=F("allocated_quantity")),
                name="requirements_requirement_delivered_lte_allocated",
                violation_error_message="More is delivered than was allocated.",
            ),
        ]
        indexes = [
            models.Index(fields=("priority", "needed_by"), name="requirements_priority_idx"),
            # Imports look requirements up by owner and external_ref (see pledges.Pledge).
            models.Index(fields=("owner", "external_ref"), name="requirements_owner_ref_idx"),
            # The visibility filter from the index alone (see pledges.Pledge).
            models.Index(fields=("releasability", "owner", "id"), name="requirements_visibility_idx"),
        ]

    def __str__(self) -> str:
        return f"Requirement {self.pk}: {self.quantity} {self.unit} ({self.priority})"

    @property
    def status(self) -> str:
        """open, partly_covered, covered, delivered or cancelled (see `status_q` for the same rule in SQL)."""
        if self.cancelled:
            return RequirementStatus.CANCELLED
        if self.delivered_milli >= self.quantity * MILLI:
            return RequirementStatus.DELIVERED
        if self.allocated_milli >= self.quantity * MILLI:
            return RequirementStatus.COVERED
        if self.allocated_milli > 0:
            return RequirementStatus.PARTLY_COVERED
        return RequirementStatus.OPEN

    @property
    def coverage_pct(self) -> float:
        """Allocated as a percentage of the quantity required, one decimal."""
        return round(100 * self.allocated_milli / (self.quantity * MILLI), 1) if self.quantity else 0.0

    @property
    def delivered_pct(self) -> float:
        """Delivered as a percentage of the quantity required, one decimal."""
        return round(100 * self.delivered_milli / (self.quantity * MILLI), 1) if self.quantity else 0.0

    @property
    def allocated_provides(self) -> Decimal:
        """What its allocations provide, in the requirement's units."""
        return from_milli(self.allocated_milli)

    @property
    def delivered_provides(self) -> Decimal:
        """What its deliveries provide, in the requirement's units."""
        return from_milli(self.delivered_milli)

    def factor_of(self, code: str) -> Decimal:
        """The effective factor of one item type code (1 for a type it does not accept)."""
        return self.factors().get(code, Decimal(1))

    def factors(self) -> dict[str, Decimal]:
        """The effective equivalence factor of every acceptable item type (override or catalog
        default), by code, in code order."""
        overrides = self.item_factors or {}
        return {
            t.code: Decimal(overrides[t.code]) if t.code in overrides else t.default_factor
            for t in sorted(self.item_types.all(), key=lambda t: t.code)
        }

    @property
    def factor_items(self) -> list[tuple[str, str]]:
        """(code, factor as written: ``0.5``, ``1``) of every acceptable type, for pages."""
        return [(code, format(f.normalize(), "f")) for code, f in self.factors().items()]

    @property
    def has_factors(self) -> bool:
        """Whether some acceptable type counts other than 1 unit per unit."""
        return any(f != 1 for f in self.factors().values())

    @property
    def is_rate(self) -> bool:
        """Whether this is a consumption requirement (a rate per month over a month range)."""
        return self.rate_per_month is not None

    @property
    def from_month_text(self) -> str:
        return self.from_month.strftime("%Y-%m") if self.from_month else ""

    @property
    def to_month_text(self) -> str:
        return self.to_month.strftime("%Y-%m") if self.to_month else ""

    @property
    def outstanding_quantity(self) -> Decimal:
        """Requirement units still to be covered (0 when cancelled)."""
        return Decimal(0) if self.cancelled else max(self.quantity - self.allocated_provides, Decimal(0))


def status_q(status: str, *, prefix: str = "") -> Q:
    """The derived status as a filter, the same rule as `Requirement.status`."""
    p = prefix
    live = Q(**{f"{p}cancelled": False})
    rules: dict[str, Any] = {
        RequirementStatus.CANCELLED: Q(**{f"{p}cancelled": True}),
        RequirementStatus.DELIVERED: live & Q(**{f"{p}delivered_milli__gte": in_milli(f"{p}quantity")}),
        RequirementStatus.COVERED: live
        & Q(**{f"{p}allocated_milli__gte": in_milli(f"{p}quantity")})
        & Q(**{f"{p}delivered_milli__lt": in_milli(f"{p}quantity")}),
        RequirementStatus.PARTLY_COVERED: live
        & Q(**{f"{p}allocated_milli__gt": 0})
        & Q(**{f"{p}allocated_milli__lt": in_milli(f"{p}quantity")}),
        RequirementStatus.OPEN: live & Q(**{f"{p}allocated_milli": 0}),
    }
    return cast("Q", rules[status])
