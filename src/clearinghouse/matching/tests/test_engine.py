"""Optimality against an independent LP, degenerate cases, decimals, structure."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.matching.engine import build_network, decimal_scale, scale_problem, solve
from clearinghouse.matching.generate import generate
from clearinghouse.matching.greedy import greedy
from clearinghouse.matching.model import Offer, Problem, Requirement

from .support import check_feasible, lp_optimum

TYPES = ["A", "B", "C", "D"]


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    periods = draw(st.integers(1, 5))
    penalty = draw(st.sampled_from([0, 1, 2.5, 10]))
    n_types = draw(st.integers(1, 4))
    types = TYPES[:n_types]
    reqs = []
    for i in range(draw(st.integers(0, 6))):
        accepted = draw(st.lists(st.sampled_from(types), min_size=1, max_size=3, unique=True))
        reqs.append(
            Requirement(
                id=f"R{i}",
                item_types=tuple(accepted),
                quantity=draw(st.integers(0, 6)),
                weight=draw(st.sampled_from([-3, 0, 1, 5, 10, 12.5, 20, 100])),
                needed_by=draw(st.integers(0, periods - 1)),
            )
        )
    offers = [
        Offer(
            id=f"O{j}",
            donor=draw(st.sampled_from(["X", "Y", "Z"])),
            item_type=draw(st.sampled_from([*types, "UNUSED"])),
            quantity=draw(st.integers(0, 6)),
            available_from=draw(st.integers(0, periods - 1)),
            unit_cost=draw(st.sampled_from([0, 0, 1, 3.5, 8])),
        )
        for j in range(draw(st.integers(0, 8)))
    ]
    return Problem(periods, penalty, reqs, offers)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_optimal_against_independent_lp(problem: Problem) -> None:
    result = solve(problem)
    expected = lp_optimum(problem)
    assert result.status == "OPTIMAL"
    assert math.isclose(result.objective, expected, rel_tol=1e-9, abs_tol=1e-6)
    assert result.bound == result.objective
    assert math.isclose(check_feasible(problem, result), result.objective, rel_tol=1e-9, abs_tol=1e-6)
    heuristic = greedy(problem)
    assert heuristic.objective <= result.objective + 1e-9
    assert math.isclose(check_feasible(problem, heuristic), heuristic.objective, rel_tol=1e-9, abs_tol=1e-6)


def _req(i: str, types: str, q: int, w: float, need: int) -> Requirement:
    return Requirement(i, tuple(types.split(",")), q, w, need)


def _off(i: str, t: str, q: int, avail: int, cost: float = 0, donor: str = "D") -> Offer:
    return Offer(i, donor, t, q, avail, cost)


def test_no_offers() -> None:
    p = Problem(3, 1, [_req("R1", "A", 5, 10, 0)], [])
    r = solve(p)
    assert (r.status, r.objective, r.bound, list(r.allocations), dict(r.unmet)) == (
        "OPTIMAL",
        0,
        0,
        [],
        {"R1": 5},
    )


def test_no_requirements() -> None:
    r = solve(Problem(3, 1, [], [_off("O1", "A", 5, 0)]))
    assert (r.status, r.objective, list(r.allocations), dict(r.unmet)) == ("OPTIMAL", 0, [], {})


def test_empty_problem() -> None:
    r = solve(Problem(1, 0, [], []))
    assert (r.status, r.objective, r.bound) == ("OPTIMAL", 0, 0)


def test_nothing_compatible() -> None:
    p = Problem(2, 1, [_req("R1", "A", 5, 10, 0)], [_off("O1", "B", 5, 0)])
    r = solve(p)
    assert r.objective == 0 and dict(r.unmet) == {"R1": 5}


def test_zero_quantities() -> None:
    p = Problem(2, 1, [_req("R1", "A", 0, 10, 0), _req("R2", "A", 3, 10, 0)], [_off("O1", "A", 0, 0)])
    r = solve(p)
    assert r.objective == 0 and dict(r.unmet) == {"R1": 0, "R2": 3}


def test_everything_late_is_not_allocated() -> None:
    # Worth = 10 - 5 * 2 = 0 for O1 and negative for O2: neither is allocated.
    p = Problem(5, 5, [_req("R1", "A", 4, 10, 0)], [_off("O1", "A", 2, 2), _off("O2", "A", 2, 4)])
    r = solve(p)
    assert (r.objective, list(r.allocations), dict(r.unmet)) == (0, [], {"R1": 4})


def test_zero_worth_units_are_not_allocated() -> None:
    p = Problem(
        1, 0, [_req("R1", "A", 4, 10, 0)], [_off("O1", "A", 3, 0, cost=10), _off("O2", "A", 1, 0, cost=9)]
    )
    r = solve(p)
    assert [(a.offer, a.quantity) for a in r.allocations] == [("O2", 1)]
    assert r.objective == 1


def test_lateness_trade_off() -> None:
    # R1 (needed at 0) can only be served late; R2 (needed at 3) is served on time either way.
    p = Problem(
        4,
        2,
        [_req("R1", "A", 1, 10, 0), _req("R2", "A", 1, 10, 3)],
        [_off("O1", "A", 1, 0), _off("O2", "A", 1, 3)],
    )
    r = solve(p)
    assert r.objective == 20
    assert {(a.requirement, a.offer) for a in r.allocations} == {("R1", "O1"), ("R2", "O2")}


def test_zero_penalty() -> None:
    p = Problem(10, 0, [_req("R1", "A", 3, 7, 0)], [_off("O1", "A", 2, 9), _off("O2", "A", 5, 5, cost=1)])
    r = solve(p)
    assert r.objective == 2 * 7 + 1 * 6
    assert check_feasible(p, r) == r.objective


def test_early_arrival_is_free() -> None:
    p = Problem(10, 100, [_req("R1", "A", 3, 7, 9)], [_off("O1", "A", 3, 0)])
    assert solve(p).objective == 21


def test_multi_type_requirement_shares_capacity() -> None:
    p = Problem(
        1,
        0,
        [_req("R1", "A,B", 5, 10, 0), _req("R2", "B", 5, 4, 0)],
        [_off("O1", "A", 3, 0), _off("O2", "B", 6, 0)],
    )
    r = solve(p)
    # R1 takes 3 A + 2 B, R2 the remaining 4 B.
    assert r.objective == 5 * 10 + 4 * 4
    assert dict(r.unmet) == {"R1": 0, "R2": 1}


def test_decimal_weights_costs_and_penalty() -> None:
    p = Problem(
        3,
        0.25,
        [_req("R1", "A", 3, 0.1, 0), _req("R2", "A", 2, 1.75, 0)],
        [_off("O1", "A", 4, 1, cost=0.05), _off("O2", "A", 1, 0, cost=0.001)],
    )
    r = solve(p)
    expected = lp_optimum(p)
    assert r.status == "OPTIMAL"
    assert math.isclose(r.objective, expected, abs_tol=1e-9)
    assert math.isclose(check_feasible(p, r), r.objective, abs_tol=1e-9)
    assert r.objective == r.bound


def test_decimal_scale() -> None:
    import numpy as np

    assert decimal_scale(np.array([1.0, 20.0])) == 1
    assert decimal_scale(np.array([0.1 + 0.2, 3.0])) == 10
    assert decimal_scale(np.array([1.25, 0.001])) == 1000
    assert decimal_scale(np.array([1 / 3])) == 10**6  # rounded to 6 decimals
    s = scale_problem(Problem(1, 0.5, [_req("R1", "A", 1, 2.25, 0)], []).arrays)
    assert (s.scale, s.penalty, s.weight.tolist()) == (100, 50, [225])


def test_objective_is_integer_when_inputs_are() -> None:
    r = solve(Problem(1, 0, [_req("R1", "A", 2, 10, 0)], [_off("O1", "A", 2, 0, cost=1)]))
    assert r.objective == 18 and isinstance(r.objective, int)


def test_huge_sparse_horizon() -> None:
    # A million periods but a handful of touched ones: only touched periods become nodes.
    p = Problem(
        1_000_000,
        0.001,
        [_req("R1", "A", 3, 100, 999_999), _req("R2", "A,B", 4, 50, 10), _req("R3", "B", 2, 80, 500_000)],
        [_off("O1", "A", 4, 20_000), _off("O2", "B", 3, 600_000), _off("O3", "A", 2, 900_000, cost=1)],
    )
    net = build_network(p.arrays, scale_problem(p.arrays))
    assert net is not None and net.n_nodes < 20
    r = solve(p)
    assert r.status == "OPTIMAL"
    assert math.isclose(r.objective, lp_optimum(p), abs_tol=1e-9)
    assert math.isclose(check_feasible(p, r), r.objective, abs_tol=1e-9)


def test_exact_dot_never_overflows() -> None:
    import numpy as np

    from clearinghouse.matching.engine import _exact_dot

    x = np.array([2**40, 3], dtype=np.int64)
    assert _exact_dot(x, x) == 2**80 + 9
    assert _exact_dot(np.array([2, 3]), np.array([5, -7])) == -11


def test_numbers_too_large_for_exact_arithmetic_are_rejected() -> None:
    from clearinghouse.matching.model import ProblemError

    p = Problem(1, 0, [_req("R1", "A", 10**12, 10**12, 0)], [_off("O1", "A", 10**12, 0, cost=0.000001)])
    with pytest.raises(ProblemError, match="too large"):
        solve(p)


def test_network_is_linear_not_pairwise() -> None:
    # 300 requirements x 300 offers of one type over 60 periods: 90,000 compatible pairs,
    # but the network only has offer, chain and requirement arcs.
    reqs = [_req(f"R{i}", "A", 5, 100, i % 60) for i in range(300)]
    offs = [_off(f"O{j}", "A", 5, (j * 7) % 60, cost=j % 3) for j in range(300)]
    p = Problem(60, 1, reqs, offs)
    net = build_network(p.arrays, scale_problem(p.arrays))
    assert net is not None
    # offer groups + requirement arcs + chain (with shortcuts) + bypass: far below 90,000.
    assert net.tails.size <= 300 + 300 + 6 * 60 + 1
    r = solve(p)
    assert r.status == "OPTIMAL" and r.bound == r.objective
    assert check_feasible(p, r) == r.objective


def test_any_potentials_give_a_valid_bound() -> None:
    import numpy as np

    from clearinghouse.matching.engine import lagrangian_bound, potentials, solve_network

    p = generate(200, 800, 12, seed=4)
    a = p.arrays
    net = build_network(a, scale_problem(a))
    assert net is not None
    flows, cost = solve_network(net)
    d, converged = potentials(net, flows)
    assert converged and lagrangian_bound(net, -d) == cost  # optimal potentials: tight
    rng = np.random.default_rng(0)
    for _ in range(5):  # weak duality: any potentials bound the minimum cost from below
        pi = rng.integers(-2000, 2000, net.n_nodes)
        assert lagrangian_bound(net, pi) <= cost


def test_parallel_workers_match_serial() -> None:
    p = generate(400, 1500, 12, seed=3)
    one = solve(p)
    two = solve(p, workers=2)
    assert one.objective == two.objective == two.bound
    assert two.status == "OPTIMAL"
    assert math.isclose(check_feasible(p, two), two.objective)


def _solve_in_daemon(conn: object) -> None:
    p = generate(200, 800, 6, seed=3)
    conn.send(solve(p, workers=2).objective)  # type: ignore[attr-defined]


def test_parallel_request_inside_a_daemon_process_falls_back_to_serial() -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_solve_in_daemon, args=(sender,), daemon=True)
    proc.start()
    sender.close()
    value = receiver.recv()
    proc.join()
    assert value == solve(generate(200, 800, 6, seed=3)).objective


@pytest.mark.parametrize("periods", [1, 60])
def test_generated_instance_certified(periods: int) -> None:
    p = generate(300, 1200, periods, seed=11)
    r = solve(p)
    assert r.status == "OPTIMAL" and r.bound == r.objective
    assert math.isclose(check_feasible(p, r), r.objective)
    assert set(r.timings) >= {"build", "solve", "decompose", "bound", "total"}
    g = greedy(p)
    assert 0 < g.objective <= r.objective
