"""Kinds and policies of the funds app, declared once."""

from __future__ import annotations

from django.db import models

from clearinghouse.pledges.choices import FIRM, PledgeStatus


class BurdenKeyKind(models.TextChoices):
    """How a burden key's weights are obtained."""

    GDP = "gdp", "GDP of a year (from the shipped GDP series)"
    FIXED = "fixed", "Fixed table of percentages (cost-share formula)"


class ShortfallPolicy(models.TextChoices):
    """What happens to an opted-out member's key share."""

    REDISTRIBUTE = "redistribute", "Redistribute over the other members by key"
    LEAVE_UNFUNDED = "leave_unfunded", "Leave unfunded"


class ContributionKind(models.TextChoices):
    """Cash paid into the fund, or a pledge credited at its valuation."""

    CASH = "cash", "Cash"
    IN_KIND = "in_kind", "In kind (pledge credited)"


class InKindCredit(models.TextChoices):
    """When a pledge is credited to a fund: once delivered (the default), or once committed."""

    AT_DELIVERY = "at_delivery", "At delivery (the pledge is delivered)"
    AT_COMMITMENT = "at_commitment", "At commitment (the pledge is committed, in delivery or delivered)"


# Pledge statuses that may be credited to a fund: the pledge is firm ("committed or delivered").
CREDITABLE_PLEDGE_STATUSES = FIRM
# ... under each crediting rule.
CREDITABLE_UNDER: dict[str, tuple[str, ...]] = {
    InKindCredit.AT_DELIVERY: (PledgeStatus.DELIVERED,),
    InKindCredit.AT_COMMITMENT: tuple(FIRM),
}
