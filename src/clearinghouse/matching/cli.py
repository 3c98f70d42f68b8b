"""Command line: ``python -m clearinghouse.matching.cli --input F --output G``.

``--input``/``--output`` accept ``-`` for stdin/stdout.  ``--scenario FILE`` solves the
baseline and the scenario and writes ``{"baseline", "scenario", "comparison"}``;
``--explain`` adds an ``"explanations"`` object to every result.  An invalid input prints
one line ``error: <message>`` on stderr and exits with status 2.

The input may carry an optional top-level ``"donors"`` list: donors a scenario's added
offers may name besides those that have an offer in the file (any other donor, and any item
type no requirement accepts and no offer has, is refused as a typo).

Requirements in the input may carry an optional ``"meta"`` object of strings (e.g.
``{"capability": "air_defence", "priority": "critical"}``); scenario comparisons then
aggregate coverage by each of its keys.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

import orjson

from .engine import solve
from .io import load_problem, loads, result_to_dict
from .model import Problem, ProblemError, Result, show

#: Problems with at least this many offers + requirements are solved with one process per
#: available core (up to 2); below it, forking costs more than it saves (measured: 25k
#: elements solve in 0.28 s serially and 0.19 s on two cores).
PARALLEL_MIN_ELEMENTS = 10_000


def _read(path: str, what: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ProblemError(f"cannot read {what} file {path}: {exc.strerror or exc}") from None


def _write(path: str, doc: dict[str, Any], pretty: bool) -> None:
    data = orjson.dumps(doc, option=orjson.OPT_INDENT_2 if pretty else 0) + b"\n"
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise ProblemError(f"cannot write output file {path}: {exc.strerror or exc}") from None


def default_workers(problem: Problem) -> int:
    """Worker processes for a problem of this size on this machine."""
    a = problem.arrays
    if a.n_offers + a.n_requirements < PARALLEL_MIN_ELEMENTS:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, cores))


def requirement_meta(data: Any) -> dict[str, dict[str, Any]] | None:
    """The optional ``meta`` objects of the input's requirements, by requirement id."""
    meta: dict[str, dict[str, Any]] = {}
    for r in data.get("requirements", ()):
        m = r.get("meta") if isinstance(r, dict) else None
        if isinstance(m, dict) and isinstance(r.get("id"), str):
            meta[r["id"]] = m
    return meta or None


def declared_donors(data: Any) -> list[str] | None:
    """The problem file's optional ``"donors"`` list: donors a scenario may name besides those
    with an offer (e.g. a participant that might make a hypothetical offer)."""
    donors = data.get("donors") if isinstance(data, dict) else None
    if donors is None:
        return None
    if not isinstance(donors, list) or not all(isinstance(d, str) and d for d in donors):
        raise ProblemError(f"donors must be a list of non-empty strings, got {show(donors)[:60]}")
    return donors


def _result_doc(problem: Problem, result: Result, explain: bool, timings: bool) -> dict[str, Any]:
    doc = result_to_dict(result, timings=timings)
    if explain:
        from .explain import explain as explain_result

        doc["explanations"] = explain_result(problem, result)
    return doc


def run_match(
    input_path: str,
    output_path: str,
    *,
    scenario_path: str | None = None,
    explain: bool = False,
    workers: int | None = None,
    timings: bool = False,
    pretty: bool = False,
) -> dict[str, Any]:
    """Read a problem file, solve it (and a scenario), write the result; returns the document.

    Raises :class:`ProblemError` for unreadable or invalid input.
    """
    # The cyclic garbage collector would repeatedly traverse the hundreds of thousands of
    # freshly decoded JSON objects (which form no cycles); pause it for the run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_match(input_path, output_path, scenario_path, explain, workers, timings, pretty)
    finally:
        if gc_was_enabled:
            gc.enable()


def _run_match(
    input_path: str,
    output_path: str,
    scenario_path: str | None,
    explain: bool,
    workers: int | None,
    timings: bool,
    pretty: bool,
) -> dict[str, Any]:
    t0 = perf_counter()
    raw = _read(input_path, "input")
    data = loads(raw)
    del raw
    t_parse = perf_counter()
    problem = load_problem(data)
    meta = requirement_meta(data) if scenario_path is not None else None
    donors = declared_donors(data)
    del data  # the decoded JSON is the biggest thing in memory; drop it before solving
    t1 = perf_counter()
    n_workers = default_workers(problem) if workers is None else workers
    result = solve(problem, workers=n_workers)
    t_solve = perf_counter()
    if timings:
        result.timings["parse"] = t_parse - t0
        result.timings["validate"] = t1 - t_parse
    if scenario_path is None:
        doc = _result_doc(problem, result, explain, timings)
    else:
        from .scenario import apply_scenario, compare

        scenario = loads(_read(scenario_path, "scenario"))
        scenario_problem = apply_scenario(problem, scenario, donors=donors)
        scenario_result = solve(scenario_problem, workers=n_workers)
        comparison = compare(problem, result, scenario_problem, scenario_result, requirement_meta=meta)
        if isinstance(scenario.get("name"), str):
            comparison = {"name": scenario["name"], **comparison}
        doc = {
            "baseline": _result_doc(problem, result, explain, timings),
            "scenario": _result_doc(scenario_problem, scenario_result, explain, timings),
            "comparison": comparison,
        }
    t2 = perf_counter()
    _write(output_path, doc, pretty)
    if timings:
        phases = {
            "parse": t_parse - t0,
            "validate": t1 - t_parse,
            **{k: v for k, v in result.timings.items() if k in ("build", "solve", "decompose", "bound")},
            "format": t2 - t_solve,
            "write": perf_counter() - t2,
        }
        print("timings: " + " ".join(f"{k} {v:.3f}s" for k, v in phases.items()), file=sys.stderr)
    return doc


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (shared with the Django management command)."""
    parser = argparse.ArgumentParser(
        prog="python -m clearinghouse.matching.cli",
        description="Match offers to requirements optimally (min-cost flow).",
    )
    parser.add_argument("--input", required=True, help="problem JSON file, or - for stdin")
    parser.add_argument("--output", default="-", help="result JSON file, or - for stdout (default)")
    parser.add_argument("--scenario", help="scenario JSON file: solve baseline and scenario and compare")
    parser.add_argument(
        "--explain", action="store_true", help="add explanations of shortfalls and allocations"
    )
    parser.add_argument("--workers", type=int, default=None, help="solver processes (default: by size)")
    parser.add_argument("--timings", action="store_true", help="add phase timings to the output")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON output")
    return parser


def run(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad input or usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return int(exc.code) if isinstance(exc.code, int) else 2
    try:
        run_match(
            args.input,
            args.output,
            scenario_path=args.scenario,
            explain=args.explain,
            workers=args.workers,
            timings=args.timings,
            pretty=args.pretty,
        )
    except ProblemError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run())
