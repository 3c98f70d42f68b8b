"""Catalog: capability areas, item types with their compatibility family, and a dated price list."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from clearinghouse.core.fields import ExactDecimalField
from clearinghouse.core.models import RestrictedModel
from clearinghouse.core.money import AmountField


class CapabilityArea(RestrictedModel):
    """A military capability the recipient needs (air defence, artillery, demining, ...)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("sort_order", "name")

    def __str__(self) -> str:
        return self.name


class ItemType(RestrictedModel):
    """A kind of item that can be requested and pledged, counted in `unit`.

    `family` groups interchangeable or mutually compatible items (a calibre standard such as
    155mm-NATO, a missile family): guns and their rounds share it, and so do substitutes.
    """

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    capability = models.ForeignKey(CapabilityArea, on_delete=models.PROTECT, related_name="item_types")
    unit = models.CharField(max_length=40, help_text='What a quantity counts, e.g. "rounds", "systems".')
    family = models.CharField(max_length=60, blank=True, help_text="Compatibility family, e.g. 155mm-NATO.")
    equivalence_family = models.CharField(
        max_length=60,
        blank=True,
        help_text="Capability family whose units this type is counted in, e.g. medium-range-air-defence.",
    )
    default_factor = ExactDecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("10"))],
        help_text="Units of its equivalence family one unit of this type provides (catalog default; a "
        "requirement may override it). Reviewed data: catalog/data/equivalence.csv.",
    )
    equivalence_rationale = models.CharField(max_length=300, blank=True)
    equivalence_source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("capability__sort_order", "code")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ItemPrice(RestrictedModel):
    """A reference unit value of an item type, valid from a date until the next entry's date.

    Revisions add entries; they never change earlier ones, so valuations made on an earlier date
    (and stored on the pledge) stay what they were.
    """

    item_type = models.ForeignKey(ItemType, on_delete=models.CASCADE, related_name="prices")
    unit_value = AmountField()
    currency = models.CharField(max_length=3, help_text="ISO 4217.")
    source = models.CharField(max_length=300)
    valid_from = models.DateField()

    class Meta:
        ordering = ("item_type", "valid_from")
        constraints = [
            models.UniqueConstraint(
                fields=("item_type", "valid_from"),
                name="catalog_itemprice_one_per_date",
                violation_error_message="An item type has at most one reference price per date.",
            ),
            models.CheckConstraint(
                condition=Q(unit_value__gt=0),
                name="catalog_itemprice_positive",
                violation_error_message="A reference unit value must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_type.code} {self.unit_value} {self.currency} from {self.valid_from}"


class DependentNeedRule(RestrictedModel):
    """A need a delivered platform brings with it: per unit of `platform` delivered, `per_unit`
    units of `item_type` (its ammunition allowance, spares, training).

    With `per_month`, `per_unit` is a rate: units a month for `months` months from the delivery's
    month (a consumption requirement); otherwise a one-off quantity needed in the delivery's month.
    Reviewed data: catalog/data/dependent_needs.csv, with a rationale and a source per rule.
    """

    platform = models.ForeignKey(ItemType, on_delete=models.PROTECT, related_name="dependent_rules")
    item_type = models.ForeignKey(ItemType, on_delete=models.PROTECT, related_name="derived_by_rules")
    per_unit = models.PositiveIntegerField(
        help_text="Units of item_type per platform unit (a month, for rates)."
    )
    per_month = models.BooleanField(default=False, help_text="A rate: per_unit units a month for `months`.")
    months = models.PositiveSmallIntegerField(
        default=0, help_text="How many months a rate runs from the delivery's month (0 for a one-off)."
    )
    rationale = models.CharField(max_length=300)
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ("platform__code", "item_type__code")
        constraints = [
            models.UniqueConstraint(
                fields=("platform", "item_type"),
                name="catalog_dependentneedrule_one_per_pair",
                violation_error_message="A platform has at most one rule per derived item type.",
            ),
            models.CheckConstraint(
                condition=Q(per_unit__gt=0)
                & (Q(per_month=True, months__gt=0, months__lte=120) | Q(per_month=False, months=0)),
                name="catalog_dependentneedrule_sane",
                violation_error_message="A rule derives a positive quantity; a rate runs 1 to 120 months.",
            ),
        ]

    def __str__(self) -> str:
        rate = f" a month for {self.months} months" if self.per_month else ""
        return f"{self.platform.code} → {self.per_unit} {self.item_type.code}{rate}"
