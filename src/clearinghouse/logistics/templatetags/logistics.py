"""`{% shipments_of pledge=… %}` / `{% shipments_of requirement=… %}`: the timelines of the shipments
the viewer may see, for the pledge and requirement pages (a template library, so that those apps,
below logistics, never import it)."""

from __future__ import annotations

from typing import Any

from django import template

from clearinghouse.logistics import selectors

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
