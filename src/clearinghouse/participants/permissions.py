"""Who may write what: the role checks shared by the requirements and pledges services.

Visibility (404) is decided by `restrict`; these decide, for a record the actor can see, whether
the actor's role allows the change (403). Admins may do everything.
"""

from __future__ import annotations

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.participants.choices import Role


def is_admin(user: Actor) -> bool:
    return bool(is_signed_in(user) and user.is_active and user.has_role(Role.ADMIN))


def is_coordination_cell(user: Actor) -> bool:
    """A coordinator of the coordinating body, or an admin: allocates, accepts and declines pledges."""
    if not is_signed_in(user) or not user.is_active:
        return False
    return is_admin(user) or (user.role == Role.COORDINATOR and user.is_coordination)


def is_donor_officer_of(user: Actor, participant_id: int | None) -> bool:
    """A donor officer acting for this participant (or an admin)."""
    if not is_signed_in(user) or not user.is_active:
        return False
    return is_admin(user) or (user.role == Role.DONOR_OFFICER and user.participant_id == participant_id)


def is_recipient_officer_of(user: Actor, participant_id: int | None) -> bool:
    """A recipient officer acting for this (recipient) participant (or an admin)."""
    if not is_signed_in(user) or not user.is_active:
        return False
    return is_admin(user) or (
        user.role == Role.RECIPIENT_OFFICER and user.is_recipient and user.participant_id == participant_id
    )
