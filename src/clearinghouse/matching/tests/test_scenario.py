"""Scenarios: exclusion, delay, scaling, added offers, comparison."""

from __future__ import annotations

import pytest

from clearinghouse.matching.engine import solve
from clearinghouse.matching.model import Offer, Problem, ProblemError, Requirement
from clearinghouse.matching.scenario import apply_scenario, compare


def base() -> Problem:
    return Problem(
        6,
        10,
        [
            Requirement("R1", ("A",), 10, 100, 1),
            Requirement("R2", ("A", "B"), 6, 50, 3),
            Requirement("R3", ("B",), 4, 30, 5),
        ],
        [
            Offer("O1", "US", "A", 8, 0),
            Offer("O2", "DE", "A", 5, 1, 1),
            Offer("O3", "PL", "B", 6, 2),
            Offer("O4", "US", "B", 3, 5),
        ],
    )


def coverage(problem: Problem) -> float:
    r = solve(problem)
    required = sum(x.quantity for x in problem.requirements)
    return (required - sum(r.unmet.values())) / required


def test_exclude_donor_reduces_coverage() -> None:
    p = base()
    q = apply_scenario(p, {"name": "US leaves", "exclude_donors": ["US"]})
    assert [o.id for o in q.offers] == ["O2", "O3"]
    assert coverage(q) < coverage(p)


def test_delay_shifts_and_drops_beyond_horizon() -> None:
    q = apply_scenario(base(), {"delay_donors": {"US": 2, "PL": 0}})
    offers = {o.id: o for o in q.offers}
    assert offers["O1"].available_from == 2
    assert "O4" not in offers  # 5 + 2 > 5: dropped, not clamped
    assert offers["O3"].available_from == 2
    assert solve(q).objective < solve(base()).objective


def test_scale_floors_quantities() -> None:
    q = apply_scenario(base(), {"scale_donors": {"US": 0.5, "DE": 0.29}})
    offers = {o.id: o for o in q.offers}
    assert (offers["O1"].quantity, offers["O4"].quantity, offers["O2"].quantity) == (4, 1, 1)
    q = apply_scenario(base(), {"scale_donors": {"DE": 2}})
    assert {o.id: o.quantity for o in q.offers}["O2"] == 10


def test_added_offer_improves_and_can_be_targeted() -> None:
    new = {"id": "N1", "donor": "FR", "item_type": "B", "quantity": 5, "available_from": 0}
    # FR has no offer in the problem: the caller declares it a known donor.
    q = apply_scenario(base(), {"add_offers": [new]}, donors=["FR"])
    assert q.offers[-1] == Offer("N1", "FR", "B", 5, 0, 0)
    assert solve(q).objective > solve(base()).objective
    q2 = apply_scenario(base(), {"add_offers": [new], "exclude_donors": ["FR"]}, donors=["FR"])
    assert [o.id for o in q2.offers] == ["O1", "O2", "O3", "O4"]
    # A donor that already has an offer needs no declaration.
    q3 = apply_scenario(base(), {"add_offers": [{**new, "donor": "PL"}]})
    assert q3.offers[-1].donor == "PL"


def test_added_offer_of_a_type_the_caller_knows() -> None:
    q = apply_scenario(
        base(),
        {"add_offers": [{"id": "N1", "donor": "US", "item_type": "Z", "quantity": 1, "available_from": 0}]},
        item_types=["Z"],
    )
    assert q.offers[-1].item_type == "Z"
    assert solve(q).objective == solve(base()).objective


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"exclude_donors": ["XX"]}, 'scenario: exclude_donors: unknown donor "XX"'),
        ({"delay_donors": {"YY": 1}}, 'scenario: delay_donors: unknown donor "YY"'),
        ({"scale_donors": {"ZZ": 1}}, 'scenario: scale_donors: unknown donor "ZZ"'),
        ({"delay_donors": {"US": -1}}, 'scenario: delay_donors["US"] must be a non-negative integer, got -1'),
        (
            {"scale_donors": {"US": "x"}},
            'scenario: scale_donors["US"] must be a non-negative number, got "x"',
        ),
        ({"exclude_donor": ["US"]}, 'scenario: unknown key "exclude_donor"'),
        ({"exclude_donors": "US"}, "scenario: exclude_donors must be a list of donor names"),
        (
            {
                "add_offers": [
                    {"id": "O1", "donor": "US", "item_type": "A", "quantity": 1, "available_from": 0}
                ]
            },
            'duplicate offer id "O1" at add_offers[0]',
        ),
        (
            {
                "add_offers": [
                    {"id": "N1", "donor": "US", "item_type": "A", "quantity": 1, "available_from": 9}
                ]
            },
            'add_offers[0] (id "N1"): available_from 9 is out of range 0..5',
        ),
        ({"add_offers": [{"id": "N1"}]}, 'add_offers[0]: missing field "donor" (id "N1")'),
        (
            {
                "add_offers": [
                    {"id": "N1", "donor": "XXX", "item_type": "A", "quantity": 1, "available_from": 0}
                ]
            },
            'add_offers[0] (id "N1"): unknown donor "XXX"',
        ),
        (
            {
                "add_offers": [
                    {"id": "N1", "donor": "US", "item_type": "NOPE-XYZ", "quantity": 1, "available_from": 0}
                ]
            },
            'add_offers[0] (id "N1"): unknown item type "NOPE-XYZ"',
        ),
        (
            {
                "add_offers": [
                    {"id": "N1", "donor": "US", "item_type": "A", "quantity": 0, "available_from": 0}
                ]
            },
            'add_offers[0] (id "N1"): quantity must be a positive integer, got 0',
        ),
        (
            {
                "add_offers": [
                    {"id": "N1", "donor": "US", "item_type": "A", "quantity": -3, "available_from": 0}
                ]
            },
            'add_offers[0] (id "N1"): quantity must be a non-negative integer, got -3',
        ),
        ([], "scenario must be a JSON object"),
    ],
)
def test_scenario_errors(scenario: object, message: str) -> None:
    with pytest.raises(ProblemError) as info:
        apply_scenario(base(), scenario)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


def test_compare_reports_changes_and_grouped_coverage() -> None:
    p = base()
    q = apply_scenario(p, {"exclude_donors": ["US"]})
    rp, rq = solve(p), solve(q)
    meta = {"R1": {"capability": "air_defence", "priority": "critical"}, "R2": {"capability": "air_defence"}}
    c = compare(p, rp, q, rq, requirement_meta=meta)
    assert c["objective"]["baseline"] == rp.objective and c["objective"]["scenario"] == rq.objective
    worse = [x for x in c["requirements"] if x["change"] > 0]
    assert worse, c
    for x in worse:
        assert x["scenario_unmet"] > x["baseline_unmet"]
        assert x["status"] in ("newly_short", "shorter")
        assert x["needed_by"] == {r.id: r.needed_by for r in p.requirements}[x["requirement"]]
    assert c["summary"]["additional_unmet_units"] == sum(rq.unmet.values()) - sum(rp.unmet.values())
    overall = c["coverage"]["overall"]
    assert overall["required"] == 20
    assert overall["scenario_coverage"] < overall["baseline_coverage"]
    groups = c["coverage"]["by"]
    assert set(groups) == {"capability", "priority"}
    assert set(groups["capability"]) == {"air_defence", "(unspecified)"}
    ad = groups["capability"]["air_defence"]
    assert ad["required"] == 16
    assert ad["baseline_coverage"] == pytest.approx(ad["baseline_allocated"] / 16)
    assert groups["priority"]["critical"]["required"] == 10


def test_compare_identical_is_empty() -> None:
    p = base()
    r = solve(p)
    c = compare(p, r, p, r)
    assert c["requirements"] == [] and c["coverage"]["by"] == {} and c["objective"]["change"] == 0
