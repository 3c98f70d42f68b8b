"""Who may do what in governance: the rules the services check and the pages ask before offering."""

from __future__ import annotations

import datetime as dt

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.participants.choices import Role
from clearinghouse.participants.permissions import is_admin, is_coordination_cell


def may_manage(user: Actor, *, on: dt.date | None = None) -> bool:
    """The secretariat: a coordinator of the participant holding the delivery coordination (or an admin).

    Proposes and closes decisions, records any member's position, records meetings."""
    return is_coordination_cell(user, on=on)


def may_record_position(user: Actor, participant_id: int) -> bool:
    """The secretariat for any member, or a member's own officer for its own position."""
    if may_manage(user):
        return True
    if not is_signed_in(user) or not user.is_active:
        return False
    officer_roles = (Role.DONOR_OFFICER, Role.RECIPIENT_OFFICER, Role.COORDINATOR)
    return bool(user.role in officer_roles and user.participant_id == participant_id)


def may_accept_handover(user: Actor, participant_id: int) -> bool:
    """The incoming participant's coordinator accepts a handover (or an admin)."""
    if is_admin(user):
        return True
    if not is_signed_in(user) or not user.is_active:
        return False
    return bool(user.role == Role.COORDINATOR and user.participant_id == participant_id)
