"""Who may do what to requirements: the rules the services enforce (a 403) and the pages follow,
written once. Visibility (404) is `restrict`'s, not these."""

from __future__ import annotations

from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.participants.permissions import is_admin, is_recipient_officer_of


def may_enter(user: Actor) -> bool:
    """The recipient's officers enter requirements (for their own participant); admins too."""
    return is_admin(user) or (is_signed_in(user) and is_recipient_officer_of(user, user.participant_id))
