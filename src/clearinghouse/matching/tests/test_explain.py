"""Explanations: every shortfall reason and what allocations displaced."""

from __future__ import annotations

from typing import Any

from clearinghouse.matching.engine import solve
from clearinghouse.matching.explain import explain, explain_allocations, explain_shortfalls
from clearinghouse.matching.generate import generate
from clearinghouse.matching.greedy import greedy
from clearinghouse.matching.model import Offer, Problem, Requirement


def by_req(problem: Problem, result=None) -> dict[str, Any]:
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
    assert [(t["requirement"], t["units"], t["relation"]) for t in low["takers"]] == [
        ("HIGH", 3, "higher_weight"),
        ("MID", 3, "higher_weight"),
    ]
    assert low["taker_count"] == 2
    assert low["sentence"] == (
        "LOW (weight 10) is short by 4 units: the 6 units of compatible offers that would be worth "
        "something to it went to requirements of higher weight, where they are worth more: "
        "HIGH (3 units, weight 100), MID (3 units, weight 50)."
    )


def test_a_tie_is_named_a_tie_not_a_higher_weight() -> None:
    # The demo's R25 and R3: both critical (weight 1000), both on time, one offer for only one.
    p = Problem(
        3,
        100,
        [Requirement("R3", ("A",), 4, 1000, 2), Requirement("R25", ("A",), 4, 1000, 2)],
        [Offer("P7", "USA", "A", 4, 0)],
    )
    e = by_req(p)
    [short] = e.values()
    other = "R25" if short["requirement"] == "R3" else "R3"
    assert short["reason"] == "tie"
    assert [(t["requirement"], t["relation"]) for t in short["takers"]] == [(other, "tie")]
    assert "higher weight" not in short["sentence"]
    assert short["sentence"] == (
        f"{short['requirement']} (weight 1000) is short by 4 units: the 4 units of compatible offers "
        "that would be worth something to it went to requirements for which they are worth exactly as "
        f"much (a tie): {other} (4 units, weight 1000); an alternative optimum gives them to "
        f"{short['requirement']} instead, with the same total worth."
    )


def test_equal_weight_and_equal_lateness_is_a_tie_too() -> None:
    # Both late by the same number of periods: still equally worth.
    p = Problem(
        6,
        10,
        [Requirement("R1", ("A",), 1, 100, 1), Requirement("R2", ("A",), 1, 100, 1)],
        [Offer("O1", "D", "A", 1, 4)],
    )
    [short] = by_req(p).values()
    assert short["reason"] == "tie"


def test_a_higher_weight_that_is_late_enough_to_tie_is_a_tie() -> None:
    # 200 − 10 × 10 months late = 100 = the on-time worth of the lighter one: a tie, not "higher".
    p = Problem(
        12,
        10,
        [Requirement("HEAVY", ("A",), 1, 200, 0), Requirement("LIGHT", ("A",), 1, 100, 10)],
        [Offer("O1", "D", "A", 1, 10)],
    )
    [short] = by_req(p).values()
    assert short["reason"] == "tie"
    assert short["takers"][0]["relation"] == "tie"
    assert "higher weight" not in short["sentence"]


def test_taken_where_less_late_when_the_weight_is_not_higher() -> None:
    # Equal weights: the offer arrives in period 3, 3 periods late for EARLY and on time for LATER.
    p = Problem(
        6,
        10,
        [Requirement("EARLY", ("A",), 1, 100, 0), Requirement("LATER", ("A",), 1, 100, 5)],
        [Offer("O1", "D", "A", 1, 3)],
    )
    early = by_req(p)["EARLY"]
    assert early["reason"] == "taken_where_less_late"
    assert early["takers"][0] == {
        "requirement": "LATER",
        "units": 1,
        "weight": 100.0,
        "needed_by": 5,
        "relation": "less_late",
    }
    assert "higher weight" not in early["sentence"]
    assert early["sentence"] == (
        "EARLY (weight 100, needed by period 0) is short by 1 unit: the 1 unit of compatible offers "
        "that would be worth something to it arrive after period 0; they went to requirements needed "
        "later, for which they are less late and worth more: LATER (1 unit, weight 100, needed by "
        "period 5)."
    )


def test_taken_where_less_late_by_a_lighter_requirement() -> None:
    # 100 − 10 × 3 = 70 for EARLY; 80 on time for LIGHTER, whose weight is lower.
    p = Problem(
        6,
        10,
        [Requirement("EARLY", ("A",), 1, 100, 0), Requirement("LIGHTER", ("A",), 1, 80, 5)],
        [Offer("O1", "D", "A", 1, 3)],
    )
    early = by_req(p)["EARLY"]
    assert early["reason"] == "taken_where_less_late"
    assert "higher weight" not in early["sentence"]


def test_mixed_takers_name_their_own_relation() -> None:
    p = Problem(
        1,
        0,
        [
            Requirement("R", ("X",), 1, 100, 0),
            Requirement("HEAVY", ("X",), 1, 200, 0),
            Requirement("PEER", ("X",), 1, 100, 0),
        ],
        [Offer("O1", "D", "X", 2, 0)],
    )
    e = by_req(p)
    assert "HEAVY" not in e
    [short] = e.values()  # R or PEER: the two tie for the second unit
    peer = "PEER" if short["requirement"] == "R" else "R"
    assert short["reason"] == "taken_by_others"
    assert {(t["requirement"], t["relation"]) for t in short["takers"]} == {
        ("HEAVY", "higher_weight"),
        (peer, "tie"),
    }
    assert "HEAVY (1 unit, weight 200: higher weight)" in short["sentence"]
    assert f"{peer} (1 unit, weight 100: worth as much there, a tie)" in short["sentence"]
    assert (
        f"Where it is a tie, an alternative optimum gives those units to {short['requirement']}"
        in (short["sentence"])
    )


def test_taken_by_lower_worth_only_in_a_poor_result() -> None:
    from clearinghouse.matching.model import Allocation, Result

    p = Problem(
        1,
        0,
        [Requirement("HIGH", ("A",), 1, 100, 0), Requirement("LOW", ("A",), 1, 10, 0)],
        [Offer("O1", "D", "A", 1, 0)],
    )
    poor = Result("HEURISTIC", 10, None, [Allocation("LOW", "O1", 1)], {"HIGH": 1, "LOW": 0})
    high = by_req(p, poor)["HIGH"]
    assert high["reason"] == "taken_by_lower_worth"
    assert high["takers"][0]["relation"] == "worth_less"
    assert "not optimal" in high["sentence"] and "higher weight" not in high["sentence"]
    assert by_req(p)["LOW"]["reason"] == "taken_by_higher_weight"


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
        "taken_where_less_late",
        "tie",
        "taken_by_others",
        "too_late",
        "insufficient_supply",
    }
    assert len(e["allocations"]) == len(r.allocations)
    for note in e["allocations"]:
        assert note["requirement"] not in note["displaced"]
        assert set(note["displaced"]) <= short


def _worth(req: Requirement, offer: Offer, penalty: float) -> float:
    return req.weight - penalty * max(0, offer.available_from - req.needed_by) - offer.unit_cost


def test_every_taker_relation_is_true_on_generated_instances() -> None:
    """Recompute, by brute force, what each listed taker's units are worth to it and to the short
    requirement: the stated relation must hold, and 'higher weight' only for a higher weight."""
    checked = {"higher_weight": 0, "less_late": 0, "tie": 0}
    for seed in (5, 11, 23):
        p = generate(200, 600, 12, seed=seed)
        r = solve(p)
        reqs = {x.id: x for x in p.requirements}
        offers = {x.id: x for x in p.offers}
        penalty = p.lateness_penalty
        for entry in explain_shortfalls(p, r, max_takers=1000):
            if "takers" not in entry:
                continue
            me = reqs[entry["requirement"]]
            claimed = {t["relation"] for t in entry["takers"]}
            assert entry["reason"] == (
                {
                    "higher_weight": "taken_by_higher_weight",
                    "less_late": "taken_where_less_late",
                    "tie": "tie",
                }[next(iter(claimed))]
                if len(claimed) == 1
                else "taken_by_others"
            )
            for t in entry["takers"]:
                them = reqs[t["requirement"]]
                deltas = set()
                units = 0
                for al in r.allocations:
                    o = offers[al.offer]
                    if al.requirement != them.id or o.item_type not in me.item_types:
                        continue
                    if _worth(me, o, penalty) <= 0:
                        continue
                    d = _worth(them, o, penalty) - _worth(me, o, penalty)
                    assert d >= -1e-9, "an optimal result never gives a unit to where it is worth less"
                    kind = (
                        "tie"
                        if abs(d) < 1e-9
                        else ("higher_weight" if them.weight > me.weight else "less_late")
                    )
                    if kind == t["relation"]:
                        units += al.quantity
                    deltas.add(kind)
                assert t["relation"] in deltas
                assert units == t["units"]
                if t["relation"] == "higher_weight":
                    assert them.weight > me.weight
                else:
                    assert "higher weight" not in entry["sentence"] or any(
                        x["relation"] == "higher_weight" for x in entry["takers"]
                    )
                checked[t["relation"]] += 1
    # The instances exercise every relation an optimal result can have.
    assert all(checked.values()), checked
