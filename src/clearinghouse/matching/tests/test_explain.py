"""Explanations: every shortfall reason and what allocations displaced."""

from __future__ import annotations

from clearinghouse.matching.engine import solve
from clearinghouse.matching.explain import explain, explain_allocations, explain_shortfalls
from clearinghouse.matching.generate import generate
from clearinghouse.matching.greedy import greedy
from clearinghouse.matching.model import Offer, Problem, Requirement


def by_req(problem: Problem, result=None) -> dict:  # type: ignore[no-untyped-def]
    result = result or solve(problem)
    return {e["requirement"]: e for e in explain_shortfalls(problem, result)}


def test_no_compatible_offer() -> None:
    p = Problem(2, 1, [Requirement("R1", ("A", "B"), 3, 10, 0)], [Offer("O1", "D", "C", 5, 0)])
    e = by_req(p)["R1"]
    assert e["reason"] == "no_compatible_offer" and e["unmet"] == 3
    assert e["sentence"] == "R1 is short by 3 units: nobody offers any of its accepted types (A, B)."


def test_taken_by_higher_weight_lists_takers_by_units() -> None:
    p = Problem(
        1,
        0,
        [
            Requirement("LOW", ("A",), 5, 10, 0),
            Requirement("HIGH", ("A",), 3, 100, 0),
            Requirement("MID", ("A", "B"), 4, 50, 0),
        ],
        [Offer("O1", "D", "A", 7, 0), Offer("O2", "D", "B", 1, 0)],
    )
    e = by_req(p)
    low = e["LOW"]
    assert low["reason"] == "taken_by_higher_weight"
    # Ties in units are listed in input order.
    assert [(t["requirement"], t["units"]) for t in low["takers"]] == [("HIGH", 3), ("MID", 3)]
    assert low["taker_count"] == 2
    assert "HIGH (3 units, weight 100), MID (3 units, weight 50)" in low["sentence"]
    assert low["sentence"].startswith("LOW (weight 10) is short by 4 units")


def test_too_late() -> None:
    p = Problem(10, 50, [Requirement("R1", ("A",), 4, 100, 1)], [Offer("O1", "D", "A", 4, 5)])
    e = by_req(p)["R1"]
    assert e["reason"] == "too_late"
    assert "arrive too late or cost too much" in e["sentence"]
    assert "needed by period 1" in e["sentence"] and "period 5" in e["sentence"]


def test_too_late_after_taking_what_is_on_time() -> None:
    p = Problem(
        10,
        50,
        [Requirement("R1", ("A",), 6, 100, 1)],
        [Offer("O1", "D", "A", 2, 0), Offer("O2", "D", "A", 4, 8)],
    )
    e = by_req(p)["R1"]
    assert e["reason"] == "too_late" and "it receives all 2 worthwhile units" in e["sentence"]


def test_insufficient_supply() -> None:
    p = Problem(1, 0, [Requirement("R1", ("A",), 6, 100, 0)], [Offer("O1", "D", "A", 2, 0)])
    e = by_req(p)["R1"]
    assert e["reason"] == "insufficient_supply"


def test_unallocated_capacity_only_for_non_optimal_results() -> None:
    # Greedy gives the A unit to HIGH (which could have used B) and leaves LOW empty-handed.
    p = Problem(
        1,
        0,
        [Requirement("HIGH", ("A", "B"), 1, 100, 0), Requirement("LOW", ("A",), 1, 10, 0)],
        [Offer("O1", "D", "A", 1, 0), Offer("O2", "D", "B", 1, 0)],
    )
    assert by_req(p) == {}
    g = greedy(p)
    assert g.unmet["LOW"] == 0 or by_req(p, g)["LOW"]["reason"] in (
        "taken_by_higher_weight",
        "unallocated_capacity",
    )
    # A hand-made poor result: nothing allocated at all.
    from clearinghouse.matching.model import Result

    empty = Result("HEURISTIC", 0, None, [], {"HIGH": 1, "LOW": 1})
    assert by_req(p, empty)["LOW"]["reason"] == "unallocated_capacity"


def test_allocation_displacement() -> None:
    p = Problem(
        1,
        0,
        [
            Requirement("HIGH", ("A",), 3, 100, 0),
            Requirement("LOW", ("A",), 5, 10, 0),
            Requirement("OTHER", ("B",), 5, 10, 0),
        ],
        [Offer("O1", "D", "A", 3, 0), Offer("O2", "D", "A", 100, 0, 10)],
    )
    notes = explain_allocations(p, solve(p))
    assert len(notes) == 1
    n = notes[0]
    assert (n["requirement"], n["offer"], n["quantity"]) == ("HIGH", "O1", 3)
    assert n["displaced"] == ["LOW"] and n["displaced_count"] == 1
    assert (
        n["sentence"] == "3 units of O1 went to HIGH; 1 other requirement left short also wanted them: LOW."
    )


def test_allocation_without_displacement() -> None:
    p = Problem(1, 0, [Requirement("R1", ("A",), 3, 100, 0)], [Offer("O1", "D", "A", 5, 0)])
    [n] = explain_allocations(p, solve(p))
    assert n["displaced"] == [] and n["displaced_count"] == 0
    assert n["sentence"] == "3 units of O1 went to R1; no requirement left short wanted them."


def test_explain_on_generated_instance_is_consistent() -> None:
    p = generate(300, 1000, 12, seed=5)
    r = solve(p)
    e = explain(p, r)
    short = {k for k, v in r.unmet.items() if v > 0}
    assert {x["requirement"] for x in e["shortfalls"]} == short
    assert {x["reason"] for x in e["shortfalls"]} <= {
        "no_compatible_offer",
        "taken_by_higher_weight",
        "too_late",
        "insufficient_supply",
    }
    assert len(e["allocations"]) == len(r.allocations)
    for note in e["allocations"]:
        assert note["requirement"] not in note["displaced"]
        assert set(note["displaced"]) <= short
