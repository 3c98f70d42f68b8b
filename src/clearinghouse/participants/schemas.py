"""API schemas for participants, groups, mandates and the signed-in person."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ninja import Schema
from pydantic import Field

from clearinghouse.core.schemas import IsoCountry
from clearinghouse.participants.choices import Role

if TYPE_CHECKING:
    from clearinghouse.participants.models import CoordinationMandate, Participant


class ParticipantOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    alliance_accession_year: int | None
    in_contact_group: bool
    groups: list[str] = Field(default_factory=list)

    @staticmethod
    def resolve_groups(obj: Participant) -> list[str]:
        return sorted(g.code for g in obj.groups.all())


class MandateOut(Schema):
    id: int
    participant: str
    start: dt.date
    end: dt.date | None
    notes: str
    function: str = "delivery_coordination"
    co_chair: bool = False
    source: str = ""

    @staticmethod
    def resolve_participant(obj: CoordinationMandate) -> str:
        return obj.participant.code


class MeOut(Schema):
    username: str
    participant: str
    role: str


class UserOut(Schema):
    """An account (never its password)."""

    username: str
    participant: str
    role: str
    email: str
    is_active: bool
    last_login: dt.datetime | None


class UserIn(Schema):
    """A new account; the password is generated and returned once."""

    username: str = Field(..., min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    participant: IsoCountry
    role: Role
    email: str = Field("", max_length=254)


class RoleIn(Schema):
    """Another role for an account (it replaces the one held)."""

    role: Role


class UserCreatedOut(UserOut):
    password: str = Field(description="The generated password. Shown once: hand it over now.")
