"""Who may do what to pledges: the rules the services enforce (a 403) and the pages follow (which
buttons and forms to show), written once. Visibility (404) is `restrict`'s, not these."""

from __future__ import annotations

from typing import Any

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.participants.choices import Role
from clearinghouse.participants.permissions import (
    is_admin,
    is_coordination_cell,
    is_donor_officer_of,
    is_recipient_officer_of,
)
from clearinghouse.pledges.choices import PledgeKind, PledgeStatus


def may_enter(user: Actor) -> bool:
    """Donor officers enter pledges (for their own participant); admins for any donor."""
    return is_admin(user) or (is_signed_in(user) and user.role == Role.DONOR_OFFICER)


def may_import(user: Actor) -> bool:
    """Who imports pledge spreadsheets: those who enter pledges, and the coordination cell, which
    imports on donors' behalf (the audit records the cell's officer as the actor, the donor as the
    pledges' owner)."""
    return may_enter(user) or is_coordination_cell(user)


def may_enter_for(user: Actor, donor_id: int | None, *, on_behalf: bool = False) -> bool:
    """Whether `user` enters pledges for this donor: its own donor officers and admins; with
    `on_behalf` (imports), the coordination cell too."""
    return is_donor_officer_of(user, donor_id) or (on_behalf and is_coordination_cell(user))


def may_move(user: Actor, pledge: Any, to: str) -> bool:
    """Who may request each move: the cell accepts and declines (and the recipient an offer made
    against one of its requirements); the donor withdraws; either commits or reports the progress of
    a financial pledge."""
    if to in (PledgeStatus.ACCEPTED, PledgeStatus.DECLINED):
        return is_coordination_cell(user) or may_decide_offer(user, pledge)
    if to == PledgeStatus.WITHDRAWN:
        return is_donor_officer_of(user, pledge.owner_id)
    return is_donor_officer_of(user, pledge.owner_id) or is_coordination_cell(user)


def moved_by_deliveries(pledge: Any, to: str) -> bool:
    """An in-kind pledge reaches in_delivery and delivered through its recorded deliveries only."""
    return pledge.kind == PledgeKind.IN_KIND and to in (PledgeStatus.IN_DELIVERY, PledgeStatus.DELIVERED)


def may_decide_offer(user: Actor, pledge: Any) -> bool:
    """The recipient officer of the requirement an offered pledge was made against accepts or declines it."""
    requirement = pledge.offered_against
    return requirement is not None and is_recipient_officer_of(user, requirement.owner_id)
