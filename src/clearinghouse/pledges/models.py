"""Pledges (in kind and financial), their yearly tranches, allocations to requirements, deliveries."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.core.models import Releasable, RestrictedModel
from clearinghouse.core.money import AmountField, DerivedAmountField, RateField
from clearinghouse.core.releasability import visibility_q
from clearinghouse.pledges.choices import Earmark, PledgeKind, PledgeStatus
from clearinghouse.requirements.models import from_milli, to_milli


class Pledge(Releasable):
    """What a donor (the owner) offers: items (in kind) or money (financial), moving through a lifecycle.

    The value is kept in the pledge's currency (`value_amount`) and in euros at the ECB reference
    rate of the value date, `available_from` (`value_eur`, with `fx_rate` in units of the currency
    per euro and `fx_date`, the date of the rate actually used). `allocated_quantity` and
    `delivered_quantity` are sums over the allocations, kept by the services under a row lock.
    """

    external_ref = models.CharField(max_length=100, blank=True, help_text="The donor's own reference.")
    kind = models.CharField(max_length=10, choices=PledgeKind.choices)
    status = models.CharField(max_length=12, choices=PledgeStatus.choices, default=PledgeStatus.OFFERED)
    item_type = models.ForeignKey(
        "catalog.ItemType", on_delete=models.PROTECT, related_name="pledges", null=True, blank=True
    )
    quantity = models.PositiveIntegerField(null=True, blank=True)
    unit_value = AmountField(null=True, blank=True)
    valuation_source = models.CharField(max_length=300, blank=True)
    amount = AmountField(null=True, blank=True)
    currency = models.CharField(max_length=3, help_text="ISO 4217.")
    purpose = models.CharField(max_length=300, blank=True)
    earmark = models.CharField(
        max_length=30,
        choices=Earmark.choices,
        blank=True,
        default=Earmark.NONE,
        help_text="A financial pledge's earmark: military_procurement makes it military aid in the reports.",
    )
    available_from = models.DateField(help_text="The value date: FX conversion uses the rate of this day.")
    announced_at = models.CharField(
        max_length=200, blank=True, help_text="Where it was announced, for events outside the system."
    )
    meeting = models.ForeignKey(
        "governance.Meeting",
        on_delete=models.PROTECT,
        related_name="pledges",
        null=True,
        blank=True,
        help_text="The meeting it was announced at (a meeting in the system).",
    )
    offered_against = models.ForeignKey(
        "requirements.Requirement",
        on_delete=models.SET_NULL,
        related_name="offers",
        null=True,
        blank=True,
        help_text="The requirement the donor offered this pledge against (null: a free offer). Its "
        "recipient may accept or decline the offer.",
    )
    notes = models.TextField(blank=True)
    value_amount = DerivedAmountField(null=True, blank=True)
    value_eur = DerivedAmountField(null=True, blank=True)
    fx_rate = RateField(null=True, blank=True)
    fx_date = models.DateField(null=True, blank=True)
    allocated_quantity = models.PositiveIntegerField(default=0)
    delivered_quantity = models.PositiveIntegerField(default=0)
    illustrative = models.BooleanField(
        default=False,
        help_text="Demo or training data, not a real pledge: labelled wherever shown, never in public "
        "figures. Fixed when the pledge is created.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every write (the ETag).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=("owner", "external_ref"),
                condition=~Q(external_ref=""),
                name="pledges_pledge_unique_external_ref",
                violation_error_message="This donor already has a pledge with this external reference.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=PledgeKind.IN_KIND,
                        item_type__isnull=False,
                        quantity__isnull=False,
                        quantity__gt=0,
                        amount__isnull=True,
                    )
                    | Q(
                        kind=PledgeKind.FINANCIAL, item_type__isnull=True, quantity__isnull=True, amount__gt=0
                    )
                ),
                name="pledges_pledge_kind_fields",
                violation_error_message="An in-kind pledge needs an item type and a positive quantity and no "
                "amount; a financial pledge needs a positive amount and no item type or quantity.",
            ),
            models.CheckConstraint(
                condition=Q(earmark=Earmark.NONE) | Q(kind=PledgeKind.FINANCIAL),
                name="pledges_pledge_earmark_financial_only",
                violation_error_message="Only a financial pledge is earmarked.",
            ),
            models.CheckConstraint(
                condition=Q(unit_value__isnull=True) | Q(unit_value__gte=0),
                name="pledges_pledge_unit_value_not_negative",
                violation_error_message="A unit value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(allocated_quantity=0) | Q(allocated_quantity__lte=F("quantity")),
                name="pledges_pledge_allocated_lte_quantity",
                violation_error_message="More is allocated than was pledged.",
            ),
            models.CheckConstraint(
                condition=Q(delivered_quantity__lte=F("allocated_quantity")),
                name="pledges_pledge_delivered_lte_allocated",
                violation_error_message="More is delivered than was allocated.",
            ),
        ]
        indexes = [
            models.Index(fields=("status", "kind"), name="pledges_status_kind_idx"),
            models.Index(fields=("available_from",), name="pledges_available_from_idx"),
            # Imports look pledges up by donor and external_ref; the partial unique index above
            # cannot serve `external_ref = '...'` lookups on SQLite.
            models.Index(fields=("owner", "external_ref"), name="pledges_owner_ref_idx"),
            # The visibility filter (marking, owner, released by name: the id) read from the index
            # alone: a list's count no longer reads every wide row (PostgreSQL's index-only scan).
            # Issue 18.
            models.Index(fields=("releasability", "owner", "id"), name="pledges_visibility_idx"),
        ]

    def __str__(self) -> str:
        return f"Pledge {self.pk} ({self.kind}, {self.status})"

    @property
    def unallocated_quantity(self) -> int:
        """Units of an in-kind pledge not yet allocated (0 for financial pledges)."""
        return (self.quantity or 0) - self.allocated_quantity


class PledgeTranche(RestrictedModel):
    """One year's share of a multi-year financial pledge, in the pledge's currency."""

    uses_releasable_to = True

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="tranches")
    year = models.PositiveSmallIntegerField()
    amount = AmountField()

    class Meta:
        ordering = ("pledge", "year")
        constraints = [
            models.UniqueConstraint(
                fields=("pledge", "year"),
                name="pledges_tranche_one_per_year",
                violation_error_message="A pledge has at most one tranche per year.",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="pledges_tranche_amount_positive",
                violation_error_message="A tranche's amount must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        """Visible with its pledge."""
        return visibility_q(user, prefix="pledge__")


def _allocation_visibility(user: Actor | None, pledge: str, requirement: str) -> Q:
    """Whoever sees both ends; and the pledge's own donor, who must follow (and deliver) its items
    wherever the cell allocated them, even to a requirement not released to it."""
    both = visibility_q(user, prefix=pledge) & visibility_q(user, prefix=requirement)
    # An empty Q means "everything", but Q() | q is just q: keep the empty one as it is.
    if not both or not is_signed_in(user):
        return both
    return both | Q(**{f"{pledge}owner_id": user.participant_id})


class Allocation(RestrictedModel):
    """Units of an in-kind pledge given to a requirement by the coordination cell.

    Visible to whoever sees both its pledge and its requirement (so it reveals neither), and to the
    pledge's own donor.
    """

    uses_releasable_to = True

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="allocations")
    requirement = models.ForeignKey(
        "requirements.Requirement", on_delete=models.PROTECT, related_name="allocations"
    )
    quantity = models.PositiveIntegerField(help_text="Whole units of the pledge's item type.")
    delivered_quantity = models.PositiveIntegerField(default=0)
    factor = ExactDecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal(1),
        help_text="Requirement units one unit of the pledge provides (the requirement's equivalence factor "
        "for the pledge's item type when the allocation was made).",
    )
    source = models.CharField(max_length=60, default="manual", help_text='"manual" or "clearing:<run id>".')
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every write (the ETag).")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="pledges_allocation_quantity_positive",
                violation_error_message="An allocation's quantity must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(delivered_quantity__lte=F("quantity")),
                name="pledges_allocation_delivered_lte_allocated",
                violation_error_message="More is delivered than was allocated.",
            ),
        ]

    def __str__(self) -> str:
        return f"Allocation {self.pk}: {self.quantity} of pledge {self.pledge_id} to {self.requirement_id}"

    @property
    def provides(self) -> Decimal:
        """What it provides, in the requirement's units (quantity × factor)."""
        return from_milli(self.quantity * to_milli(self.factor))

    @property
    def delivered_provides(self) -> Decimal:
        return from_milli(self.delivered_quantity * to_milli(self.factor))

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return _allocation_visibility(user, "pledge__", "requirement__")


class Delivery(RestrictedModel):
    """A dated, possibly partial, delivery against one allocation; the recipient confirms receipt."""

    uses_releasable_to = True

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="deliveries")
    quantity = models.PositiveIntegerField()
    delivered_on = models.DateField()
    notes = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1, help_text="Incremented by every write (the ETag).")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ("delivered_on", "id")
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="pledges_delivery_quantity_positive",
                violation_error_message="A delivery's quantity must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(confirmed_by__isnull=False),
                name="pledges_delivery_confirmed_by_someone",
                violation_error_message="A confirmed delivery names who confirmed it.",
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk}: {self.quantity} on {self.delivered_on}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return _allocation_visibility(user, "allocation__pledge__", "allocation__requirement__")


class DerivedNeed(RestrictedModel):
    """A requirement created or raised by a delivery of a platform, under a catalog rule (dependent
    needs: the platform's ammunition allowance, spares, training); `added` is what this delivery
    added (units, or units a month for a rate). Visible as its delivery is."""

    uses_releasable_to = True

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="derived_needs")
    requirement = models.ForeignKey(
        "requirements.Requirement", on_delete=models.PROTECT, related_name="derivations"
    )
    rule = models.ForeignKey("catalog.DependentNeedRule", on_delete=models.PROTECT, related_name="+")
    platform_units = models.PositiveIntegerField()
    added = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=("delivery", "rule"),
                name="pledges_derivedneed_once_per_delivery_rule",
                violation_error_message="A delivery applies each dependent-need rule once.",
            ),
        ]

    def __str__(self) -> str:
        return f"Requirement {self.requirement_id} +{self.added} from delivery {self.delivery_id}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return _allocation_visibility(
            user, "delivery__allocation__pledge__", "delivery__allocation__requirement__"
        )
