"""Sites on the way to the recipient, shipments of an allocation's units, their events, receipts and
discrepancies, and the donors' end-use checks of delivered units."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.core.models import Releasable, RestrictedModel
from clearinghouse.core.releasability import sees_everything
from clearinghouse.logistics.choices import Resolution, ShipmentState, SiteKind
from clearinghouse.pledges.models import _allocation_visibility


class Site(Releasable):
    """A donor depot, logistics hub, handover point or recipient unit; a hub's location may be
    confidential (its marking decides who sees it, in lists and inside shipments)."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SiteKind.choices)
    country = models.CharField(max_length=3, help_text="ISO 3166 alpha-3.")
    # Exact on both databases (as every decimal column is: pledges/tests/test_money_limits.py).
    latitude = ExactDecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = ExactDecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class Shipment(RestrictedModel):
    """Units of one allocation on their way from a site to a site, by a carrier.

    Visible as its allocation is (whoever sees both pledge and requirement, and the pledge's donor);
    a site the viewer may not see is withheld from what the viewer is shown of it."""

    uses_releasable_to = True

    allocation = models.ForeignKey("pledges.Allocation", on_delete=models.PROTECT, related_name="shipments")
    quantity = models.PositiveIntegerField()
    from_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    to_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    carrier = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="The carrier's reference.")
    dispatched_on = models.DateField(null=True, blank=True)
    expected_on = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=ShipmentState.choices, default=ShipmentState.PLANNED)
    received = models.PositiveIntegerField(null=True, blank=True)
    damaged = models.PositiveIntegerField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True)
    receipt_note = models.TextField(blank=True)
    delivery = models.OneToOneField(
        "pledges.Delivery", on_delete=models.PROTECT, related_name="shipment", null=True, blank=True
    )
    discrepancy = models.PositiveIntegerField(default=0, help_text="quantity − (received − damaged).")
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True, default="")
    resolution_reason = models.TextField(blank=True)
    replacement = models.OneToOneField(
        "self", on_delete=models.PROTECT, related_name="replaces", null=True, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
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
                name="logistics_shipment_quantity_positive",
                violation_error_message="A shipment's quantity must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(received__isnull=True) | Q(received__lte=models.F("quantity")),
                name="logistics_shipment_received_lte_quantity",
                violation_error_message="More received than shipped.",
            ),
            models.CheckConstraint(
                condition=Q(damaged__isnull=True) | Q(damaged__lte=models.F("received")),
                name="logistics_shipment_damaged_lte_received",
                violation_error_message="More damaged than received.",
            ),
        ]
        indexes = [models.Index(fields=("state", "expected_on"), name="logistics_state_expected_idx")]

    def __str__(self) -> str:
        return f"Shipment {self.pk}: {self.quantity} of allocation {self.allocation_id} ({self.state})"

    @property
    def serviceable(self) -> int:
        return max(0, (self.received or 0) - (self.damaged or 0))

    @property
    def open_discrepancy(self) -> bool:
        return self.discrepancy > 0 and not self.resolution

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return _allocation_visibility(user, "allocation__pledge__", "allocation__requirement__")


class ShipmentEvent(RestrictedModel):
    """A dated step of a shipment: the state it reached, when, and where (a site, or none)."""

    uses_releasable_to = True

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    state = models.CharField(max_length=12, choices=ShipmentState.choices)
    at = models.DateTimeField()
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    source = models.CharField(max_length=120, blank=True, help_text='"" (by hand) or "carrier:<file>".')
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.state} at {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return _allocation_visibility(
            user, "shipment__allocation__pledge__", "shipment__allocation__requirement__"
        )


class EndUseCheck(RestrictedModel):
    """A donor's check of delivered units in the recipient's hands: when, how many verified, what was
    found. Visible to the donor (the pledge's owner), the coordination cell and auditors."""

    delivery = models.ForeignKey("pledges.Delivery", on_delete=models.PROTECT, related_name="end_use_checks")
    checked_on = models.DateField()
    units_verified = models.PositiveIntegerField()
    finding = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ("-checked_on", "-id")

    def __str__(self) -> str:
        return f"End-use check {self.pk}: {self.units_verified} verified on {self.checked_on}"

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        if sees_everything(user):
            return Q()
        if not is_signed_in(user) or user.participant_id is None:
            return None
        return Q(delivery__allocation__pledge__owner_id=user.participant_id)
