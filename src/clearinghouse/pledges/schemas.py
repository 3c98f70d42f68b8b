"""API schemas of pledges, allocations and deliveries.

Pledge fields are the spreadsheet's columns (external_ref, donor, kind, item_type, quantity,
unit_value, amount, currency, available_from, releasability, notes) plus id, status and the rest.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from ninja import Schema
from pydantic import Field, field_serializer

from clearinghouse.core.choices import Releasability
from clearinghouse.core.money import AmountIn, MoneyOrNoneOut, MoneyText, RateOrNoneOut, money_text
from clearinghouse.core.schemas import IsoCountry
from clearinghouse.core.validation import Date, Id, Line, Text
from clearinghouse.pledges.choices import PledgeKind, PledgeStatus
from clearinghouse.requirements.equivalence import format_factor

if TYPE_CHECKING:
    from clearinghouse.pledges.models import Allocation, Delivery, Pledge

# An amount in a request: a decimal string (or a JSON number of at most 15 significant digits), at most
# 2 decimals, at most 999,999,999,999,999.99 (core.money: the same limits at every door).
Money = AmountIn
Currency = str


class TrancheIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    amount: Money = Field(..., gt=0)


class TrancheOut(Schema):
    year: int
    amount: MoneyText = Field(description="In the pledge's currency.")


class PledgeIn(Schema):
    external_ref: Line = Field(
        "", max_length=100, description="The donor's own reference (unique per donor)."
    )
    donor: IsoCountry = Field(..., description="The donor participant's code; must be your own.")
    kind: PledgeKind
    item_type: Line | None = Field(None, max_length=40, description="In kind: item type code.")
    quantity: int | None = Field(None, gt=0, description="In kind: number of units.")
    unit_value: Money | None = Field(
        None,
        ge=0,
        description="In kind; default: the catalog's reference price.",
    )
    valuation_source: Line = Field("", max_length=300)
    amount: Money | None = Field(None, gt=0, description="Financial.")
    currency: Currency | None = Field(None, min_length=3, max_length=3, description="ISO 4217, e.g. EUR.")
    purpose: Line = Field("", max_length=300)
    earmark: str = Field(
        "",
        description="Financial: `military_procurement` when the money is for buying weapons (counted as "
        "military aid in the reports), else empty.",
    )
    available_from: Date = Field(..., description="The value date; EUR conversion uses its ECB rate.")
    announced_at: Line = Field("", max_length=200, description="Where it was announced (outside events).")
    meeting: Id | None = Field(None, description="The id of the meeting it was announced at.")
    releasability: Releasability = Releasability.COORDINATION
    releasable_to: list[IsoCountry] = Field(default_factory=list)
    notes: Text = Field("", max_length=10_000)
    tranches: list[TrancheIn] = Field(default_factory=list, description="Financial: yearly tranches.")
    illustrative: bool = Field(
        False,
        description="Demo or training data, not a real pledge: labelled wherever shown and never counted "
        "in public figures. Fixed when the pledge is created.",
    )
    offered_against: Id | None = Field(
        None,
        description="The id of the requirement this pledge is offered against (one you see, not cancelled, "
        "accepting the item type); its recipient may then accept or decline the offer.",
    )


class PledgePatch(Schema):
    external_ref: Line | None = Field(None, max_length=100)
    donor: IsoCountry | None = None
    kind: PledgeKind | None = None
    item_type: Line | None = Field(None, max_length=40)
    quantity: int | None = Field(None, gt=0)
    unit_value: Money | None = Field(None, ge=0)
    valuation_source: Line | None = Field(None, max_length=300)
    amount: Money | None = Field(None, gt=0)
    currency: Currency | None = Field(None, min_length=3, max_length=3)
    purpose: Line | None = Field(None, max_length=300)
    earmark: str | None = None
    available_from: Date | None = None
    announced_at: Line | None = Field(None, max_length=200)
    meeting: Id | None = None
    releasability: Releasability | None = None
    releasable_to: list[IsoCountry] | None = None
    notes: Text | None = Field(None, max_length=10_000)
    tranches: list[TrancheIn] | None = None
    illustrative: bool | None = Field(
        None, description="Fixed at creation: only the stored value is accepted."
    )
    offered_against: Id | None = None


class TransitionIn(Schema):
    to: PledgeStatus
    reason: str = Field(
        "",
        description="Why (required to decline or withdraw; optional otherwise): kept in the audit chain "
        "and shown in the pledge's history.",
    )


class PledgeOut(Schema):
    id: int
    external_ref: str
    donor: str
    kind: str
    status: str
    item_type: str | None
    quantity: int | None
    unit_value: MoneyOrNoneOut
    valuation_source: str
    amount: MoneyOrNoneOut
    currency: str
    purpose: str
    earmark: str
    available_from: dt.date
    announced_at: str
    meeting: int | None = Field(None, description="The meeting it was announced at.")
    releasability: str
    releasable_to: list[str]
    notes: str
    value_amount: MoneyOrNoneOut = Field(description="Quantity × unit value, or the amount, in `currency`.")
    value_eur: MoneyOrNoneOut = Field(description="The value in EUR at the ECB rate of fx_date.")
    fx_rate: RateOrNoneOut = Field(description="ECB reference rate: units of `currency` per euro.")
    fx_date: dt.date | None = Field(description="Date of the ECB rate used (on or before available_from).")
    allocated_quantity: int
    delivered_quantity: int
    tranches: list[TrancheOut]
    illustrative: bool = Field(description="Demo or training data, not a real pledge.")
    offered_against: int | None = Field(None, description="The requirement it was offered against.")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_meeting(obj: Pledge) -> int | None:
        return obj.meeting_id

    @staticmethod
    def resolve_offered_against(obj: Pledge | dict[str, Any]) -> int | None:
        if isinstance(obj, dict):  # a stored answer replayed for the same Idempotency-Key
            return cast("int | None", obj.get("offered_against"))
        return obj.offered_against_id

    @staticmethod
    def resolve_donor(obj: Pledge) -> str:
        return obj.owner.code

    @staticmethod
    def resolve_item_type(obj: Pledge) -> str | None:
        return obj.item_type.code if obj.item_type is not None else None

    @staticmethod
    def resolve_releasable_to(obj: Pledge) -> list[str]:
        return sorted(p.code for p in obj.releasable_to.all())

    @staticmethod
    def resolve_tranches(obj: Pledge | dict[str, Any]) -> list[Any]:
        if isinstance(obj, dict):  # a stored answer replayed for the same Idempotency-Key
            return cast("list[Any]", obj["tranches"])
        return [
            {"year": t.year, "amount": money_text(t.amount, obj.currency)}
            for t in sorted(obj.tranches.all(), key=lambda t: t.year)
        ]

    @field_serializer("unit_value", "amount", "value_amount")
    def _in_currency(self, value: Decimal | None) -> str | None:
        """Amounts in the pledge's currency carry its minor units (none for JPY, ISK, KRW)."""
        return None if value is None else money_text(value, self.currency)


class AcceptIn(Schema):
    pledges: list[int] = Field(..., description="Ids of offered pledges to accept, all or none.")
    reason: Text = Field("", description="Why (optional): kept in the audit chain.")


class AcceptOut(Schema):
    accepted: list[int]


class ServableOut(Schema):
    requirement: int
    external_ref: str
    capability: str
    priority: str
    needed_by: dt.date | None
    quantity: int
    unit: str
    shortfall: str = Field(description="Requirement units still short, as far as you may know them.")
    items: list[str] = Field(description="Its acceptable item types that the donor has pledged before.")
    suggested_item: str
    suggested_quantity: int = Field(description="Units of suggested_item that would cover the shortfall.")


class AllocationIn(Schema):
    pledge: int = Field(..., description="Pledge id (in kind; accepted, committed or in delivery).")
    requirement: int = Field(..., description="Requirement id (must accept the pledge's item type).")
    quantity: int = Field(..., gt=0)
    notes: Text = Field("", max_length=10_000)


class AllocationPatch(Schema):
    quantity: int | None = Field(None, gt=0)
    notes: Text | None = Field(None, max_length=10_000)
    reason: Text = Field("", description="Why (optional): kept in the audit chain and shown in the history.")


class ReleaseIn(Schema):
    reason: Text = Field("", description="Why (optional): kept in the audit chain and shown in the history.")


class AllocationOut(Schema):
    id: int
    pledge: int
    requirement: int
    donor: str
    item_type: str | None
    quantity: int = Field(description="Whole units of the pledge's item type.")
    delivered_quantity: int
    factor: str = Field(
        description="Requirement units one unit provides (the requirement's equivalence factor for the "
        "item type when allocated), a decimal string."
    )
    provides: str = Field(description="quantity × factor, in the requirement's units (a decimal string).")
    delivered_provides: str
    source: str
    notes: str
    version: int
    created_at: dt.datetime
    created_by: str | None

    @staticmethod
    def resolve_pledge(obj: Allocation) -> int:
        return obj.pledge_id

    @staticmethod
    def resolve_factor(obj: Allocation) -> str:
        return format_factor(obj.factor)

    @staticmethod
    def resolve_provides(obj: Allocation) -> str:
        return format_factor(obj.provides)

    @staticmethod
    def resolve_delivered_provides(obj: Allocation) -> str:
        return format_factor(obj.delivered_provides)

    @staticmethod
    def resolve_requirement(obj: Allocation) -> int:
        return obj.requirement_id

    @staticmethod
    def resolve_donor(obj: Allocation) -> str:
        return obj.pledge.owner.code

    @staticmethod
    def resolve_item_type(obj: Allocation) -> str | None:
        return obj.pledge.item_type.code if obj.pledge.item_type is not None else None

    @staticmethod
    def resolve_created_by(obj: Allocation) -> str | None:
        return obj.created_by.username if obj.created_by is not None else None


class DeliveryIn(Schema):
    allocation: int
    quantity: int = Field(..., gt=0)
    delivered_on: Date
    notes: Text = Field("", max_length=10_000)


class DeliveryPatch(Schema):
    quantity: int | None = Field(None, gt=0)
    delivered_on: Date | None = None
    notes: Text | None = Field(None, max_length=10_000)


class DeliveryOut(Schema):
    id: int
    allocation: int
    pledge: int
    requirement: int
    quantity: int
    delivered_on: dt.date
    notes: str
    confirmed: bool
    confirmed_at: dt.datetime | None
    confirmed_by: str | None
    version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_allocation(obj: Delivery) -> int:
        return obj.allocation_id

    @staticmethod
    def resolve_pledge(obj: Delivery) -> int:
        return obj.allocation.pledge_id

    @staticmethod
    def resolve_requirement(obj: Delivery) -> int:
        return obj.allocation.requirement_id

    @staticmethod
    def resolve_confirmed_by(obj: Delivery) -> str | None:
        return obj.confirmed_by.username if obj.confirmed_by is not None else None
