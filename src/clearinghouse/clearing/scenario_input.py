"""A what-if scenario given in the domain's words (participant codes, catalog item types, dates),
checked against the database and the run's planning horizon, and translated into engine terms.

Every refusal is an `InvalidInput` whose field is the path of the value in the scenario document
(`add_offers.0.donor`, `delay_donors.DEU`), so the API answers 422 naming it, the CLI prints one
line and the page shows the message beside the field. Nothing is silently dropped: a hypothetical
offer from donor `XXX` of item `NOPE-XYZ` is an error, not a run identical to the baseline.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from clearinghouse.catalog.models import ItemType
from clearinghouse.core.errors import InvalidInput
from clearinghouse.matching.model import MAX_QUANTITY
from clearinghouse.packages.models import Package
from clearinghouse.participants.choices import ParticipantKind
from clearinghouse.participants.models import Participant

SCENARIO_KEYS = (
    "name",
    "exclude_donors",
    "delay_donors",
    "scale_donors",
    "add_offers",
    "stall_packages",
    "delay_packages",
    "baseline",
)
OFFER_KEYS = ("donor", "item_type", "quantity", "available_from")
# Participants that never give: they cannot stall, slip or make a hypothetical offer.
NOT_DONORS = (ParticipantKind.RECIPIENT, ParticipantKind.COORDINATING_BODY)
MAX_DELAY_MONTHS = 120
MAX_SCALE = 1000


@dataclass(frozen=True)
class Horizon:
    """The months a run plans over: from the first day of its first month to the last day of its
    last, period 0 to period `periods - 1`."""

    origin: dt.date
    periods: int

    @property
    def last_day(self) -> dt.date:
        months = self.origin.month - 1 + self.periods
        first_after = dt.date(self.origin.year + months // 12, months % 12 + 1, 1)
        return first_after - dt.timedelta(days=1)

    def period(self, day: dt.date) -> int:
        return (day.year - self.origin.year) * 12 + (day.month - self.origin.month)


def _fail(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", field=field)


def _donors(codes: Any, key: str) -> list[str]:
    """Participant codes of donors named by a scenario key (a list, or the keys of an object)."""
    if isinstance(codes, dict):
        values = list(codes)
    elif isinstance(codes, list):
        values = codes
    else:
        kind = "an object mapping donor codes to values" if key != "exclude_donors" else "a list of donors"
        raise _fail(key, f"must be {kind}")
    known = dict(Participant.objects.values_list("code", "kind"))
    for i, code in enumerate(values):
        where = f"{key}.{code}" if isinstance(codes, dict) else f"{key}.{i}"
        if not isinstance(code, str) or code not in known:
            raise _fail(where, f"unknown participant {code!r}")
        if known[code] in NOT_DONORS:
            raise _fail(where, f"{code} is not a donor ({ParticipantKind(known[code]).label.lower()})")
    return [str(c) for c in values]


def _packages(ids: Any, key: str) -> list[tuple[str, int]]:
    """(field path, package id) of the packages named by a scenario key (a list, or an object's keys)."""
    if isinstance(ids, dict):
        named = [(f"{key}.{k}", k) for k in ids]
    elif isinstance(ids, list):
        named = [(f"{key}.{i}", k) for i, k in enumerate(ids)]
    else:
        kind = "a list of package ids"
        if key == "delay_packages":
            kind = "an object mapping package ids to months"
        raise _fail(key, f"must be {kind}")
    known = set(Package.objects.values_list("pk", flat=True))
    out = []
    for where, value in named:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) not in known:
            raise _fail(where, f"unknown package {value!r}")
        out.append((where, int(text)))
    return out


def _whole(value: Any, field: str, *, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        else:
            raise _fail(field, f"must be {what}, got {value!r}")
    if not low <= value <= high:
        raise _fail(field, f"must be {what}, got {value}")
    return int(value)


def _day(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(field, f"{value!r} is not a date (YYYY-MM-DD)")


def _offer(i: int, offer: Any, horizon: Horizon, types: set[str], known: dict[str, str]) -> dict[str, Any]:
    """One hypothetical offer, checked: known donor and item type, positive quantity, a date inside
    the planning horizon."""
    where = f"add_offers.{i}"
    if not isinstance(offer, dict):
        raise _fail(where, "a hypothetical offer is an object with " + ", ".join(OFFER_KEYS))
    extra = sorted(set(offer) - set(OFFER_KEYS) - {"id"})
    if extra:
        raise _fail(f"{where}.{extra[0]}", f"unknown field (expected {', '.join(OFFER_KEYS)})")
    for key in OFFER_KEYS:
        if offer.get(key) in (None, ""):
            raise _fail(f"{where}.{key}", "required")
    donor = offer["donor"]
    if not isinstance(donor, str) or donor.strip().upper() not in known:
        raise _fail(f"{where}.donor", f"unknown participant {donor!r}")
    donor = donor.strip().upper()
    if known[donor] in NOT_DONORS:
        raise _fail(
            f"{where}.donor", f"{donor} is not a donor ({ParticipantKind(known[donor]).label.lower()})"
        )
    item_type = offer["item_type"]
    if not isinstance(item_type, str) or item_type.strip() not in types:
        raise _fail(f"{where}.item_type", f"unknown item type {item_type!r} (not in the catalog)")
    quantity = _whole(
        offer["quantity"], f"{where}.quantity", low=1, high=MAX_QUANTITY, what="a positive whole number"
    )
    day = _day(offer["available_from"], f"{where}.available_from")
    if not horizon.origin <= day <= horizon.last_day:
        raise _fail(
            f"{where}.available_from",
            f"{day} is outside the planning horizon of this run ({horizon.origin} to {horizon.last_day}, "
            "the months from now to the last needed-by or available-from date)",
        )
    cleaned = {"donor": donor, "item_type": item_type.strip(), "quantity": quantity, "available_from": day}
    engine = {**cleaned, "id": f"H{i + 1}", "available_from": horizon.period(day)}
    return {"cleaned": {**cleaned, "available_from": day.isoformat()}, "engine": engine}


def clean_scenario(
    scenario: Any, *, horizon: Horizon, pending_donors: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario as the engine takes it, and as it is stored (JSON, dates as strings).

    Donors named by `exclude_donors`, `delay_donors` and `scale_donors` must be participants that
    give; one with nothing pending is simply not in the problem (stalling it changes nothing, which
    is an answer, not an error).
    """
    if not isinstance(scenario, dict):
        raise InvalidInput("A scenario is a JSON object.", field="scenario")
    unknown_keys = sorted(set(scenario) - set(SCENARIO_KEYS))
    if unknown_keys:
        raise InvalidInput(f"Unknown scenario keys: {', '.join(unknown_keys)}.", field=unknown_keys[0])
    engine: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    if "name" in scenario:
        if not isinstance(scenario["name"], str):
            raise _fail("name", "must be text")
        engine["name"] = cleaned["name"] = scenario["name"]
    if "baseline" in scenario:
        cleaned["baseline"] = scenario["baseline"]
    offers = scenario.get("add_offers")
    if offers:
        if not isinstance(offers, list):
            raise _fail("add_offers", "must be a list of hypothetical offers")
        types = set(ItemType.objects.values_list("code", flat=True))
        known = dict(Participant.objects.values_list("code", "kind"))
        checked = [_offer(i, o, horizon, types, known) for i, o in enumerate(offers)]
        cleaned["add_offers"] = [c["cleaned"] for c in checked]
        engine["add_offers"] = [c["engine"] for c in checked]
        # Added offers come first, so the other keys may name their donors too.
        pending_donors = pending_donors | {c["engine"]["donor"] for c in checked}
    if scenario.get("exclude_donors"):
        codes = _donors(scenario["exclude_donors"], "exclude_donors")
        cleaned["exclude_donors"] = codes
        engine["exclude_donors"] = [c for c in codes if c in pending_donors]
    if scenario.get("delay_donors"):
        codes = _donors(scenario["delay_donors"], "delay_donors")
        months = {
            c: _whole(
                scenario["delay_donors"][c],
                f"delay_donors.{c}",
                low=0,
                high=MAX_DELAY_MONTHS,
                what=f"a whole number of months from 0 to {MAX_DELAY_MONTHS}",
            )
            for c in codes
        }
        cleaned["delay_donors"] = months
        engine["delay_donors"] = {c: m for c, m in months.items() if c in pending_donors}
    if scenario.get("scale_donors"):
        codes = _donors(scenario["scale_donors"], "scale_donors")
        factors: dict[str, float] = {}
        for c in codes:
            value = scenario["scale_donors"][c]
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or not 0 <= value <= MAX_SCALE:
                raise _fail(f"scale_donors.{c}", f"must be a number from 0 to {MAX_SCALE}, got {value!r}")
            factors[c] = float(value)
        cleaned["scale_donors"] = factors
        engine["scale_donors"] = {c: f for c, f in factors.items() if c in pending_donors}
    # Packages are not engine keys: the clearing services map them to their schedule's pledges.
    if scenario.get("stall_packages"):
        cleaned["stall_packages"] = [pk for _, pk in _packages(scenario["stall_packages"], "stall_packages")]
    if scenario.get("delay_packages"):
        raw = scenario["delay_packages"]
        named = _packages(raw, "delay_packages")
        cleaned["delay_packages"] = {
            str(pk): _whole(
                raw[key],
                where,
                low=0,
                high=MAX_DELAY_MONTHS,
                what=f"a whole number of months from 0 to {MAX_DELAY_MONTHS}",
            )
            for (where, pk), key in zip(named, list(raw), strict=True)
        }
    return engine, cleaned
