"""Generator determinism/shape, greedy sanity and a tiny benchmark run."""

from __future__ import annotations

import io
from collections import Counter

from clearinghouse.matching import bench
from clearinghouse.matching.engine import solve
from clearinghouse.matching.generate import FAMILIES, generate
from clearinghouse.matching.greedy import greedy
from clearinghouse.matching.io import problem_to_dict


def test_generate_is_deterministic() -> None:
    assert problem_to_dict(generate(50, 200, 12, seed=7)) == problem_to_dict(generate(50, 200, 12, seed=7))
    assert problem_to_dict(generate(50, 200, 12, seed=7)) != problem_to_dict(generate(50, 200, 12, seed=8))


def test_generate_shape() -> None:
    p = generate(2000, 8000, 60, seed=1)
    assert (len(p.requirements), len(p.offers), p.periods) == (2000, 8000, 60)
    for r in list(p.requirements)[:500]:
        assert 1 <= len(r.item_types) <= 5
        assert len({t.split("-")[0] for t in r.item_types}) == 1
        assert r.weight in (1000, 400, 150, 50)
    types = {o.item_type for o in p.offers}
    assert {t.split("-")[0] for t in types} <= set(FAMILIES)
    # Zipf-like: the most popular type carries far more offers than the median one.
    counts = sorted(Counter(o.item_type for o in p.offers).values(), reverse=True)
    assert counts[0] > 5 * counts[len(counts) // 2]


def test_greedy_is_below_optimum_on_generated() -> None:
    p = generate(500, 2000, 60, seed=1)
    g, r = greedy(p), solve(p)
    assert g.status == "HEURISTIC" and g.bound is None
    assert 0.5 * r.objective < g.objective < r.objective


def test_benchmark_small() -> None:
    out = io.StringIO()
    rows = bench.run_benchmark(sizes=("small",), periods=(1,), out=out, repeats=1)
    assert len(rows) == 1 and rows[0]["status"] == "OPTIMAL"
    assert rows[0]["e2e_s"] > 0 and rows[0]["peak_mib"] > 0
    assert "small" in out.getvalue() and "greedy %" in out.getvalue()


def test_benchmark_runs_the_factor_instance_next_to_the_plain_one() -> None:
    out = io.StringIO()
    rows = bench.run_benchmark(sizes=("small",), periods=(6,), out=out, repeats=1, factor_periods=(6,))
    assert [r["factors"] for r in rows] == [False, True]
    plain, with_factors = rows
    assert plain["gap_pct"] == 0 and 0 <= with_factors["gap_pct"] <= 0.1
    assert with_factors["objective"] != plain["objective"]
    assert "small P=6 with factors: e2e" in out.getvalue()


def test_generate_with_factors_only_adds_factors() -> None:
    plain, with_factors = generate(300, 900, 12, seed=3), generate(300, 900, 12, seed=3, factors=True)
    a, b = plain.arrays, with_factors.arrays
    assert a.rt_factor is None and b.rt_factor is not None
    assert (a.rt_type == b.rt_type).all() and (a.off_qty == b.off_qty).all() and a.req_ids == b.req_ids
    stated = b.rt_factor != 1
    assert 0 < stated.mean() < 0.5
