"""API routes for participants, coordination mandates and the signed-in person."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from clearinghouse.core.actors import signed_in
from clearinghouse.core.errors import NotFound
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut
from clearinghouse.participants import selectors, services
from clearinghouse.participants.choices import ParticipantKind
from clearinghouse.participants.models import CoordinationMandate, Participant, User
from clearinghouse.participants.schemas import (
    MandateOut,
    MeOut,
    ParticipantOut,
    RoleIn,
    UserCreatedOut,
    UserIn,
    UserOut,
)

participants_router = Router(tags=["participants"])
mandates_router = Router(tags=["mandates"])
me_router = Router(tags=["me"])
users_router = Router(tags=["users"])


@participants_router.get("", response=list[ParticipantOut])
@paginate(LimitOffsetPagination)
def list_participants(
    request: HttpRequest, kind: ParticipantKind | None = None, q: str | None = None
) -> QuerySet[Participant]:
    """Participants of the contact group (and donors outside it), by kind then name."""
    return selectors.participant_list(user=request.user, kind=kind, q=q).prefetch_related("groups")


@participants_router.get("/{code}", response={200: ParticipantOut, 404: ErrorOut})
def get_participant(request: HttpRequest, code: str) -> Participant:
    """One participant by its code (ISO alpha-3, EU or NATO)."""
    return selectors.get_participant(user=request.user, code=code)


@mandates_router.get("", response=list[MandateOut])
@paginate(LimitOffsetPagination)
def list_mandates(request: HttpRequest) -> QuerySet[CoordinationMandate]:
    """Who led the coordination, from when to when."""
    return selectors.mandate_list(user=request.user)


@me_router.get("", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    """Who you are signed in as."""
    user = signed_in(request.user)
    return {"username": user.username, "participant": user.participant.code, "role": user.role}


def _user_out(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "participant": user.participant.code,
        "role": user.role,
        "email": user.email,
        "is_active": user.is_active,
        "last_login": user.last_login,
    }


@users_router.get("", response=list[UserOut])
@paginate(LimitOffsetPagination)
def list_users(request: HttpRequest) -> list[dict[str, Any]]:
    """Accounts you may see: all for admins, auditors and the coordination cell; else your participant's."""
    return [_user_out(u) for u in selectors.user_list(user=request.user)]


@users_router.post("", response={201: UserCreatedOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def create_user(request: HttpRequest, payload: UserIn) -> Status[Any]:
    """Create an account for any participant (admins); the generated password is in the answer, once."""
    new = services.create_account(
        actor=request.user,
        username=payload.username,
        participant=payload.participant,
        role=payload.role,
        email=payload.email,
    )
    return Status(201, {**_user_out(new.user), "password": new.password})


@users_router.post(
    "/{username}/deactivate", response={200: UserOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def deactivate_user(request: HttpRequest, username: str) -> dict[str, Any]:
    """Deactivate an account (admins): its sessions end and its tokens are revoked at once."""
    if not selectors.user_list(user=request.user).filter(username=username).exists():
        raise NotFound("Account not found.")
    return _user_out(services.deactivate_user(actor=request.user, username=username))


@users_router.post(
    "/{username}/role", response={200: UserOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def change_role(request: HttpRequest, username: str, payload: RoleIn) -> dict[str, Any]:
    """Give an account another role (admins; not one's own): audited as `role_change`."""
    if not selectors.user_list(user=request.user).filter(username=username).exists():
        raise NotFound("Account not found.")
    return _user_out(services.change_role(actor=request.user, username=username, role=str(payload.role)))
