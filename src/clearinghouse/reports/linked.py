"""The contact group's records as linked tables, and the cells to withhold from them.

Every table of the records reports a viewer can get (totals by year and by month, donors by type,
groups, weapons by category and donor) is built from the same pledges, so their figures are
linked: a year is the sum of its months, the EU27 the sum of its members, all donors' military aid
the sum of the capability areas. This module expresses every figure of every one of those tables
as a sum of atoms (one pledge's allocated value, its value not yet allocated, its delivered value,
its quantity; see `selectors._records_dataset`), marks the primary suppressions (fewer than
`MIN_CONTRIBUTORS` donors), and asks `complementary.protect` which further cells to withhold.
The reports then publish each figure through `Dataset.cell`, so the page, the exports, the API and
the command line all withhold the same cells.

Donors' figures are also protected for each single year (`donors-year`): they are not a table of
their own, but the donors report filtered to a year shows them (withheld), and they must not be
worked out from the published years and groups either.

Pure Python: no Django here.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from clearinghouse.reports.complementary import CellSpec, Protection, protect
from clearinghouse.reports.suppression import MIN_CONTRIBUTORS, Contribution

# The protection margin: a withheld figure cannot be narrowed down by an attacker to less than
# ±20 % of its value, and never to less than ±1 million EUR (0.001 EUR bn) or ±1 item.
PROTECTION: dict[str, Protection] = {
    "money": Protection(percent=Decimal("0.20"), floor=Decimal("0.001")),
    "count": Protection(percent=Decimal("0.20"), floor=Decimal("1")),
}
RULE = (
    f"a cell with fewer than {MIN_CONTRIBUTORS} distinct contributing donors is withheld (null, "
    "suppressed), and further cells are withheld (complementary suppression) so that no withheld "
    "figure can be worked out from the figures published in any of these reports to within "
    "±20 % of its value (at least ±1 million EUR, or ±1 item)"
)
UNPROTECTED_RULE = "nothing is withheld: you may see every pledge behind every figure"
GROUP_COLUMNS = ("military", "financial", "humanitarian", "total")

_CACHE: OrderedDict[str, frozenset[Hashable]] = OrderedDict()
_CACHE_SIZE = 64
_LOCK = threading.Lock()


def cells(
    contributions: Iterable[Contribution],
    weapons: Iterable[Contribution],
    members: Mapping[str, set[str]],
    *,
    columns: Iterable[str],
    types: Iterable[str],
) -> tuple[dict[Hashable, CellSpec], dict[Hashable, Decimal]]:
    """Every figure of the linked tables as the set of atoms it sums, and the atoms' values."""
    contributions = list(contributions)
    weapons = list(weapons)
    columns = tuple(columns)
    groups: dict[Hashable, list[Contribution]] = defaultdict(list)
    family: dict[Hashable, str] = {}
    for c in contributions:
        if c.year is not None and c.month is not None and c.column in columns:
            groups[("totals", "year", str(c.year), c.column)].append(c)
            groups[("totals", "month", f"{c.year}-{c.month:02d}", c.column)].append(c)
        if c.column in types:
            groups[("donors", c.column, c.donor)].append(c)
            if c.year is not None:
                groups[("donors-year", c.column, c.donor, c.year)].append(c)
        if c.column in GROUP_COLUMNS:
            groups[("groups", "all_donors", c.column)].append(c)
            for code, codes in members.items():
                if c.donor in codes:
                    groups[("groups", code, c.column)].append(c)
    for c in weapons:
        for key in (
            ("weapons", "pair", c.category, c.donor, c.column),
            ("weapons", "category", c.category, c.column),
            ("weapons", "donor", c.donor, c.column),
        ):
            groups[key].append(c)
            family[key] = "count" if c.column == "count" else "money"
    values: dict[Hashable, Decimal] = {}
    for c in contributions:
        values[_atom(c)] = c.value
    for c in weapons:
        if c.column == "count":
            values[_atom(c)] = c.value
    specs = {
        key: CellSpec(
            atoms=frozenset(_atom(c) for c in items),
            primary=0 < len({c.donor for c in items}) < MIN_CONTRIBUTORS,
            family=family.get(key, "money"),
        )
        for key, items in groups.items()
    }
    return specs, values


def _atom(c: Contribution) -> Hashable:
    return c.atom if c.atom is not None else (c.record, c.column)


def withheld(
    contributions: Iterable[Contribution],
    weapons: Iterable[Contribution],
    members: Mapping[str, set[str]],
    *,
    columns: Iterable[str],
    types: Iterable[str],
) -> frozenset[Hashable]:
    """The keys of the cells to withhold (primary and complementary) from the linked tables.

    The answer depends only on the figures (the same figures give the same answer), so it is kept
    for the next request: the public page and a viewer's pages compute it once per change of data.
    """
    specs, values = cells(contributions, weapons, members, columns=columns, types=types)
    fingerprint = _fingerprint(specs, values)
    with _LOCK:
        if fingerprint in _CACHE:
            _CACHE.move_to_end(fingerprint)
            return _CACHE[fingerprint]
    result = protect(specs, values, PROTECTION).withheld
    with _LOCK:
        _CACHE[fingerprint] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _fingerprint(specs: Mapping[Hashable, CellSpec], values: Mapping[Hashable, Decimal]) -> str:
    digest = hashlib.sha256()
    for key in sorted(specs, key=repr):
        spec = specs[key]
        digest.update(repr((key, sorted(map(repr, spec.atoms)), spec.primary, spec.family)).encode())
    for atom in sorted(values, key=repr):
        digest.update(repr((atom, str(values[atom]))).encode())
    return digest.hexdigest()


def describe(result: frozenset[Hashable]) -> dict[str, Any]:
    """How many cells of each table are withheld (for logs and tests)."""
    counts: dict[str, int] = defaultdict(int)
    for key in result:
        counts[str(key[0])] += 1  # type: ignore[index]  # keys are tuples
    return dict(counts)
