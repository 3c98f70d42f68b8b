"""`clearinghouse bench db [--pledges N] [--requirements M] [--repeat K] [--workdir DIR] [--database-url U]`.

The database side at issue 18's volume (50,000 pledges by 8 donors, 5,000 requirements, the shipped
Kiel release), on SQLite and on PostgreSQL when reachable, each figure next to its target:

* a clearing run from the database, end to end: `clearinghouse clearing run --as coordinator` in a
  fresh process (start-up, build, solve, store), the median of K runs (target <= 2 s);
* list pages and API lists, p50 of K x 10 requests in one warm process through the whole Django
  stack (middleware, sessions or token, templates), for a reader who sees everything (the
  coordination cell's analyst) and one whose visibility filter applies (a donor officer); the API
  at a deep offset, and by cursor (target <= 50 ms);
* the records dashboard: the first request after a write (computed) and the next ones (cached)
  (target <= 300 ms);
* an import's round trips to the database for files of 100 and 1,000 rows (constant per file,
  not per row);
* the first request of a fresh process (the exchange-rate history is loaded at start, not there).

The client is in the measuring process (no HTTP server: `bench http` measures that), so the
figures are the application's and the database's time. Medians are quoted: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from clearinghouse.bench.common import Target, run_child, targets

TARGETS = {
    "clearing run, end to end": ("s", 2.0),
    "pledges page": ("ms", 50.0),
    "api pledges": ("ms", 50.0),
    "api pledges offset=49000": ("ms", 50.0),
    "api pledges by cursor, deep": ("ms", 50.0),
    "api requirements": ("ms", 50.0),
    "dashboard records, after a write": ("ms", 300.0),
    "dashboard records, cached": ("ms", 300.0),
    "first request of a process": ("ms", 300.0),
}


def _clearing(env: dict[str, str], repeat: int) -> tuple[float, float, list[float], str]:
    """Median wall and CPU seconds (the command's process) of `repeat` clearing runs."""
    walls: list[float] = []
    cpus: list[float] = []
    line = ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "clearinghouse", "clearing", "run", "--as", "coordinator"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if proc.returncode:
            return float("nan"), float("nan"), walls, f"FAILED: {proc.stderr.strip()[-300:]}"
        line = (proc.stdout.strip().splitlines() or [""])[0][:100]
    return statistics.median(walls), statistics.median(cpus), walls, line


def _print(label: str, figures: dict[str, Any]) -> None:
    print(f"\n{label}")
    print(f"{'figure':<44} {'wall':>10} {'cpu':>10} {'target':>10}  verdict (on the wall time)")
    for name, value in figures.items():
        if name.startswith("cpu:"):
            continue
        base = name.split(" [")[0]
        unit, target = TARGETS.get(base, ("", float("nan")))
        if not unit:
            print(f"{name:<44} {value!s:>10}")
            continue
        cpu = figures.get(f"cpu:{name}", float("nan"))
        fmt = "{:.2f} s" if unit == "s" else "{:.1f} ms"
        verdict = "met" if value <= target else "NOT met"
        print(
            f"{name:<44} {fmt.format(value):>10} {fmt.format(cpu):>10} "
            f"{'<= ' + str(target) + ' ' + unit:>10}  {verdict}"
        )


def _run(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    seconds, cpu, walls, line = _clearing(target.env, args.repeat)
    figures["clearing run, end to end"] = seconds
    figures["cpu:clearing run, end to end"] = cpu
    print(f"  {target.label}: clearing runs {', '.join(f'{w:.2f}' for w in walls)} s ({line})", flush=True)
    measured, _ = run_child(["figures", "--repeat", str(args.repeat)], target.env)
    figures.update(measured)
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="clearinghouse bench db")
    parser.add_argument("--pledges", type=int, default=50_000)
    parser.add_argument("--requirements", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3, help="clearing runs; x10 requests per list figure")
    parser.add_argument("--database-url", default=None, help="only this database (`sqlite`: SQLite only)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the built databases here and reuse them on the next run (default: built afresh)",
    )
    args = parser.parse_args(argv)
    results: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="ch-bench-db-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        reuse = args.workdir is not None and any(workdir.glob("*.built"))
        for target in targets(workdir, args.database_url, label="db", fresh=not reuse):
            marker = workdir / f"{target.label}.built"
            if not marker.exists():
                print(f"{target.label}: building {args.pledges:,} pledges, {args.requirements:,} needs…")
                built, wall = run_child(
                    [
                        "setup",
                        "--workdir",
                        str(workdir),
                        "--pledges",
                        str(args.pledges),
                        "--requirements",
                        str(args.requirements),
                        "--kiel",
                    ],
                    target.env,
                )
                print(f"  imported in {built['seconds']:.1f} s (set-up {wall:.1f} s)", flush=True)
                marker.write_text(f"{args.pledges} pledges, {args.requirements} requirements\n")
            results.append((target.label, _run(target, args)))
    print(f"\nissue 18 at {args.pledges:,} pledges and {args.requirements:,} requirements (medians)")
    for label, figures in results:
        _print(label, figures)
    print(
        "(lists: [analyst] sees every record, [donor] a donor officer whose visibility filter applies; "
        "import round trips: queries of one import of N rows, the same for 100 and 1,000 rows; cpu: the "
        "measuring process's CPU time (on PostgreSQL the server's is not in it), a fairer figure than the "
        "wall time on a busy machine)"
    )
    print(f"(machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end)")
    return 0
