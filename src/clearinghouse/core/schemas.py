"""Shared API schemas and constrained types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StringConstraints

from clearinghouse.core.validation import Line

IsoCountry = Annotated[str, StringConstraints(pattern=r"^([A-Z]{3}|EU|NATO)$")]


class FieldErrorOut(Schema):
    """One invalid field: where it is (`loc`, and the same joined by dots) and what is wrong."""

    loc: list[str | int]
    field: str
    msg: str


class ErrorOut(Schema):
    """Every error body: a readable message and, for bad input, the field it concerns (and every
    invalid field in `errors`, when the schema refused the input)."""

    detail: str
    field: str | None = None
    errors: list[FieldErrorOut] | None = None


class TokenIn(Schema):
    name: Line = Field("", max_length=100)
    days: int | None = Field(None, ge=1, le=3650, description="Days until it expires (default and most: 90).")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself. Shown once: store it now.")


class AuditEventOut(Schema):
    sequence: int
    created_at: dt.datetime
    actor: str
    actor_participant: str
    request_id: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    via: str = Field(description="page, api, cli, or cli-as (an account named with --as, unverified).")
    origin: str = Field(description="Client address, or the OS account and host of a CLI run.")
    prev_hash: str
    hash: str


class AuditVerifyOut(Schema):
    ok: bool
    checked: int
    broken_sequence: int | None
    reason: str
    checkpoints: int = Field(description="Signed checkpoints the chain was checked against.")
    warnings: list[str]


class SessionOut(Schema):
    """A signed-in browser session."""

    id: int
    created_at: dt.datetime
    address: str
    user_agent: str
    mfa: bool


class JobOut(Schema):
    """A background job: where it is, how far, and its result or error (core/jobs.py)."""

    id: int
    kind: str
    state: str = Field(description="queued, running, succeeded or failed.")
    progress: float = Field(ge=0, le=1, description="0 to 1.")
    result: dict[str, object] | None = Field(None, description="What the job did, once it succeeded.")
    error: str | None = Field(None, description="Why it failed (the job changed nothing).")
