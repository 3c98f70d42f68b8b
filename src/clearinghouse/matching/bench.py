"""Benchmark: ``python -m clearinghouse.matching.bench [--sizes small,medium,large]``.

For each size (small 500x2,000, medium 5,000x20,000, large 50,000x200,000 requirements x
offers) and each horizon (1 and 60 periods) it generates an instance, writes it to a
temporary JSON file and measures

* ``engine``: in-process build + solve time of :func:`engine.solve` (median of runs);
* ``e2e``: wall time of solving the *file* in a fresh subprocess
  (``python -m clearinghouse.matching.cli --input F --output G``: interpreter start,
  imports, reading, validation, build, solve, decomposition, bound, writing), median of
  runs, and its peak resident memory (``ru_maxrss`` of that child, from ``os.wait4``);
* objective, bound, gap, status, and the greedy baseline's objective as % of the optimum;
* for the horizons in ``factor_periods`` (default 60) the same instance again with equivalence
  factors (``generate(..., factors=True)``), and its times as a multiple of the plain one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from time import perf_counter
from typing import Any, TextIO

import orjson

from .cli import default_workers
from .engine import solve
from .generate import generate
from .greedy import greedy
from .io import problem_to_dict

SIZES: dict[str, tuple[int, int]] = {
    "small": (500, 2_000),
    "medium": (5_000, 20_000),
    "large": (50_000, 200_000),
}

#: Issue 14's targets for an instance with factors against the same one without.
TARGET_GAP_SHARE = 0.001  # gap at most 0.1 % of the bound
TARGET_RATIO = 3.0  # end to end at most 3x the CPU time without factors
TARGET_PEAK_MIB = 2048  # under 2 GiB

#: Builds the command line that solves ``input`` into ``output`` in a subprocess.
CommandBuilder = Callable[[str, str], Sequence[str]]


def default_command(input_path: str, output_path: str) -> list[str]:
    """``python -m clearinghouse.matching.cli --input F --output G`` (which calls ``cli.run_match``)."""
    return [
        sys.executable,
        "-m",
        "clearinghouse.matching.cli",
        "--input",
        input_path,
        "--output",
        output_path,
    ]


def _run_child(cmd: Sequence[str]) -> tuple[float, float, int]:
    """Run a command; returns (wall seconds, CPU seconds, peak RSS in KiB) of that very child."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = perf_counter()
    proc = subprocess.Popen(list(cmd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    # wait4 reports the rusage of this child alone (RUSAGE_CHILDREN would be the maximum
    # over every child so far, so a small run after a large one would inherit its peak).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss)


def _fmt_num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


HEADER = (
    f"{'size':<7}{'P':>3} {'f':>1} {'reqs':>7} {'offers':>8} {'w':>2} {'engine s':>9} {'e2e s':>7} "
    f"{'cpu s':>6} "
    f"{'peak MiB':>9} "
    f"{'objective':>15} {'bound':>15} {'gap %':>7} {'status':>8} {'greedy %':>9}"
)


def _row_text(row: dict[str, Any]) -> str:
    return (
        f"{row['size']:<7}{row['periods']:>3} {'y' if row['factors'] else '-':>1} "
        f"{row['requirements']:>7,} {row['offers']:>8,} "
        f"{row['workers']:>2} "
        f"{row['engine_s']:>9.3f} {row['e2e_s']:>7.3f} {row['e2e_cpu_s']:>6.2f} {row['peak_mib']:>9.0f} "
        f"{_fmt_num(row['objective']):>15} {_fmt_num(row['bound']):>15} {row['gap_pct']:>7.3f} "
        f"{row['status']:>8} " + ("        -" if row["greedy_pct"] is None else f"{row['greedy_pct']:>8.2f}%")
    )


def _print_factor_summary(rows: list[dict[str, Any]], out: TextIO) -> None:
    """Each instance with factors against the same instance without: CPU ratio, gap, peak, targets."""
    plain = {(r["size"], r["periods"]): r for r in rows if not r["factors"]}
    for r in rows:
        base = plain.get((r["size"], r["periods"]))
        if r["factors"] and base:
            cpu_ratio = r["e2e_cpu_s"] / base["e2e_cpu_s"] if base["e2e_cpu_s"] else float("nan")
            met = (
                r["gap_pct"] <= 100 * TARGET_GAP_SHARE
                and cpu_ratio <= TARGET_RATIO
                and r["peak_mib"] < TARGET_PEAK_MIB
            )
            print(
                f"{r['size']} P={r['periods']} with factors: e2e CPU {r['e2e_cpu_s']:.2f} s = "
                f"{cpu_ratio:.2f}x the {base['e2e_cpu_s']:.2f} s without (wall {r['e2e_s']:.2f} s = "
                f"{r['e2e_s'] / base['e2e_s']:.2f}x), engine {r['engine_s'] / base['engine_s']:.1f}x, gap "
                f"{r['gap_pct']:.4f} % of the bound, peak {r['peak_mib']:.0f} MiB; method: {r['method']}; "
                f"targets (gap <= {100 * TARGET_GAP_SHARE:g} %, CPU <= {TARGET_RATIO:g}x, peak < "
                f"{TARGET_PEAK_MIB} MiB) {'met' if met else 'NOT met'}",
                file=out,
            )


def run_benchmark(
    sizes: Iterable[str] = ("small", "medium", "large"),
    periods: Iterable[int] = (1, 60),
    out: TextIO = sys.stdout,
    via_cli: CommandBuilder | None = None,
    *,
    repeats: int = 3,
    seed: int = 1,
    factor_periods: Iterable[int] = (60,),
) -> list[dict[str, Any]]:
    """Run the benchmark, print a table to ``out`` and return its rows.

    ``via_cli`` builds the subprocess command used for the end-to-end measurement from
    (input path, output path); by default :func:`default_command`.  A wrapper (e.g. the
    Django management command) can be measured by passing its own builder.
    """
    command = via_cli or default_command
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(HEADER, file=out, flush=True)
    with tempfile.TemporaryDirectory(prefix="matching-bench-") as tmp:
        for name in sizes:
            n_req, n_off = SIZES[name]
            for P, with_factors in [
                (p, f) for p in periods for f in (False, True) if not f or p in factor_periods
            ]:
                problem = generate(n_req, n_off, P, seed, factors=with_factors)
                tag = f"{name}-{P}{'-f' if with_factors else ''}"
                path = Path(tmp) / f"{tag}.json"
                path.write_bytes(orjson.dumps(problem_to_dict(problem)))
                result_path = Path(tmp) / f"{tag}.out.json"

                workers = default_workers(problem)
                engine_times = []
                for _ in range(repeats):
                    t0 = perf_counter()
                    result = solve(problem, workers=workers)
                    engine_times.append(perf_counter() - t0)
                # The greedy baseline counts units (no factors): only for the plain instances.
                heuristic = None if with_factors else greedy(problem)

                walls, cpus, peaks = [], [], []
                for _ in range(repeats):
                    wall, cpu, peak_kib = _run_child(command(str(path), str(result_path)))
                    walls.append(wall)
                    cpus.append(cpu)
                    peaks.append(peak_kib)
                written = orjson.loads(result_path.read_bytes())
                if written["objective"] != result.objective:
                    raise RuntimeError(
                        f"{name}/{P}: file result {written['objective']} != {result.objective}"
                    )

                opt = result.objective
                row = {
                    "size": name,
                    "periods": P,
                    "factors": with_factors,
                    "requirements": n_req,
                    "offers": n_off,
                    "workers": workers,
                    "engine_s": statistics.median(engine_times),
                    "e2e_s": statistics.median(walls),
                    "e2e_runs": walls,
                    "e2e_cpu_s": statistics.median(cpus),
                    "peak_mib": max(peaks) / 1024,
                    "objective": opt,
                    "bound": result.bound,
                    "gap_pct": 100.0 * (result.gap or 0) / result.bound if result.bound else 0.0,
                    "method": result.method,
                    "status": result.status,
                    "greedy_objective": heuristic.objective if heuristic else None,
                    "greedy_pct": (100.0 * heuristic.objective / opt if opt else 100.0)
                    if heuristic
                    else None,
                    "timings": result.timings,
                }
                rows.append(row)
                print(_row_text(row), file=out, flush=True)
    print(
        f"(w = solver processes; engine = in-process build+solve+decompose+bound, median of {repeats}; "
        f"e2e = wall time of a fresh `python {' '.join(command('IN', 'OUT')[1:])}` process, median of "
        f"{repeats}; cpu = its user+sys CPU seconds (children included), median; peak = its max RSS; "
        f"greedy % = greedy objective / optimum; f = y: the same instance with equivalence factors "
        f"(gap % = (bound - objective) / bound); 1-min load average {load_before:.2f} before, "
        f"{os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan'):.2f} after)",
        file=out,
    )
    _print_factor_summary(rows, out)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m clearinghouse.matching.bench")
    parser.add_argument("--sizes", default="small,medium,large", help="comma list of small, medium, large")
    parser.add_argument("--periods", default="1,60", help="comma list of horizons")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--factor-periods", default="60", help="horizons also run with equivalence factors (comma list)"
    )
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            parser.error(f"unknown size {s!r} (choose from {', '.join(SIZES)})")
    periods = [int(p) for p in args.periods.split(",") if p.strip()]
    factor_periods = [int(p) for p in args.factor_periods.split(",") if p.strip()]
    run_benchmark(
        sizes,
        periods,
        repeats=args.repeats,
        seed=args.seed,
        via_cli=clearinghouse_match,
        factor_periods=factor_periods,
    )
    return 0


def clearinghouse_match(input_path: str, output_path: str) -> list[str]:
    """End to end through the project's own command, `clearinghouse match --input ... --output ...`."""
    return [sys.executable, "-m", "clearinghouse", "match", "--input", input_path, "--output", output_path]


if __name__ == "__main__":
    sys.exit(main())
