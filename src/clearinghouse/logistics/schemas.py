"""API shapes of logistics: sites, shipments, events, receipts, resolutions, end-use checks."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from clearinghouse.core.validation import Date, Id, Line, Text


class SiteIn(Schema):
    code: Line = Field(..., max_length=40)
    name: Line = Field(..., max_length=200)
    kind: str
    country: str = Field(..., max_length=3)
    latitude: str | float | None = None
    longitude: str | float | None = None
    releasability: str = ""
    releasable_to: list[str] = Field(default_factory=list)
    notes: Text = Field("", max_length=10_000)


class SiteOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    country: str
    latitude: str | None
    longitude: str | None
    owner: str
    releasability: str
    notes: str


class ShipmentIn(Schema):
    allocation: Id
    quantity: int = Field(..., gt=0)
    from_site: Line = Field(..., max_length=40)
    to_site: Line = Field(..., max_length=40)
    carrier: Line = Field("", max_length=200)
    reference: Line = Field("", max_length=100)
    dispatched_on: Date | None = None
    expected_on: Date | None = None


class EventIn(Schema):
    state: str
    at: dt.datetime | None = None
    site: Line | None = Field(None, max_length=40)


class ReceiptIn(Schema):
    received: int = Field(..., ge=0)
    damaged: int = Field(0, ge=0)
    received_on: Date | None = None
    note: Text = Field("", max_length=10_000)


class ResolutionIn(Schema):
    resolution: str
    reason: Text = Field("", max_length=2000)
    carrier: Line = Field("", max_length=200)
    reference: Line = Field("", max_length=100)
    expected_on: Date | None = None


class EventOut(Schema):
    state: str
    at: dt.datetime
    site: str | None
    source: str


class ShipmentOut(Schema):
    id: int
    state: str
    allocation: int
    pledge: int
    requirement: int
    donor: str
    item_type: str | None
    capability: str
    quantity: int
    from_site: str | None
    to_site: str | None
    carrier: str
    reference: str
    dispatched_on: dt.date | None
    expected_on: dt.date | None
    overdue: bool
    received: int | None
    damaged: int | None
    received_on: dt.date | None
    note: str
    delivery: int | None
    discrepancy: int | None
    resolution: str | None
    resolution_reason: str
    replacement: int | None
    version: int
    events: list[EventOut] = Field(default_factory=list)


class EndUseCheckIn(Schema):
    delivery: Id
    checked_on: Date
    units_verified: int = Field(..., ge=0)
    finding: Text = Field(..., max_length=10_000)


class EndUseCheckOut(Schema):
    id: int
    delivery: int
    pledge: int
    donor: str
    checked_on: dt.date
    units_verified: int
    finding: str
    recorded_by: str
