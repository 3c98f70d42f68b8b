"""API schemas of packages: money in as decimal strings (or short JSON numbers), out as decimal strings."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field

from clearinghouse.core.money import AmountIn
from clearinghouse.core.validation import Date, Text
from clearinghouse.core.validation import Line as TextLine

Money = str  # a decimal string with the currency's minor units (core.money.money_text)


class ItemIn(Schema):
    item_type: str = Field(max_length=40)
    quantity: int = Field(ge=1, le=2_000_000_000)
    unit_value: AmountIn
    currency: str = Field(min_length=3, max_length=3)


class FunderIn(Schema):
    participant: str = Field(max_length=10)
    amount: AmountIn
    currency: str = Field(min_length=3, max_length=3)
    pledge: int | None = Field(None, description="The financial pledge this money comes from.")


class PackageIn(Schema):
    title: TextLine = Field(max_length=200)
    implementer: str = Field(
        max_length=10, description="A participant's code (USA, CZE) or an agency's (NSPA)."
    )
    items: list[ItemIn] = Field(min_length=1)
    funders: list[FunderIn] = Field(default_factory=list)
    releasability: str = "coordination"
    releasable_to: list[str] = Field(default_factory=list)
    value_date: Date | None = Field(None, description="The day of the ECB rates used; default today.")


class TransitionIn(Schema):
    to: Literal["proposed", "funded", "contracted", "delivering", "completed", "cancelled"]
    reason: Text = Field("", max_length=2000, description="Required to cancel.")


class ScheduleIn(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    item_type: str = Field(max_length=40)
    quantity: int = Field(ge=1, le=2_000_000_000)


class ContractIn(Schema):
    supplier: TextLine = Field(max_length=200)
    value: AmountIn
    currency: str = Field(min_length=3, max_length=3)
    signed: Date
    schedule: list[ScheduleIn] = Field(default_factory=list)


class ItemOut(Schema):
    item_type: str
    quantity: int
    unit_value: Money
    currency: str
    value_eur: Money


class FunderOut(Schema):
    participant: str | None
    fund: str | None
    amount: Money
    currency: str
    amount_eur: Money
    pledge: int | None


class ScheduleOut(Schema):
    month: str
    item_type: str
    quantity: int
    pledge: int | None = Field(
        description="The in-kind pledge backing this line once contracted (the offer)."
    )
    delivered: int


class ContractOut(Schema):
    id: int
    supplier: str
    value: Money
    currency: str
    value_eur: Money
    signed: str
    schedule: list[ScheduleOut]


class PackageOut(Schema):
    id: int
    title: str
    implementer: str
    acting_participant: str
    state: str
    releasability: str
    value_date: str
    price_eur: Money
    funded_amount_eur: Money
    shortfall_eur: Money
    cancel_reason: str
    items: list[ItemOut]
    funders: list[FunderOut]
    contracts: list[ContractOut]
