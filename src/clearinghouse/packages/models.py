"""Jointly funded packages: contents, funders, contracts and their monthly delivery schedules.

A package is bought by an implementing party (a participant, or an agency acting through one) with
money from several funders. Once contracted, each line of a delivery schedule is backed by an in-kind
pledge of the implementer (`ScheduleLine.pledge`), so the clearing house offers it, allocations and
deliveries are recorded against it like any other, and the reports know it as package supply (the
funders are credited, not the implementer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clearinghouse.core.actors import Actor
from clearinghouse.core.models import Releasable, RestrictedModel
from clearinghouse.core.money import AmountField, DerivedAmountField, RateField
from clearinghouse.core.releasability import visibility_q
from clearinghouse.packages.choices import PackageState


class Package(Releasable):
    """A package: `owner` is the participant acting for the implementer (`implementer`, a code)."""

    title = models.CharField(max_length=200)
    implementer = models.CharField(max_length=10, help_text="A participant's code, or an agency's (NSPA).")
    state = models.CharField(max_length=12, choices=PackageState.choices, default=PackageState.PROPOSED)
    value_date = models.DateField(help_text="Prices and funding are converted at the ECB rate of this day.")
    price_eur = DerivedAmountField(default=0)
    funded_eur = DerivedAmountField(default=0)
    cancel_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"Package {self.pk}: {self.title} ({self.state})"

    @property
    def shortfall_eur(self) -> object:
        return max(self.price_eur - self.funded_eur, 0)


class _PackagePart(RestrictedModel):
    """Visible with its package."""

    uses_releasable_to = True

    class Meta:
        abstract = True

    @classmethod
    def view_q(cls, user: Actor | None) -> Q | None:
        return visibility_q(user, prefix=cls.package_prefix)

    package_prefix = "package__"


class PackageItem(_PackagePart):
    """What the package buys: units of an item type at a unit value."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="items")
    item_type = models.ForeignKey("catalog.ItemType", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_value = AmountField()
    currency = models.CharField(max_length=3)
    value_eur = DerivedAmountField()
    fx_rate = RateField()
    fx_date = models.DateField()

    class Meta:
        ordering = ("package", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="packages_item_quantity_positive",
                violation_error_message="A package item's quantity must be positive.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_type_id}"


class PackageFunder(_PackagePart):
    """One funder's share: a participant's money (optionally from a financial pledge), or a fund's
    disbursement (`fund`, the fund's slug; the disbursement points here)."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="funders")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    fund = models.CharField(max_length=60, blank=True, help_text="The slug of the disbursing fund.")
    pledge = models.ForeignKey(
        "pledges.Pledge", on_delete=models.PROTECT, related_name="package_funding", null=True, blank=True
    )
    amount = AmountField()
    currency = models.CharField(max_length=3)
    amount_eur = DerivedAmountField()
    fx_rate = RateField()
    fx_date = models.DateField()

    class Meta:
        ordering = ("package", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="packages_funder_amount_positive",
                violation_error_message="A funder's amount must be positive.",
            ),
            models.CheckConstraint(
                condition=(Q(participant__isnull=False) & Q(fund=""))
                | (Q(participant__isnull=True) & ~Q(fund="")),
                name="packages_funder_participant_or_fund",
                violation_error_message="A funder is a participant or a fund, not both.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id or self.fund}: {self.amount} {self.currency}"


class PackageContract(_PackagePart):
    """A procurement contract of the package, with its monthly delivery schedule."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="contracts")
    supplier = models.CharField(max_length=200)
    value = AmountField()
    currency = models.CharField(max_length=3)
    value_eur = DerivedAmountField()
    fx_rate = RateField()
    fx_date = models.DateField()
    signed = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("package", "signed", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=0),
                name="packages_contract_value_positive",
                violation_error_message="A contract's value must be positive.",
            )
        ]

    def __str__(self) -> str:
        return f"Contract {self.pk} with {self.supplier}"


class ScheduleLine(_PackagePart):
    """Units of an item type due in a month; once the package is contracted, backed by an in-kind
    pledge of the implementer available from the first day of the month (the clearing house's offer)."""

    package_prefix = "contract__package__"

    contract = models.ForeignKey(PackageContract, on_delete=models.CASCADE, related_name="schedule")
    month = models.DateField(help_text="The first day of the month.")
    item_type = models.ForeignKey("catalog.ItemType", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    pledge = models.OneToOneField(
        "pledges.Pledge", on_delete=models.PROTECT, related_name="package_line", null=True, blank=True
    )

    class Meta:
        ordering = ("contract", "month", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="packages_schedule_quantity_positive",
                violation_error_message="A schedule line delivers at least one unit.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.quantity} × {self.item_type_id}"
