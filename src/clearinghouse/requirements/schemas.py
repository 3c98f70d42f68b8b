"""API schemas of requirements: field names are the spreadsheet's columns plus id, status and the rest."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from clearinghouse.core.choices import Releasability
from clearinghouse.core.schemas import IsoCountry
from clearinghouse.core.validation import Date, Line, Text
from clearinghouse.requirements.choices import Priority


class RequirementIn(Schema):
    external_ref: Line = Field("", max_length=100, description="The recipient's own reference (unique).")
    capability: Line | None = Field(
        None, max_length=40, description="Capability area code; default: that of the first item type."
    )
    item_types: list[Line] = Field(..., min_length=1, description="Acceptable item type codes (substitutes).")
    quantity: int = Field(..., gt=0)
    unit: Line = Field("", max_length=40, description="Default: the unit of the first item type.")
    priority: Priority = Priority.MEDIUM
    needed_by: Date | None = None
    releasability: Releasability = Releasability.CONTACT_GROUP
    releasable_to: list[IsoCountry] = Field(default_factory=list)
    notes: Text = Field("", max_length=10_000)
    owner: IsoCountry | None = Field(None, description="The recipient (admins only; default: your own).")


class RequirementPatch(Schema):
    external_ref: Line | None = Field(None, max_length=100)
    capability: Line | None = Field(None, max_length=40)
    item_types: list[Line] | None = Field(None, min_length=1)
    quantity: int | None = Field(None, gt=0)
    unit: Line | None = Field(None, max_length=40)
    priority: Priority | None = None
    needed_by: Date | None = None
    releasability: Releasability | None = None
    releasable_to: list[IsoCountry] | None = None
    notes: Text | None = Field(None, max_length=10_000)


class RequirementOut(Schema):
    id: int
    external_ref: str
    owner: str
    capability: str
    item_types: list[str]
    quantity: int
    unit: str
    priority: str
    needed_by: dt.date | None
    releasability: str
    releasable_to: list[str]
    notes: str
    status: str
    coverage_pct: float = Field(description="Allocated as a percentage of the quantity required.")
    delivered_pct: float
    allocated_quantity: int
    delivered_quantity: int
    cancelled: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(obj) -> str:  # type: ignore[no-untyped-def]
        return obj.owner.code

    @staticmethod
    def resolve_capability(obj) -> str:  # type: ignore[no-untyped-def]
        return obj.capability.code

    @staticmethod
    def resolve_item_types(obj) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(t.code for t in obj.item_types.all())

    @staticmethod
    def resolve_releasable_to(obj) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(p.code for p in obj.releasable_to.all())
