"""Where a derived requirement comes from: the deliveries of platforms that created or raised it
(dependent needs; the links are `pledges.DerivedNeed`, written by the delivery service)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearinghouse.core.actors import Actor
from clearinghouse.requirements.models import Requirement


@dataclass(frozen=True)
class DerivedFrom:
    """One delivery that created or raised the requirement, and what it added."""

    delivery: int
    pledge: int
    platform: str
    platform_units: int
    rule: int
    added: int
    delivered_on: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery": self.delivery,
            "pledge": self.pledge,
            "platform": self.platform,
            "platform_units": self.platform_units,
            "rule": self.rule,
            "added": self.added,
        }


def derived_from(requirement: Requirement, user: Actor | None) -> list[DerivedFrom]:
    """The deliveries this requirement was derived from that `user` may see, oldest first ([] for a
    requirement entered by hand). A delivery the user may not see is left out, as everywhere."""
    links = list(requirement.derivations.all())  # reverse of pledges.DerivedNeed
    if not links:
        return []
    # The reverse relation's model (pledges.DerivedNeed): requirements does not import pledges.
    model: Any = requirement.derivations.model
    visible = (
        model.objects.restrict(user, "view")
        .filter(pk__in=[link.pk for link in links])
        .select_related("delivery__allocation", "rule__platform")
        .order_by("pk")
    )
    return [
        DerivedFrom(
            delivery=link.delivery_id,
            pledge=link.delivery.allocation.pledge_id,
            platform=link.rule.platform.code,
            platform_units=link.platform_units,
            rule=link.rule_id,
            added=link.added,
            delivered_on=link.delivery.delivered_on,
        )
        for link in visible
    ]
