"""API schemas of the catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field, field_serializer

from clearinghouse.core.money import MoneyOut, money_text


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
    def resolve_capability(obj) -> str:  # type: ignore[no-untyped-def]
        return str(obj.capability.code)

    @staticmethod
    def resolve_prices(obj) -> list[Any]:  # type: ignore[no-untyped-def]
        return sorted(obj.prices.all(), key=lambda p: p.valid_from)
