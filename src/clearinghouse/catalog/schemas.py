"""API schemas of the catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field


class CapabilityOut(Schema):
    code: str
    name: str
    sort_order: int


class PriceOut(Schema):
    unit_value: Decimal
    currency: str
    source: str
    valid_from: dt.date


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
        return obj.capability.code

    @staticmethod
    def resolve_prices(obj) -> list:  # type: ignore[no-untyped-def]
        return sorted(obj.prices.all(), key=lambda p: p.valid_from)
