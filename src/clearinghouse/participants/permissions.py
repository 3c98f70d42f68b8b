"""Who may write what: the role checks shared by the requirements and pledges services.

Visibility (404) is decided by `restrict`; these decide, for a record the actor can see, whether
the actor's role allows the change (403). Admins may do everything.
"""

from __future__ import annotations

import datetime as dt

from clearinghouse.core import clock
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.participants.choices import MandateFunction, Role
from clearinghouse.participants.models import CoordinationMandate


def is_admin(user: Actor) -> bool:
    return bool(is_signed_in(user) and user.is_active and user.has_role(Role.ADMIN))


def coordinating_participant_id(on: dt.date | None = None) -> int | None:
    """The participant holding the `delivery_coordination` mandate on `on` (today by default)."""
    on = on or clock.today()
    mandate = (
        CoordinationMandate.objects.filter(function=MandateFunction.DELIVERY_COORDINATION, start__lte=on)
        .exclude(end__lte=on)
        .order_by("-start")
        .first()
    )
    return mandate.participant_id if mandate is not None else None


def is_coordination_cell(user: Actor | None, *, on: dt.date | None = None) -> bool:
    """The one test of the coordination powers (run and accept clearing, allocate, endorse
    requirements, record positions): a coordinator of the participant that holds the active
    `delivery_coordination` mandate on `on` (today by default), or an admin. After a handover the
    outgoing participant's coordinators lose the powers from the effective date."""
    if not is_signed_in(user) or not user.is_active:
        return False
    if is_admin(user):
        return True
    return user.role == Role.COORDINATOR and user.participant_id == coordinating_participant_id(on)


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
