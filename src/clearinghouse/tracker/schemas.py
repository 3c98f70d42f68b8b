"""API schemas of the Kiel tracker releases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from clearinghouse.core.money import FigureOrNoneOut


class IdentityWarningOut(Schema):
    """A row of the release that breaks one of its own identities (kept, reported)."""

    file: str
    row: int
    check: str
    detail: str


class ReleaseOut(Schema):
    number: int
    period: str
    date: dt.date
    label: str
    citation: str
    imported_at: dt.datetime
    digest: str
    files: list[str]
    is_current: bool
    has_commitments: bool
    counts: dict[str, Any]
    warnings: list[IdentityWarningOut]

    @staticmethod
    def resolve_citation(obj: Any) -> str:
        return str(obj.source_line)


class RevisionOut(Schema):
    """A value that differs between two releases; old/new null where that release has no row."""

    from_release: int
    to_release: int
    participant: str
    name: str
    period: str
    year: int
    month: int
    type: str
    old: FigureOrNoneOut = Field(description="EUR billion, the older release's value (null: no row).")
    new: FigureOrNoneOut = Field(description="EUR billion, the newer release's value (null: no row).")
    change: FigureOrNoneOut = Field(description="EUR billion, new - old.")
