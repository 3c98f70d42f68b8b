"""The Kiel tracker's heavy-weapon rows (weapons.csv) as in-kind pledges: mapping and valuation.

* **Mapping.** Each model string of a row maps to a catalog item type through the reviewed data file
  `pledges/data/kiel_model_map.csv` (category, model, item_type, rationale, source, reviewed): an
  exact match on the category and the model's text as the tracker writes it, never a keyword
  guess. A model the file lists with an empty item_type is deliberately unmapped (its rationale
  says why): it gets no pledge. A model the file does not list at all is an error, so a new
  release cannot slip a model past the review.
* **Valuation.** A row gives one value (EUR) for all its weapons. It is split across the row's
  item types in proportion to count × the catalog's reference unit value (in EUR at the ECB rate
  of the value date), to the cent by the largest-remainder method, so the shares add up to the
  row's value exactly. Unmapped models take no share: the mapped ones carry the row's value. Each
  pledge then stores its share ÷ its quantity as unit value, rounded to the cent (so its value is
  within half a cent per unit of its share).
* **Flags.** A resulting unit value below 0.25 × the lowest or above 4 × the highest reference
  unit value of its item type is flagged: the tracker's value and the catalog disagree by more
  than a factor of four, and one of them needs a look.

Pure functions: the reference prices come in as a callable, so the split is testable without a
database.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from importlib import resources

CENT = Decimal("0.01")
#: A unit value outside [LOW × lowest reference, HIGH × highest reference] is flagged.
LOW = Decimal("0.25")
HIGH = Decimal("4")
MAP_FILE = "kiel_model_map.csv"
MAP_COLUMNS = ("category", "model", "item_type", "rationale", "source", "reviewed")
_MODEL = re.compile(r"^\s*(.*?)\s*\((\d+)\)\s*$")


class KielMappingError(ValueError):
    """The model map or a weapons row cannot be used: says which file, row or model, and why."""


@dataclass(frozen=True)
class ModelMapping:
    """One reviewed line of the model map: a tracker model string and its catalog item type."""

    category: str
    model: str
    item_type: str  # "" = deliberately unmapped
    rationale: str
    source: str
    reviewed: dt.date


@dataclass(frozen=True)
class Reference:
    """An item type's reference unit value in EUR on the value date, and the range of its price list."""

    unit_value: Decimal
    low: Decimal
    high: Decimal


@dataclass
class Share:
    """One item type's part of a row: its models, quantity, share of the value and unit value (EUR)."""

    item_type: str
    quantity: int
    models: list[tuple[str, int]]
    reference: Reference
    weight: Decimal = Decimal(0)
    share: Decimal = Decimal(0)
    unit_value: Decimal = Decimal(0)
    flag: str = ""


@dataclass
class RowSplit:
    """A weapons row split across its item types, with the models it left unmapped."""

    donor: str
    category: str
    count: int
    value: Decimal
    shares: list[Share]
    unmapped: list[tuple[str, int, str]] = field(default_factory=list)


def parse_map(text: str, *, name: str = MAP_FILE) -> dict[tuple[str, str], ModelMapping]:
    """The model map from its CSV text, keyed by (category, model); KielMappingError names the row."""
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != MAP_COLUMNS:
        raise KielMappingError(f"{name}: the columns must be {', '.join(MAP_COLUMNS)}")
    out: dict[tuple[str, str], ModelMapping] = {}
    for n, row in enumerate(reader, start=2):
        where = f"{name} row {n}"
        category, model = row["category"].strip(), row["model"].strip()
        if not category or not model:
            raise KielMappingError(f"{where}: category and model are required")
        if (category, model) in out:
            raise KielMappingError(f"{where}: {category} / {model!r} is listed twice")
        if not row["rationale"].strip() or not row["source"].strip():
            raise KielMappingError(f"{where}: a rationale and a source are required")
        try:
            reviewed = dt.date.fromisoformat(row["reviewed"].strip())
        except ValueError:
            raise KielMappingError(f"{where}: reviewed must be a date (YYYY-MM-DD)") from None
        out[(category, model)] = ModelMapping(
            category,
            model,
            row["item_type"].strip(),
            row["rationale"].strip(),
            row["source"].strip(),
            reviewed,
        )
    return out


def load_map() -> dict[tuple[str, str], ModelMapping]:
    """The shipped, reviewed model map (pledges/data/kiel_model_map.csv)."""
    text = resources.files("clearinghouse.pledges").joinpath("data", MAP_FILE).read_text(encoding="utf-8")
    return parse_map(text)


def parse_models(weapons_list: str) -> list[tuple[str, int]]:
    """`"CAESAR artillery howitzer (19); Bohdana self-propelled howitzer (18)"` → [(model, count), ...]."""
    models = []
    for part in weapons_list.split(";"):
        if not part.strip():
            continue
        match = _MODEL.match(part)
        if match is None:
            raise KielMappingError(f"weapons list: {part.strip()!r} is not 'model (count)'")
        models.append((match.group(1), int(match.group(2))))
    return models


def largest_remainder(total: Decimal, weights: Iterable[Decimal]) -> list[Decimal]:
    """`total` (to the cent) split in proportion to `weights`, in whole cents that add up to `total`.

    Each part gets the whole cents of its exact proportional amount; the cents left over go one by
    one to the largest fractional remainders (ties: the earlier part).
    """
    cents = int((total / CENT).to_integral_value(rounding=ROUND_HALF_UP))
    exact = [Fraction(w) for w in weights]
    if not exact or any(w <= 0 for w in exact):
        raise ValueError("weights must be positive")
    whole = sum(exact)
    quotas = [cents * w / whole for w in exact]
    parts = [q.numerator // q.denominator for q in quotas]
    left = cents - sum(parts)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return [Decimal(p) * CENT for p in parts]


def flag(unit_value: Decimal, reference: Reference) -> str:
    """Why a unit value is far outside its item type's reference range, or "" when it is not."""
    if reference.low * LOW <= unit_value <= reference.high * HIGH:
        return ""
    ratio = unit_value / reference.unit_value
    span = (
        f"{reference.low:,.2f} EUR"
        if reference.low == reference.high
        else f"{reference.low:,.2f}–{reference.high:,.2f} EUR"
    )
    return (
        f"{unit_value:,.2f} EUR a unit is {ratio:.3g} × the reference {reference.unit_value:,.2f} EUR, "
        f"outside {LOW}×–{HIGH}× of the reference range ({span})"
    )


def split_row(
    *,
    donor: str,
    category: str,
    count: int,
    value: Decimal,
    weapons_list: str,
    mapping: dict[tuple[str, str], ModelMapping],
    reference: Callable[[str], Reference],
) -> RowSplit:
    """A weapons row split across its mapped item types by count × reference unit value (see above)."""
    by_type: dict[str, Share] = {}
    unmapped: list[tuple[str, int, str]] = []
    for model, n in parse_models(weapons_list):
        entry = mapping.get((category, model))
        if entry is None:
            raise KielMappingError(
                f"{MAP_FILE}: {donor}, {category}: model {model!r} is not listed; "
                "map it to an item type or list it as unmapped, with a rationale"
            )
        if not entry.item_type:
            unmapped.append((model, n, entry.rationale))
            continue
        share = by_type.get(entry.item_type)
        if share is None:
            share = by_type[entry.item_type] = Share(
                item_type=entry.item_type, quantity=0, models=[], reference=reference(entry.item_type)
            )
        share.quantity += n
        share.models.append((model, n))
    shares = [by_type[code] for code in sorted(by_type)]
    if shares:
        for share in shares:
            share.weight = share.reference.unit_value * share.quantity
        for share, amount in zip(shares, largest_remainder(value, [s.weight for s in shares]), strict=True):
            share.share = amount
            share.unit_value = (amount / share.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            share.flag = flag(share.unit_value, share.reference)
    return RowSplit(donor, category, count, value, shares, unmapped)
