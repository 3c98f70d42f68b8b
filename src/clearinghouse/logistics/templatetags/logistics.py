"""`{% shipments_of pledge=… %}` / `{% shipments_of requirement=… %}`: the timelines of the shipments
the viewer may see, for the pledge and requirement pages (a template library, so that those apps,
below logistics, never import it)."""

from __future__ import annotations

from typing import Any

from django import template

from clearinghouse.logistics import selectors
from clearinghouse.logistics.choices import MOVING

register = template.Library()


@register.inclusion_tag("logistics/_shipments_of.html", takes_context=True)
def shipments_of(context: Any, pledge: int | None = None, requirement: int | None = None) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (pledge or requirement):
        return {"shipments": []}
    visible = selectors.visible_site_ids(user)
    qs = selectors.shipment_list(user=user, pledge=pledge, requirement=requirement)[:50]
    return {"shipments": [selectors.shipment_dict(s, visible, events=True) for s in qs]}


@register.inclusion_tag("logistics/_to_do.html", takes_context=True)
def logistics_to_do(context: Any) -> dict[str, Any]:
    """The home page's logistics work: overdue shipments, receipts to record (the recipient's
    officers: shipments on their way to its requirements), open discrepancies."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    overdue = selectors.shipment_list(user=user, overdue=True).count()
    discrepancies = selectors.discrepancy_list(user=user).count()
    receipts = 0
    if getattr(user, "is_recipient", False):
        receipts = (
            selectors.shipment_list(user=user)
            .filter(state__in=MOVING, allocation__requirement__owner_id=user.participant_id)
            .count()
        )
    return {
        "show": bool(overdue or discrepancies or receipts),
        "overdue": overdue,
        "discrepancies": discrepancies,
        "receipts": receipts,
    }
