"""`Actor`: who calls a service, selector or policy — a signed-in `User` or the anonymous visitor.

`request.user` is one (django-stubs types it from AUTH_USER_MODEL), and so is the `User` a command
acts as. Check `actor.is_authenticated` (not `getattr`) before reading `role` or `participant_id`:
the check narrows the type to `User`. A service that also runs without anyone (a command, the
demo) takes `Actor | None`.

The user model lives in `participants`, above `core`; it is imported here for type checking only
(the one import `core` makes upwards, allowed by name in pyproject.toml's import contracts), as
core's foreign keys already name it through settings.AUTH_USER_MODEL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext

from clearinghouse.core.errors import PermissionDenied

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from clearinghouse.participants.models import User

Actor: TypeAlias = "User | AnonymousUser"

#: A signed-in account (the user model): the subject of account services (password, sessions,
#: second factor, tokens) and what a record's `created_by` holds.
Account: TypeAlias = "User"


def is_signed_in(actor: Actor | None) -> TypeIs[User]:
    """Whether `actor` is a signed-in account: not the anonymous visitor, nor None (the system)."""
    # getattr, as the code did before the type: None (the system) is not signed in.
    return bool(getattr(actor, "is_authenticated", False))


def signed_in(actor: Actor | None) -> User:
    """The account behind `actor`, once a permission check has admitted it (PermissionDenied if none)."""
    if not is_signed_in(actor):
        raise PermissionDenied(gettext("Sign in first."))
    return actor


def account_or_none(actor: Actor | None) -> User | None:
    """The account behind `actor`, or None for the anonymous visitor and the system."""
    return actor if is_signed_in(actor) else None
