"""`clearinghouse bench audit [--writers N] [--writes N] [--import-rows N] [--database-url URL]`:
audited writes per second, and how long one audited write waits while a long import runs.

For each database (SQLite in a temporary directory; PostgreSQL `ch_bench_audit` when reachable) a
child process sets the database up, then for each way of appending an import's audit events —
`immediate` (the chain's lock taken at the import's first batch and held to its commit: before
issue 18) and `deferred` (events held and appended at the end, `audit.deferred`: now) — a fresh child
measures:

* writes/s: N threads each creating `--writes` financial pledges through the service (one audit
  event each), as concurrent POSTs would;
* during an import: one thread imports `--import-rows` pledge rows while another creates single
  pledges one after another; printed: how many it made meanwhile, their median and worst wait, and
  how many were refused for a busy database (SQLite has one write lock: there a write waits for the
  import's transaction whichever way the chain is appended, and gives up after its lock timeout).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from clearinghouse.bench.common import DONORS, run_child, targets


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="clearinghouse bench audit")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers for writes/s")
    parser.add_argument("--writes", type=int, default=50, help="writes per writer")
    parser.add_argument("--import-rows", type=int, default=5000, help="rows of the import writes race")
    parser.add_argument("--database-url", default=None, help="only this database (default: both)")
    args = parser.parse_args(argv)
    print(
        f"{'database':<11} {'append':<10} {'writes/s':>9} {'import s':>9} {'writes during':>14} "
        f"{'median wait':>12} {'worst wait':>11} {'busy':>5}  chain",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ch-bench-audit-") as tmp:
        workdir = Path(tmp)
        for target in targets(workdir, args.database_url, label="audit"):
            run_child(["setup", "--workdir", str(workdir)], target.env)
            for mode in ("immediate", "deferred"):
                r, _ = run_child(
                    [
                        "audit",
                        "--mode",
                        mode,
                        "--writers",
                        str(args.writers),
                        "--writes",
                        str(args.writes),
                        "--import-rows",
                        str(args.import_rows),
                        "--workdir",
                        str(workdir),
                    ],
                    target.env,
                )
                chain = "verified" if r["verify_ok"] else f"BROKEN: {r['verify_reason']}"
                print(
                    f"{target.label:<11} {mode:<10} {r['writes_per_s']:>9.0f} {r['import_seconds']:>9.2f} "
                    f"{r['during']:>14} {r['median_wait'] * 1000:>9.0f} ms {r['worst_wait'] * 1000:>8.0f} ms "
                    f"{r['busy']:>5}  {chain}",
                    flush=True,
                )
    print(
        "(immediate = the chain's lock held from an import's first batch to its commit, as before issue 18; "
        "deferred = the import's events appended at its end. writes/s: audited pledge creations by "
        "concurrent writers; waits: single audited writes made while the import runs; busy = refused "
        "after the database's lock timeout, a 503 to a client)"
    )
    return 0


def _pledge(actor: Any, ref: str) -> None:
    from clearinghouse.pledges import services

    data = {
        "external_ref": ref,
        "donor": actor.participant.code,
        "kind": "financial",
        "amount": "1000000",
        "currency": "USD",
        "available_from": "2024-01-02",
    }
    services.create_pledge(actor=actor, data=data)


def _throughput(users: list[Any], writes: int, tag: str) -> float:
    from django.db import connections

    def work(i: int) -> None:
        try:
            for n in range(writes):
                _pledge(users[i], f"{tag}-T{i}-{n}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(users) * writes / (time.perf_counter() - start)


def _during_import(path: Path, importer: Any, writer: Any, tag: str) -> dict[str, Any]:
    from django.db import OperationalError, connections

    from clearinghouse import spreadsheets
    from clearinghouse.core import busy

    done = threading.Event()
    started = threading.Event()
    seconds: list[float] = []

    def run_import() -> None:
        try:
            began = time.perf_counter()

            def progress(done_rows: int, total: int) -> None:
                started.set()

            started.set()
            spreadsheets.import_file(actor=importer, path=path, kind="pledges", progress=progress)
            seconds.append(time.perf_counter() - began)
        finally:
            done.set()
            connections.close_all()

    waits: list[float] = []
    refused = 0
    thread = threading.Thread(target=run_import)
    thread.start()
    started.wait()
    time.sleep(0.2)  # let the import get into its transaction
    n = 0
    try:
        while not done.is_set():
            began = time.perf_counter()
            try:
                _pledge(writer, f"{tag}-D{n}")
            except OperationalError as exc:
                if not busy.is_busy(exc):
                    raise
                refused += 1
            waits.append(time.perf_counter() - began)
            n += 1
    finally:
        thread.join()
        connections.close_all()
    return {
        "import_seconds": seconds[0] if seconds else 0.0,
        "during": len(waits),
        "median_wait": statistics.median(waits) if waits else 0.0,
        "worst_wait": max(waits, default=0.0),
        "busy": refused,
    }


def measure(*, mode: str, writers: int, writes: int, import_rows: int, workdir: Path) -> dict[str, Any]:
    """One child's measurements (see the module's doc); `mode` immediate or deferred."""
    from clearinghouse.bench.child import _pledge_file
    from clearinghouse.core import audit
    from clearinghouse.participants.models import User

    if mode == "immediate":
        audit.deferred = contextlib.nullcontext  # type: ignore[assignment]  # the behaviour before
    users = [User.objects.select_related("participant").get(username=f"donor-{c.lower()}") for c in DONORS]
    tag = f"{mode}-{time.time_ns()}"
    per_s = _throughput(users[1 : 1 + writers], writes, tag)
    first = 20_000_000 if mode == "immediate" else 30_000_000
    path = _pledge_file(workdir / f"audit-{tag}.csv", import_rows, start=first)
    during = _during_import(path, users[0], users[-1], tag)
    result = audit.verify()
    return {"writes_per_s": per_s, **during, "verify_ok": result.ok, "verify_reason": result.reason}
