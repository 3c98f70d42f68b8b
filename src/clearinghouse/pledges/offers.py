"""Offers against needs: which donor a "requirements you could serve" view is for, and how one such
requirement is written for the API and the command line (the selectors find them)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.errors import InvalidInput, PermissionDenied
from clearinghouse.participants import cleaning as participant_cleaning
from clearinghouse.participants.choices import Role
from clearinghouse.participants.models import Participant
from clearinghouse.participants.permissions import is_admin, is_coordination_cell
from clearinghouse.pledges.choices import PledgeKind
from clearinghouse.pledges.selectors import Servable, donor_item_types, shortfall
from clearinghouse.requirements import coverage as coverage_rule
from clearinghouse.requirements import selectors as requirement_selectors


def donor_for_view(user: Actor, code: str | None) -> Participant:
    """The donor whose servable requirements are shown: a donor officer's own participant; the
    coordination cell and admins name one (`donor`)."""
    if is_coordination_cell(user) or is_admin(user):
        if not code:
            raise InvalidInput("donor: name the donor whose requirements to show", field="donor")
        return participant_cleaning.participant(code, "donor")
    if is_signed_in(user) and user.role == Role.DONOR_OFFICER and user.participant is not None:
        return user.participant
    raise PermissionDenied(
        "Only donor officers (and the coordination cell) see the requirements a donor could serve."
    )


def servable_json(s: Servable) -> dict[str, Any]:
    r = s.requirement
    return {
        "requirement": r.pk,
        "external_ref": r.external_ref,
        "capability": r.capability.code,
        "priority": r.priority,
        "needed_by": r.needed_by,
        "quantity": r.quantity,
        "unit": r.unit,
        "shortfall": format(s.shortfall.normalize(), "f"),
        "items": s.items,
        "suggested_item": s.suggested_item,
        "suggested_quantity": s.suggested_quantity,
    }


def offer_prefill(user: Actor, value: str) -> tuple[Any, dict[str, Any]]:
    """The requirement a new pledge is offered against (`value`, its id; None when blank or not a
    requirement the user sees) and the form's prefill: an acceptable item type (one the donor pledged
    before, if any), the shortfall in that type's units, the link."""
    if not value.isdigit():
        return None, {}
    requirement = requirement_selectors.requirement_list(user=user).filter(pk=int(value)).first()
    if requirement is None or requirement.cancelled:
        return None, {}
    types = sorted(requirement.item_types.all(), key=lambda t: t.code)
    if not types:
        return requirement, {"offered_against": requirement.pk}
    known = donor_item_types(user=user, donor=user.participant_id) if is_signed_in(user) else set()
    item = next((t for t in types if t.pk in known), types[0])
    seen = coverage_rule.of(requirement, user)
    short = shortfall(seen)
    factor = requirement.factor_of(item.code) or Decimal(1)
    return requirement, {
        "offered_against": requirement.pk,
        "kind": PledgeKind.IN_KIND,
        "item_type": item.code,
        "quantity": max(1, math.ceil(short / factor)) if short > 0 else "",
    }
