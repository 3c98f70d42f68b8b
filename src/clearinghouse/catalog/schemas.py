"""API schemas of the catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ninja import Schema
from pydantic import Field, field_serializer

from clearinghouse.core.money import MoneyOut, money_text

if TYPE_CHECKING:
    from clearinghouse.catalog.models import ItemType


class CapabilityOut(Schema):
    code: str
    name: str
    sort_order: int


class PriceOut(Schema):
    unit_value: MoneyOut
    currency: str
    source: str
    valid_from: dt.date

    @field_serializer("unit_value")
    def _in_currency(self, value: Decimal) -> str:
        return money_text(value, self.currency)


class ItemTypeOut(Schema):
    code: str
    name: str
    capability: str
    unit: str
    family: str
    prices: list[PriceOut] = Field(
        default_factory=list, description="The dated reference price list, oldest first."
    )

    @staticmethod
    def resolve_capability(obj: ItemType) -> str:
        return obj.capability.code

    @staticmethod
    def resolve_prices(obj: ItemType) -> list[Any]:
        return sorted(obj.prices.all(), key=lambda p: p.valid_from)
