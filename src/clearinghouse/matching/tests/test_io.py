"""Validation messages and JSON round trips."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from clearinghouse.matching.engine import solve
from clearinghouse.matching.io import (
    ProblemError,
    load_problem,
    parse_problem_bytes,
    problem_to_dict,
    result_to_dict,
)
from clearinghouse.matching.model import Offer, Problem, Requirement


def doc(n_req: int = 6, n_off: int = 8, periods: int = 60) -> dict[str, Any]:
    return {
        "periods": periods,
        "lateness_penalty": 20,
        "requirements": [
            {"id": f"R{i + 1}", "item_types": ["A", "B"], "quantity": 5, "weight": 100, "needed_by": i}
            for i in range(n_req)
        ],
        "offers": [
            {
                "id": f"O{j + 1}",
                "donor": "D1",
                "item_type": "A",
                "quantity": 3,
                "available_from": j,
                "unit_cost": 1,
            }
            for j in range(n_off)
        ],
    }


def error_of(data: Any) -> str:
    with pytest.raises(ProblemError) as info:
        load_problem(data)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_valid_document_loads() -> None:
    p = load_problem(doc())
    assert len(p.requirements) == 6 and len(p.offers) == 8
    assert p.requirements[0] == Requirement("R1", ("A", "B"), 5, 100, 0)
    assert p.offers[-1] == Offer("O8", "D1", "A", 3, 7, 1)


def test_negative_quantity() -> None:
    d = doc()
    d["requirements"][3]["quantity"] = -5
    assert error_of(d) == 'requirements[3] (id "R4"): quantity must be a non-negative integer, got -5'


def test_available_from_out_of_range() -> None:
    d = doc()
    d["offers"][7]["available_from"] = 61
    assert error_of(d) == 'offers[7] (id "O8"): available_from 61 is out of range 0..59'


def test_needed_by_out_of_range() -> None:
    d = doc(periods=3)
    d["requirements"] = d["requirements"][:3]
    d["offers"] = d["offers"][:3]
    d["requirements"][1]["needed_by"] = -1
    assert error_of(d) == R2 + "needed_by -1 is out of range 0..2"


def test_missing_field() -> None:
    d = doc()
    del d["offers"][2]["item_type"]
    assert error_of(d).startswith('offers[2]: missing field "item_type"')
    d = doc()
    del d["offers"][2]["id"]
    assert error_of(d) == 'offers[2]: missing field "id"'


def test_duplicate_requirement_id() -> None:
    d = doc()
    d["requirements"][5]["id"] = "R1"
    assert error_of(d) == 'duplicate requirement id "R1" at requirements[5]'


def test_duplicate_offer_id() -> None:
    d = doc()
    d["offers"][4]["id"] = "O2"
    assert error_of(d) == 'duplicate offer id "O2" at offers[4]'


def test_offer_of_unneeded_type_is_legal() -> None:
    d = doc()
    d["offers"][0]["item_type"] = "X"
    p = load_problem(d)
    r = solve(p)
    assert all(a.offer != "O1" for a in r.allocations)


R1, R2, R3 = (f'requirements[{i}] (id "R{i + 1}"): ' for i in range(3))
O2, O4, O7 = (f'offers[{i}] (id "O{i + 1}"): ' for i in (1, 3, 6))
NON_NEG_INT = "quantity must be a non-negative integer"
TYPES_MSG = "item_types must be a non-empty list"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("requirements", 0, "weight"),
            "high",
            R1 + 'weight must be a number, got "high"',
        ),
        (
            ("requirements", 2, "item_types"),
            [],
            R3 + TYPES_MSG,
        ),
        (
            ("requirements", 2, "item_types"),
            "A",
            R3 + TYPES_MSG,
        ),
        (
            ("requirements", 2, "item_types"),
            ["A", 3],
            R3 + TYPES_MSG,
        ),
        (
            ("requirements", 1, "quantity"),
            2.5,
            R2 + NON_NEG_INT,
        ),
        (
            ("requirements", 1, "quantity"),
            True,
            R2 + NON_NEG_INT,
        ),
        (
            ("requirements", 1, "needed_by"),
            "soon",
            R2 + "needed_by must be an integer period",
        ),
        (("requirements", 4, "id"), 7, "requirements[4]: id must be a non-empty string, got 7"),
        (("requirements", 4, "id"), "", 'requirements[4]: id must be a non-empty string, got ""'),
        (
            ("offers", 1, "unit_cost"),
            -1,
            O2 + "unit_cost must be a non-negative number, got -1",
        ),
        (
            ("offers", 1, "unit_cost"),
            None,
            O2 + "unit_cost must be a non-negative number, got null",
        ),
        (("offers", 3, "donor"), "", O4 + 'donor must be a non-empty string, got ""'),
        (("offers", 3, "item_type"), 5, O4 + "item_type must be a non-empty string, got 5"),
        (
            ("offers", 6, "quantity"),
            10**13,
            O7 + "quantity 10000000000000 exceeds the maximum",
        ),
        (("periods",), 0, "periods must be an integer in 1..1000000, got 0"),
        (("periods",), "12", 'periods must be an integer in 1..1000000, got "12"'),
        (("lateness_penalty",), -2, "lateness_penalty must be a non-negative number, got -2"),
        (("requirements",), {}, "requirements must be a list, got {}"),
    ],
)
def test_field_errors(path: tuple[Any, ...], value: Any, message: str) -> None:
    d = doc()
    target: Any = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert error_of(d).startswith(message)


def test_structural_errors() -> None:
    assert error_of([1, 2]) == "problem must be a JSON object, got [1, 2]"
    d = doc()
    del d["offers"]
    assert error_of(d) == 'missing field "offers"'
    d = doc()
    d["offers"][1] = "O2"
    assert error_of(d) == 'offers[1]: must be an object, got "O2"'


def test_invalid_json() -> None:
    with pytest.raises(ProblemError, match=r"^invalid JSON: "):
        parse_problem_bytes(b'{"periods": 3,')


def test_unit_cost_defaults_to_zero_and_extra_fields_are_ignored() -> None:
    d = doc()
    del d["offers"][0]["unit_cost"]
    d["requirements"][0]["meta"] = {"capability": "air_defence"}
    p = load_problem(d)
    assert p.offers[0].unit_cost == 0


def test_duplicate_item_types_are_merged() -> None:
    d = doc()
    d["requirements"][0]["item_types"] = ["A", "B", "A"]
    assert load_problem(d).requirements[0].item_types == ("A", "B")


def test_dataclass_problem_is_validated_the_same_way() -> None:
    with pytest.raises(
        ProblemError, match=r'^requirements\[0\] \(id "R1"\): quantity must be a non-negative'
    ):
        Problem(3, 1, [Requirement("R1", ("A",), -1, 5, 0)], [])
    with pytest.raises(
        ProblemError, match=r'^offers\[0\] \(id "O1"\): available_from 3 is out of range 0..2'
    ):
        Problem(3, 1, [], [Offer("O1", "D", "A", 1, 3)])
    with pytest.raises(ProblemError, match=r"^offers\[0\]: expected a Offer"):
        Problem(3, 1, [], ["O1"])  # type: ignore[list-item]


def test_problem_round_trip_and_table_equality() -> None:
    d = doc()
    d["requirements"][0]["weight"] = 12.5
    p = load_problem(d)
    assert load_problem(orjson.loads(orjson.dumps(problem_to_dict(p)))) == p
    as_objects = Problem(p.periods, p.lateness_penalty, list(p.requirements), list(p.offers))
    assert as_objects == p
    assert problem_to_dict(as_objects) == problem_to_dict(p)
    again = problem_to_dict(p)
    assert again["requirements"][0]["weight"] == 12.5 and again["requirements"][1]["weight"] == 100


def test_result_to_dict_shape() -> None:
    p = parse_problem_bytes(orjson.dumps(doc()))
    out = result_to_dict(solve(p))
    assert set(out) == {"status", "objective", "bound", "gap", "allocations", "unmet"}
    assert out["status"] == "OPTIMAL" and out["objective"] == out["bound"]
    assert set(out["allocations"][0]) == {"requirement", "offer", "quantity", "provides"}
    assert [u["requirement"] for u in out["unmet"]] == [f"R{i + 1}" for i in range(6)]
    assert "timings" in result_to_dict(solve(p), timings=True)
    orjson.dumps(out)


def test_input_document_is_not_modified() -> None:
    d = doc()
    before = copy.deepcopy(d)
    load_problem(d)
    assert d == before
