"""The Kiel tracker's weapons rows as pledges: the reviewed model map, the value split, the flags.

Issue 9, items 13 (a row's value split by reference prices, flags) and 14 (wrong model mappings).
Pure Python: the shipped CSV files, no database.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.pledges import kiel_weapons
from clearinghouse.pledges.kiel_weapons import KielMappingError, Reference

# The catalog's capability area of each Kiel category: a model maps to an item type of its kind.
KIND = {
    "Howitzers": {"artillery"},
    "Tanks": {"armour"},
    "IFV": {"infantry-fighting-vehicles"},
    "MLRS": {"rocket-artillery"},
    "Air Defense": {"air-defence"},
}


def _rows(package: str, *path: str) -> list[dict[str, str]]:
    text = resources.files(package).joinpath(*path).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in _rows("clearinghouse.catalog", "data", "item_types.csv")}


@pytest.fixture(scope="module")
def prices() -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for r in _rows("clearinghouse.catalog", "data", "prices.csv"):
        out.setdefault(r["item_type"], []).append(r)
    return out


@pytest.fixture(scope="module")
def weapons() -> list[dict[str, str]]:
    return _rows("clearinghouse.tracker", "data", "kiel-r29", "weapons.csv")


@pytest.fixture(scope="module")
def mapping() -> dict[tuple[str, str], kiel_weapons.ModelMapping]:
    return kiel_weapons.load_map()


def _met(weapons: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {
        (row["category"], model)
        for row in weapons
        for model, _ in kiel_weapons.parse_models(row["weapons_list"])
    }


# ------------------------------------------------------------------- item 14: the reviewed model map


def test_the_map_covers_every_model_of_the_shipped_weapons_file_and_nothing_else(
    weapons: list[dict[str, str]], mapping: dict[tuple[str, str], kiel_weapons.ModelMapping]
) -> None:
    met = _met(weapons)
    assert len(met) == 61
    assert set(mapping) == met, (sorted(met - set(mapping)), sorted(set(mapping) - met))


def test_every_model_maps_to_a_priced_item_type_of_its_kind_or_says_why_not(
    mapping: dict[tuple[str, str], kiel_weapons.ModelMapping],
    catalog: dict[str, dict[str, str]],
    prices: dict[str, list[dict[str, str]]],
) -> None:
    for (category, model), entry in mapping.items():
        assert entry.source and entry.rationale and entry.reviewed, model
        if not entry.item_type:
            continue
        item = catalog.get(entry.item_type)
        assert item is not None, f"{model}: {entry.item_type} is not in the catalog"
        assert item["capability"] in KIND[category], f"{model} → {entry.item_type} ({item['capability']})"
        assert entry.item_type in prices, f"{entry.item_type} has no reference price"
        assert all(p["source"] for p in prices[entry.item_type])


def test_a_calibre_the_model_names_is_the_calibre_of_its_item_type(
    mapping: dict[tuple[str, str], kiel_weapons.ModelMapping], catalog: dict[str, dict[str, str]]
) -> None:
    stated = 0
    for (_, model), entry in mapping.items():
        calibre = re.search(r"(\d{3})\s*mm|\b(\d{3})/\d+", model)  # "155mm", "105/14"
        if not entry.item_type or calibre is None:
            continue
        mm = calibre.group(1) or calibre.group(2)
        assert catalog[entry.item_type]["family"].startswith(f"{mm}mm"), (model, entry.item_type)
        stated += 1
    assert stated >= 8  # FH70, M101, M50, L119, M109 (two spellings), Mod 56 105/14, 105mm howitzer


# The defects the review found, each with the item type it must map to now, the one it mapped to
# before, and (for guns) the calibre family that decides which rounds match it.
LISTED = [
    ("IFV", "YPR-765 infantry vehicle", "APC-YPR765", "IFV-BMP1", "m113"),
    ("Tanks", "M-55S tank", "ARM-M55S", "ARM-T72", "105mm-tank"),
    ("Howitzers", "Bohdana self-propelled howitzer", "ART-BOHDANA", "ART-DANA", "155mm-NATO"),
    ("Air Defense", "S-300 air defence system", "AD-S300", "AD-KUB", "s-300"),
    ("Air Defense", "Crotale air-defense system", "AD-CROTALE", "AD-HAWK", "crotale"),
    (
        "Air Defense",
        "Stormer Armored vehicle with Starstreak anti-air missile launchers",
        "AD-STORMER-HVM",
        "AD-STINGER",
        "starstreak",
    ),
    ("Air Defense", "RAVEN Ground Based Air Defence System", "AD-RAVEN", "AD-STINGER", "asraam"),
    ("Howitzers", "FH70 155mm howitzer", "ART-FH70", "ART-M777", "155mm-NATO"),
    ("Howitzers", "TRF1 howitzer", "ART-TRF1", "ART-M777", "155mm-NATO"),
    ("Howitzers", "RCH-155 self propelled howitzer", "ART-RCH155", "ART-CAESAR", "155mm-NATO"),
]


@pytest.mark.parametrize(("category", "model", "now", "before", "family"), LISTED)
def test_the_models_the_review_found_wrong_map_to_the_right_item_type(
    mapping: dict[tuple[str, str], kiel_weapons.ModelMapping],
    catalog: dict[str, dict[str, str]],
    category: str,
    model: str,
    now: str,
    before: str,
    family: str,
) -> None:
    entry = mapping[(category, model)]
    assert entry.item_type == now != before
    assert catalog[now]["family"] == family
    assert "was mapped to" in entry.rationale


def test_a_bohdana_fires_the_155mm_rounds_and_a_dana_the_152mm_ones(
    catalog: dict[str, dict[str, str]],
) -> None:
    rounds = {code for code, item in catalog.items() if item["capability"] == "ammunition"}
    fits = {gun: {r for r in rounds if catalog[r]["family"] == catalog[gun]["family"]} for gun in catalog}
    assert {"AMM-155-HE", "AMM-155-PGM"} == fits["ART-BOHDANA"] == fits["ART-FH70"] == fits["ART-RCH155"]
    assert fits["ART-TRF1"] == fits["ART-BOHDANA"]
    assert fits["ART-DANA"] == {"AMM-152-HE"}


def test_a_personnel_carrier_is_not_an_infantry_fighting_vehicle(catalog: dict[str, dict[str, str]]) -> None:
    assert "personnel carrier" in catalog["APC-YPR765"]["name"]
    assert catalog["APC-YPR765"]["family"] != catalog["IFV-BMP1"]["family"]


def test_an_unidentified_model_is_listed_as_unmapped_with_its_reason(
    mapping: dict[tuple[str, str], kiel_weapons.ModelMapping],
) -> None:
    entry = mapping[("IFV", "AiTO30 FDC")]
    assert entry.item_type == "" and "Not identified" in entry.rationale


def test_a_model_the_map_does_not_list_is_refused_by_name(
    mapping: dict[tuple[str, str], kiel_weapons.ModelMapping],
) -> None:
    with pytest.raises(KielMappingError, match="'Leopard-2A7' is not listed"):
        kiel_weapons.split_row(
            donor="DEU",
            category="Tanks",
            count=1,
            value=Decimal(1),
            weapons_list="Leopard-2A7 (1)",
            mapping=mapping,
            reference=lambda code: Reference(Decimal(1), Decimal(1), Decimal(1)),
        )


HEADER = "category,model,item_type,rationale,source,reviewed\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("category,model,item_type\n", "the columns must be"),
        (HEADER + "Tanks,T-72,ARM-T72,r,s,2026-12-01\nTanks,T-72,ARM-T72,r,s,2026-12-01\n", "row 3: .*twice"),
        (HEADER + "Tanks,T-72,ARM-T72,,s,2026-12-01\n", "row 2: a rationale and a source"),
        (HEADER + "Tanks,T-72,ARM-T72,r,s,last week\n", "row 2: reviewed must be a date"),
    ],
)
def test_a_broken_map_names_its_row(text: str, message: str) -> None:
    with pytest.raises(KielMappingError, match=message):
        kiel_weapons.parse_map(text)


# ------------------------------------------------------------------- item 13: the split and the flags


def test_largest_remainder_gives_the_leftover_cents_to_the_largest_remainders() -> None:
    assert kiel_weapons.largest_remainder(Decimal("1.00"), [Decimal(1)] * 3) == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]
    assert kiel_weapons.largest_remainder(Decimal("10"), [Decimal(1), Decimal(2), Decimal(3)]) == [
        Decimal("1.67"),
        Decimal("3.33"),
        Decimal("5.00"),
    ]


@given(
    st.integers(min_value=0, max_value=10**15),
    st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=6),
)
def test_largest_remainder_keeps_the_total_to_the_cent(cents: int, weights: list[int]) -> None:
    total = Decimal(cents) / 100
    parts = kiel_weapons.largest_remainder(total, [Decimal(w) for w in weights])
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(cents) * weight / sum(weights) / 100
        assert abs(part - exact) < Decimal("0.01")


# The catalog's reference unit values (EUR) of the models in the rows.
REFS = {
    "AD-AVENGER": Decimal("2293577.98"),  # 2,500,000 USD at the ECB rate of the row's date
    "AD-NASAMS": Decimal("49013492.00"),
    "AD-PATRIOT": Decimal("371781764.00"),
    "AD-HAWK": Decimal("15000000.00"),
    "AD-IRIST-SLM": Decimal("140000000.00"),
}


def _ref(code: str) -> Reference:
    return Reference(REFS[code], REFS[code], REFS[code])


def _split(
    category: str,
    donor: str,
    weapons: list[dict[str, str]],
    mapping: dict[tuple[str, str], kiel_weapons.ModelMapping],
) -> kiel_weapons.RowSplit:
    names = {"USA": "United States", "DEU": "Germany"}
    row = next(r for r in weapons if r["donor"] == names[donor] and r["category"] == category)
    return kiel_weapons.split_row(
        donor=donor,
        category=category,
        count=int(row["number_of_weapons"]),
        value=Decimal(row["monetary_value_eur"]),
        weapons_list=row["weapons_list"],
        mapping=mapping,
        reference=_ref,
    )


def test_the_us_air_defence_row_is_split_by_reference_prices_not_averaged(
    weapons: list[dict[str, str]], mapping: dict[tuple[str, str], kiel_weapons.ModelMapping]
) -> None:
    split = _split("Air Defense", "USA", weapons, mapping)
    shares = {s.item_type: s for s in split.shares}
    assert {code: s.quantity for code, s in shares.items()} == {
        "AD-AVENGER": 20,
        "AD-NASAMS": 13,
        "AD-PATRIOT": 3,
        "AD-HAWK": 2,
    }
    # The shares add up to the row's 1,822,136,984 EUR exactly.
    assert sum(s.share for s in split.shares) == Decimal("1822136984.00")
    # Before: 1,822,136,984 / 38 = 47.95 m EUR for an Avenger and for a Patriot battery alike.
    average = Decimal("1822136984") / 38
    assert shares["AD-AVENGER"].unit_value < average / 10
    assert shares["AD-PATRIOT"].unit_value > average * 7
    # Each within 1 % of its reference: the row's value is close to the sum of its references.
    for code, share in shares.items():
        assert abs(share.unit_value / REFS[code] - 1) < Decimal("0.01"), code
        assert share.flag == ""
    # A share ÷ quantity, to the cent.
    assert all(
        abs(s.unit_value * s.quantity - s.share) <= Decimal("0.005") * s.quantity for s in split.shares
    )


def test_the_german_air_defence_row_values_a_patriot_above_an_iris_t(
    weapons: list[dict[str, str]], mapping: dict[tuple[str, str], kiel_weapons.ModelMapping]
) -> None:
    split = _split("Air Defense", "DEU", weapons, mapping)
    shares = {s.item_type: s for s in split.shares}
    assert sum(s.share for s in split.shares) == Decimal("3880245637.00")
    # Before: 204 m EUR each.
    assert shares["AD-PATRIOT"].unit_value > 2 * shares["AD-IRIST-SLM"].unit_value
    # In proportion to count × reference, to within a cent of either share.
    expected = 5 * REFS["AD-PATRIOT"] / (14 * REFS["AD-IRIST-SLM"])
    ratio = shares["AD-PATRIOT"].share / shares["AD-IRIST-SLM"].share
    assert abs(ratio - expected) < Decimal("1e-9")


def test_unmapped_models_take_no_share_and_are_reported(
    weapons: list[dict[str, str]], mapping: dict[tuple[str, str], kiel_weapons.ModelMapping]
) -> None:
    refs = {"IFV-MARDER": Decimal("1000000"), "IFV-M80A": Decimal("671064.83")}
    row = next(r for r in weapons if r["donor"] == "Germany" and r["category"] == "IFV")
    split = kiel_weapons.split_row(
        donor="DEU",
        category="IFV",
        count=int(row["number_of_weapons"]),
        value=Decimal(row["monetary_value_eur"]),
        weapons_list=row["weapons_list"],
        mapping=mapping,
        reference=lambda code: Reference(refs[code], refs[code], refs[code]),
    )
    assert [(m, n) for m, n, _ in split.unmapped] == [("AiTO30 FDC", 9)]
    assert {s.item_type: s.quantity for s in split.shares} == {"IFV-MARDER": 165, "IFV-M80A": 30}
    assert sum(s.share for s in split.shares) == Decimal("288065564.00")


@pytest.mark.parametrize(
    ("unit", "flagged"),
    [("25.00", False), ("24.99", True), ("400.00", False), ("400.01", True), ("100", False)],
)
def test_a_unit_value_outside_a_quarter_to_four_times_its_reference_is_flagged(
    unit: str, flagged: bool
) -> None:
    flag = kiel_weapons.flag(Decimal(unit), Reference(Decimal(100), Decimal(100), Decimal(100)))
    assert bool(flag) is flagged
    if flagged:
        assert "outside 0.25×–4×" in flag and "100.00 EUR" in flag


def test_the_range_of_a_dated_price_list_bounds_the_flag() -> None:
    # 3,000 EUR then 8,000 EUR: from 750 EUR (a quarter of the lowest) to 32,000 EUR (4 × the highest).
    ref = Reference(Decimal(8000), Decimal(3000), Decimal(8000))
    assert kiel_weapons.flag(Decimal(750), ref) == kiel_weapons.flag(Decimal(32000), ref) == ""
    assert "3,000.00–8,000.00 EUR" in kiel_weapons.flag(Decimal("749.99"), ref)
    assert kiel_weapons.flag(Decimal("32000.01"), ref)


def test_a_weapons_list_entry_without_a_count_is_refused() -> None:
    with pytest.raises(KielMappingError, match="'Leopard-2A4' is not 'model"):
        kiel_weapons.parse_models("Leopard-1A5 (3); Leopard-2A4")
