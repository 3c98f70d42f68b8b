"""`clearinghouse bench import [--rows N,...] [--database-url URL]`: bulk import speed and memory.

For each database (SQLite in a temporary directory; PostgreSQL `ch_bench` when reachable, or only
the one `--database-url` names) a child process sets the database up (migrate, reference data,
catalog, accounts), then for each size a fresh child imports a generated file of N new pledge rows
(`clearinghouse import pledges` does the same work) and verifies the audit chain. Printed: rows/s,
seconds, the child's resident memory before the import and at its peak, and the chain's check.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from clearinghouse.bench.common import run_child, targets


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="clearinghouse bench import")
    parser.add_argument("--rows", default="10000,100000", help="comma list of file sizes (rows)")
    parser.add_argument(
        "--database-url", default=None, help="only this database (default: SQLite and PostgreSQL)"
    )
    args = parser.parse_args(argv)
    sizes = [int(r) for r in args.rows.split(",") if r.strip()]
    with tempfile.TemporaryDirectory(prefix="ch-bench-import-") as tmp:
        workdir = Path(tmp)
        print(
            f"{'database':<11} {'rows':>8} {'seconds':>8} {'cpu s':>6} {'rows/s':>8} {'RSS before':>11} "
            f"{'peak RSS':>9} "
            f"{'events':>8}  chain",
            flush=True,
        )
        for target in targets(workdir, args.database_url, label="import"):
            run_child(["setup", "--workdir", str(workdir)], target.env)
            for rows in sizes:
                r, _ = run_child(["import", "--rows", str(rows), "--workdir", str(workdir)], target.env)
                chain = "verified" if r["verify_ok"] else f"BROKEN: {r['verify_reason']}"
                print(
                    f"{target.label:<11} {rows:>8,} {r['seconds']:>8.2f} {r['cpu_seconds']:>6.2f} "
                    f"{r['rows_per_s']:>8,.0f} "
                    f"{r['rss_before_mib']:>7.0f} MiB {r['peak_mib']:>5.0f} MiB {r['events_added']:>8,}  "
                    f"{chain} ({r['verify_seconds']:.1f} s)",
                    flush=True,
                )
    print(
        "(one fresh process per import of N new pledge rows by a donor officer, all or nothing, one audit "
        "event per pledge; the database grows by each size in turn; cpu s = that process's CPU time in the "
        "import (the wall time includes waiting for a busy machine's cores); peak RSS = its ru_maxrss)"
    )
    return 0
