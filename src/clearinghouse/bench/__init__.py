"""`clearinghouse bench import|http|audit|db`: speed and memory of bulk imports, the served app and the
database side, and audited writes while long work runs.

Run by `make bench` (never by `make test`). Each measurement runs in fresh child processes on a
database of its own (a temporary SQLite file; the PostgreSQL database `ch_bench` when the
server at 127.0.0.1:5432 answers), so the figures are those of the commands people run.
"""

from __future__ import annotations

import importlib

COMMANDS = {
    "import": "clearinghouse.bench.imports",
    "http": "clearinghouse.bench.http",
    "audit": "clearinghouse.bench.audit",
    "db": "clearinghouse.bench.db",
}


def main(argv: list[str]) -> int:
    """`clearinghouse bench import|http ARGS`."""
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: clearinghouse bench {{matching,{','.join(COMMANDS)}}} ...")
        return 2
    return int(importlib.import_module(COMMANDS[argv[0]]).main(argv[1:]))
