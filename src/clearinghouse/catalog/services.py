"""Catalog services: load the shipped capability areas, item types and price list (the only writer)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from importlib import resources
from typing import Any

import pycountry
from django.db import transaction

from clearinghouse.catalog.models import CapabilityArea, DependentNeedRule, ItemPrice, ItemType
from clearinghouse.core import audit, money
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import InvalidInput


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("clearinghouse.catalog").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _upsert(model: Any, lookup: dict[str, Any], values: dict[str, Any], actor: Actor | None) -> str:
    """Create or update one row, auditing only real changes; returns created, updated or unchanged."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        audit.record(actor=actor, action="create", obj=obj, after=audit.snapshot(obj))
        return "created"
    before = audit.snapshot(obj)
    for key, value in values.items():
        setattr(obj, key, value)
    if audit.snapshot(obj) == before:
        return "unchanged"
    obj.save()
    audit.record(actor=actor, action="update", obj=obj, before=before, after=audit.snapshot(obj))
    return "updated"


def _decimal(value: str, where: str) -> Decimal:
    try:
        number = money.parse_amount(value, "unit_value")
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}", field="unit_value") from None
    assert number is not None
    return number


#: Bounds of an equivalence factor (catalog default or a requirement's override).
MIN_FACTOR = Decimal("0.001")
MAX_FACTOR = Decimal("10")


def equivalence_factor(value: Any, what: str, field: str = "factor") -> Decimal:
    """An equivalence factor: a decimal number > 0 and at most 10, with at most 3 decimals."""
    try:
        factor = Decimal(str(value).strip())
    except ArithmeticError:
        factor = Decimal("NaN")
    if (
        not factor.is_finite()
        or not MIN_FACTOR <= factor <= MAX_FACTOR
        or factor != factor.quantize(MIN_FACTOR)
    ):
        raise InvalidInput(
            f"{what} must be a number > 0 and at most 10 with at most 3 decimals, got {value!r}",
            field=field,
        )
    return factor.quantize(MIN_FACTOR)


NO_EQUIVALENCE: dict[str, Any] = {
    "equivalence_family": "",
    "default_factor": Decimal("1.000"),
    "equivalence_rationale": "",
    "equivalence_source": "",
}


def _equivalence(codes: set[str]) -> dict[str, dict[str, Any]]:
    """Default factors per item type from equivalence.csv (reviewed data, one rationale and source
    per row); types it does not name count 1 in no family."""
    out: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(_data_rows("equivalence.csv"), start=2):
        where = f"equivalence.csv row {n}"
        if row["item_type"] not in codes:
            raise InvalidInput(f"{where}: unknown item type {row['item_type']!r}", field="item_type")
        if not row["rationale"].strip() or not row["source"].strip():
            raise InvalidInput(f"{where}: a default factor needs a rationale and a source", field="source")
        out[row["item_type"]] = {
            "equivalence_family": row["equivalence_family"],
            "default_factor": equivalence_factor(row["factor"], f"{where}: factor"),
            "equivalence_rationale": row["rationale"],
            "equivalence_source": row["source"],
        }
    return out


@transaction.atomic
def load_catalog(*, actor: Actor | None = None) -> dict[str, int]:
    """Create or update capability areas, item types and reference prices from catalog/data/*.csv.

    Idempotent: a second run changes nothing and writes no audit event. Prices are keyed by item
    type and date, so a revision is a new row and earlier valuations keep their price.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    areas: dict[str, CapabilityArea] = {}
    for row in _data_rows("capabilities.csv"):
        outcome = _upsert(
            CapabilityArea,
            {"code": row["code"]},
            {"name": row["name"], "sort_order": int(row["sort_order"])},
            actor,
        )
        counts[outcome] += 1
    areas = {a.code: a for a in CapabilityArea.objects.all()}
    equivalence = _equivalence({row["code"] for row in _data_rows("item_types.csv")})
    for n, row in enumerate(_data_rows("item_types.csv"), start=2):
        capability = areas.get(row["capability"])
        if capability is None:
            raise InvalidInput(
                f"item_types.csv row {n}: unknown capability {row['capability']!r}", field="capability"
            )
        outcome = _upsert(
            ItemType,
            {"code": row["code"]},
            {
                "name": row["name"],
                "capability": capability,
                "unit": row["unit"],
                "family": row["family"],
                **equivalence.get(row["code"], NO_EQUIVALENCE),
            },
            actor,
        )
        counts[outcome] += 1
    types = {t.code: t for t in ItemType.objects.all()}
    types = {t.code: t for t in ItemType.objects.all()}
    for n, row in enumerate(_data_rows("prices.csv"), start=2):
        where = f"prices.csv row {n}"
        item_type = types.get(row["item_type"])
        if item_type is None:
            raise InvalidInput(f"{where}: unknown item type {row['item_type']!r}", field="item_type")
        if pycountry.currencies.get(alpha_3=row["currency"]) is None:
            raise InvalidInput(f"{where}: {row['currency']!r} is not an ISO 4217 code", field="currency")
        outcome = _upsert(
            ItemPrice,
            {"item_type": item_type, "valid_from": dt.date.fromisoformat(row["valid_from"])},
            {
                "unit_value": _decimal(row["unit_value"], where),
                "currency": row["currency"],
                "source": row["source"],
            },
            actor,
        )
        counts[outcome] += 1
    for outcome in _load_dependent_needs(types, actor):
        counts[outcome] += 1
    return counts


def _load_dependent_needs(types: dict[str, ItemType], actor: Actor | None) -> list[str]:
    """The dependent-need rules of dependent_needs.csv (reviewed data: a rationale and a source per
    rule), keyed by platform and derived item type; what happened to each (see `_upsert`)."""
    outcomes: list[str] = []
    for n, row in enumerate(_data_rows("dependent_needs.csv"), start=2):
        where = f"dependent_needs.csv row {n}"
        platform, item_type = types.get(row["platform"]), types.get(row["item_type"])
        if platform is None or item_type is None:
            unknown = row["platform"] if platform is None else row["item_type"]
            raise InvalidInput(f"{where}: unknown item type {unknown!r}", field="item_type")
        if not row["rationale"].strip() or not row["source"].strip():
            raise InvalidInput(f"{where}: a rule needs a rationale and a source", field="source")
        per_month = row["per_month"].strip().lower() in ("yes", "true", "1")
        months = int(row["months"] or 0)
        per_unit = int(row["per_unit"])
        if per_unit <= 0 or (per_month and not 0 < months <= 120) or (not per_month and months):
            raise InvalidInput(
                f"{where}: per_unit must be positive; a rate runs 1 to 120 months, a one-off 0",
                field="months",
            )
        outcomes.append(
            _upsert(
                DependentNeedRule,
                {"platform": platform, "item_type": item_type},
                {
                    "per_unit": per_unit,
                    "per_month": per_month,
                    "months": months,
                    "rationale": row["rationale"],
                    "source": row["source"],
                },
                actor,
            )
        )
    return outcomes


def can_revise_prices(user: Actor | None) -> bool:
    """Who revises the reference price list: the coordination cell (its coordinators) and admins."""
    from clearinghouse.participants.permissions import is_coordination_cell

    return is_coordination_cell(user)


def revise_price(
    *,
    actor: Actor,
    item_type: str,
    unit_value: Any,
    currency: str,
    valid_from: Any,
    source: str,
) -> ItemPrice:
    """Add a reference unit value of an item type from a date (a price revision).

    A revision is a new dated entry: earlier entries, and the valuations made with them, never
    change. One entry per item type and date (a second on the same date is a conflict)."""
    from clearinghouse.core import cleaning
    from clearinghouse.core.errors import Conflict, PermissionDenied

    if not can_revise_prices(actor):
        raise PermissionDenied("Only the coordination cell or an admin revises reference prices.")
    code = str(item_type or "").strip().upper()
    item = ItemType.objects.filter(code=code).first()
    if item is None:
        raise InvalidInput(f"item_type: unknown item type {item_type!r}", field="item_type")
    currency = str(currency or "").strip().upper()
    if len(currency) != 3 or pycountry.currencies.get(alpha_3=currency) is None:
        raise InvalidInput(f"currency: {currency!r} is not an ISO 4217 code", field="currency")
    value = cleaning.money(unit_value, "unit_value", currency=currency)
    day = cleaning.date(valid_from, "valid_from")
    source_text = cleaning.text(source, "source", max_length=300, multiline=False)
    if not source_text:
        raise InvalidInput("source: say where the price comes from", field="source")
    with transaction.atomic():
        if ItemPrice.objects.filter(item_type=item, valid_from=day).exists():
            raise Conflict(
                f"{item.code} already has a reference price from {day.isoformat()}; "
                "a revision takes another date.",
                field="valid_from",
            )
        price = ItemPrice.objects.create(
            item_type=item, unit_value=value, currency=currency, source=source_text, valid_from=day
        )
        audit.record(actor=actor, action="create", obj=price, after=audit.snapshot(price))
    return price
