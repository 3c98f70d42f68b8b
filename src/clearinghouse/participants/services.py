"""Participant services: reference data, coordination handover, accounts. The only code that writes."""

from __future__ import annotations

import csv
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

import pycountry
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from clearinghouse.core import audit, clock, validation
from clearinghouse.core.actors import Actor, is_signed_in
from clearinghouse.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from clearinghouse.participants.choices import MandateFunction, ParticipantKind, Role
from clearinghouse.participants.models import (
    CoordinationMandate,
    Participant,
    ParticipantGroup,
    SavedView,
    User,
)

ORGANISATION_CODES = {"EU", "NATO"}


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("clearinghouse.participants").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def validate_code(code: str) -> str:
    """An ISO 3166 alpha-3 country code, or one of the organisations' own codes."""
    code = code.strip().upper()
    if code in ORGANISATION_CODES:
        return code
    if len(code) != 3 or pycountry.countries.get(alpha_3=code) is None:
        raise InvalidInput(f"{code!r} is not an ISO 3166 alpha-3 country code nor EU/NATO.", field="code")
    return code


@transaction.atomic
def load_reference_data(*, actor: Actor | None = None) -> dict[str, int]:
    """Create or update participants, groups and the initial mandates from the shipped data files.

    Idempotent: a second run changes nothing and writes no audit event.
    """
    created = updated = 0
    for row in _data_rows("participants.csv"):
        code = validate_code(row["code"])
        values = {
            "name": row["name"],
            "kind": ParticipantKind(row["kind"]),
            "alliance_accession_year": int(row["alliance_accession_year"])
            if row["alliance_accession_year"]
            else None,
            "in_contact_group": row["in_contact_group"] == "true",
            "tracker_name": row["tracker_name"],
        }
        participant = Participant.objects.filter(code=code).first()
        if participant is None:
            participant = Participant.objects.create(code=code, **values)
            audit.record(actor=actor, action="create", obj=participant, after=audit.snapshot(participant))
            created += 1
            continue
        before = audit.snapshot(participant)
        for key, value in values.items():
            setattr(participant, key, value)
        if audit.snapshot(participant) != before:
            participant.save()
            audit.record(
                actor=actor,
                action="update",
                obj=participant,
                before=before,
                after=audit.snapshot(participant),
            )
            updated += 1
    for row in _data_rows("groups.csv"):
        group, new = ParticipantGroup.objects.get_or_create(code=row["code"], defaults={"name": row["name"]})
        group_before = None if new else audit.snapshot(group)
        if row["members"].startswith("@kind:"):
            members = list(Participant.objects.filter(kind=row["members"].removeprefix("@kind:")))
        else:
            members = list(Participant.objects.filter(code__in=row["members"].split()))
        group.name = row["name"]
        group.save()
        group.members.set(members)
        audit.record(
            actor=actor,
            action="create" if new else "update",
            obj=group,
            before=group_before,
            after=audit.snapshot(group),
        )
    shipped = set(CoordinationMandate.objects.values_list("function", flat=True))
    for row in _data_rows("mandates.csv"):
        if row["function"] in shipped:
            continue  # a function's history is shipped once; later changes are handovers
        mandate = CoordinationMandate.objects.create(
            participant=Participant.objects.get(code=row["participant"]),
            function=MandateFunction(row["function"]),
            co_chair=row["co_chair"] == "true",
            start=dt.date.fromisoformat(row["start"]),
            end=dt.date.fromisoformat(row["end"]) if row["end"] else None,
            notes=row["notes"],
            source=row["source"],
        )
        audit.record(actor=actor, action="create", obj=mandate, after=audit.snapshot(mandate))
    return {"created": created, "updated": updated}


def current_mandate(
    on: dt.date | None = None, *, function: str = MandateFunction.DELIVERY_COORDINATION
) -> CoordinationMandate | None:
    """The mandate of `function` in force on a date (today by default); for the chair, the chair's."""
    on = on or clock.today()
    return (
        CoordinationMandate.objects.select_related("participant")
        .filter(start__lte=on, function=function, co_chair=False)
        .exclude(end__lte=on)
        .order_by("-start")
        .first()
    )


def transfer_coordination(
    *, actor: Actor, to: str, on: dt.date, notes: str = "", source: str = ""
) -> CoordinationMandate:
    """The mechanics of a handover, for a caller that has checked who may do it: the open mandate
    ends on `on` and `to`'s opens from that day; the history stays.

    Its one caller is `governance.services.accept_handover` (an adopted decision of a body and the
    incoming participant's acceptance); there is no direct handover."""
    validation.clean_date(on, "on")
    notes = validation.clean_text(notes, "notes", multiline=True)
    with transaction.atomic():
        successor = Participant.objects.filter(code=to.upper()).first()
        if successor is None:
            raise InvalidInput(f"Unknown participant {to!r}.", field="to")
        current = (
            CoordinationMandate.objects.select_for_update()
            .filter(end__isnull=True, function=MandateFunction.DELIVERY_COORDINATION)
            .first()
        )
        if current is None:
            raise Conflict("There is no open mandate to hand over.")
        if current.participant_id == successor.pk:
            raise Conflict(f"{successor.code} already leads the coordination.")
        if on <= current.start:
            raise InvalidInput(
                f"The handover date {on} must be after the current mandate's start {current.start}.",
                field="on",
            )
        before = audit.snapshot(current)
        current.end = on
        current.save(update_fields=["end"])
        audit.record(
            actor=actor, action="handover", obj=current, before=before, after=audit.snapshot(current)
        )
        new = CoordinationMandate.objects.create(
            participant=successor,
            function=MandateFunction.DELIVERY_COORDINATION,
            start=on,
            notes=notes,
            source=source,
        )
        audit.record(actor=actor, action="handover", obj=new, after=audit.snapshot(new))
    return new


def create_user(
    *, actor: Actor | None, username: str, participant: str, role: str, password: str | None, email: str = ""
) -> User:
    """Create an account for a participant in a role (admins; or the system when actor is None)."""
    if actor is not None and not (is_signed_in(actor) and actor.has_role(Role.ADMIN)):
        raise PermissionDenied("Only an admin can create accounts.")
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", field="role")
    if not 1 <= len(username) <= 150:
        raise InvalidInput("A username has 1 to 150 characters.", field="username")
    for field, validator, value in (
        ("username", UnicodeUsernameValidator(), username),
        ("email", validate_email, email),
    ):
        try:
            if value:
                validator(value)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field=field) from exc
    with transaction.atomic():
        p = Participant.objects.filter(code=participant.upper()).first()
        if p is None:
            raise InvalidInput(f"Unknown participant {participant!r}.", field="participant")
        if User.objects.filter(username=username).exists():
            raise Conflict(f"An account named {username!r} exists already.")
        user = User(username=username, participant=p, role=role, email=email)
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit.record(
            actor=actor,
            action="create",
            obj=user,
            after=audit.snapshot(user, exclude=("password", "last_login")),
        )
    return user


@dataclass(frozen=True)
class NewAccount:
    """An account just created: `password` is generated, shown once and never stored in clear."""

    user: User
    password: str


def create_account(
    *, actor: Actor | None, username: str, participant: str, role: str, email: str = ""
) -> NewAccount:
    """Create an account for any participant with a generated password (admins, or the CLI operator)."""
    password = secrets.token_urlsafe(15)
    user = create_user(
        actor=actor, username=username, participant=participant, role=role, password=password, email=email
    )
    return NewAccount(user=user, password=password)


def deactivate_user(*, actor: Actor | None, username: str) -> User:
    """Deactivate an account: it cannot sign in, its sessions end and its tokens are revoked at once."""
    from clearinghouse.core.account_services import end_sessions
    from clearinghouse.core.models import ApiToken

    if actor is not None and not (is_signed_in(actor) and actor.has_role(Role.ADMIN)):
        raise PermissionDenied("Only an admin can deactivate accounts.")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            raise InvalidInput(f"No account named {username!r}.", field="username")
        if actor is not None and user.pk == actor.pk:
            raise Conflict("You cannot deactivate your own account.")
        if not user.is_active:
            return user
        before = audit.snapshot(user, exclude=("password", "last_login"))
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = end_sessions(user=user)
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
        audit.record(
            actor=actor,
            action="deactivate",
            obj=user,
            before=before,
            after={
                **audit.snapshot(user, exclude=("password", "last_login")),
                "sessions_ended": ended,
                "tokens_revoked": revoked,
            },
        )
    return user


def reset_password(*, actor: Actor | None, username: str) -> NewAccount:
    """Give an account a new generated password (a lost password; admins or the CLI operator); its
    sessions end. The password is returned once and never stored in clear."""
    from clearinghouse.core.account_services import end_sessions

    if actor is not None and not (is_signed_in(actor) and actor.has_role(Role.ADMIN)):
        raise PermissionDenied("Only an admin can reset passwords.")
    password = secrets.token_urlsafe(15)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            raise InvalidInput(f"No account named {username!r}.", field="username")
        user.set_password(password)
        user.save(update_fields=["password"])
        ended = end_sessions(user=user)
        audit.record(
            actor=actor,
            action="password_reset",
            object_type="participants.user",
            object_id=user.pk,
            after={"sessions_ended": ended},
        )
    return NewAccount(user=user, password=password)


def change_role(*, actor: Actor | None, username: str, role: str) -> User:
    """Grant an account another role (one role per account: the new one replaces the old; admins, or
    the CLI operator). An admin cannot change its own role, so the last admin never locks itself out;
    the change holds from the account's next request."""
    if actor is not None and not (is_signed_in(actor) and actor.has_role(Role.ADMIN)):
        raise PermissionDenied("Only an admin can change roles.")
    if role not in Role.values:
        raise InvalidInput(f"role: unknown role {role!r}; use one of {', '.join(Role.values)}", field="role")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            raise InvalidInput(f"No account named {username!r}.", field="username")
        if actor is not None and user.pk == actor.pk:
            raise Conflict("You cannot change your own role.", field="role")
        if user.role == role:
            return user
        before = audit.snapshot(user, exclude=("password", "last_login"))
        user.role = role
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save(update_fields=["role", "is_staff", "is_superuser"])
        audit.record(
            actor=actor,
            action="role_change",
            obj=user,
            before=before,
            after=audit.snapshot(user, exclude=("password", "last_login")),
        )
    return user


# --- saved views of lists --------------------------------------------------------------------------

_LIST_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


def _view_query(query: Any) -> str:
    """A list's query string as saved: without '?' and without its page number."""
    text = str(query or "").strip().lstrip("?")
    if len(text) > 1000:
        raise InvalidInput("query: at most 1000 characters", field="query")
    pairs = [(k, v) for k, v in parse_qsl(text, keep_blank_values=False) if k != "page"]
    return urlencode(pairs)


def save_view(*, actor: Actor, list_name: Any, name: Any, query: Any) -> SavedView:
    """Save (or replace, under the same name) the filters and order of one of the actor's lists."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to save views.")
    list_name = str(list_name or "").strip()
    if not _LIST_NAME.match(list_name):
        raise InvalidInput("list: the name of a list page, e.g. pledge-list", field="list")
    name = " ".join(str(name or "").split())
    if not 1 <= len(name) <= 80:
        raise InvalidInput("name: 1 to 80 characters", field="name")
    text = _view_query(query)
    with transaction.atomic():
        view = SavedView.objects.filter(user=actor, list_name=list_name, name=name).first()
        before = audit.snapshot(view, exclude=("created_at",)) if view is not None else None
        if view is None:
            view = SavedView(user=actor, list_name=list_name, name=name)
        view.query = text
        view.save()
        audit.record(
            actor=actor,
            action="update" if before else "create",
            obj=view,
            before=before,
            after=audit.snapshot(view, exclude=("created_at",)),
        )
    return cast("SavedView", view)


def delete_view(*, actor: Actor, view_id: int) -> None:
    """Delete one of the actor's saved views (another user's is not found)."""
    with transaction.atomic():
        view = SavedView.objects.restrict(actor, "delete").filter(pk=view_id).first()
        if view is None:
            raise NotFound("Saved view not found.")
        before = audit.snapshot(view, exclude=("created_at",))
        audit.record(actor=actor, action="delete", obj=view, before=before)
        view.delete()
