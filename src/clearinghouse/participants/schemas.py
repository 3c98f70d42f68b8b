"""API schemas for participants, groups, mandates and the signed-in person."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from clearinghouse.core.schemas import IsoCountry
from clearinghouse.core.validation import Date, Text


class ParticipantOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    alliance_accession_year: int | None
    in_contact_group: bool
    groups: list[str] = Field(default_factory=list)

    @staticmethod
    def resolve_groups(obj) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(g.code for g in obj.groups.all())


class MandateOut(Schema):
    id: int
    participant: str
    start: dt.date
    end: dt.date | None
    notes: str

    @staticmethod
    def resolve_participant(obj) -> str:  # type: ignore[no-untyped-def]
        return obj.participant.code


class HandoverIn(Schema):
    to: IsoCountry = Field(description="Code of the participant that takes over the coordination.")
    on: Date = Field(description="First day of the new mandate (the old one ends the day before).")
    notes: Text = Field("", max_length=2000)


class MeOut(Schema):
    username: str
    participant: str
    role: str
