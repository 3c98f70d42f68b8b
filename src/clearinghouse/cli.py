"""Console entry point: `clearinghouse COMMAND ...` dispatches to Django management commands.

`match --input` and `bench` are the exception: they run the pure engine on files and never touch
the database, so they skip Django's start-up (about half a second of imports) entirely.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Commands that may run before the database exists (and create it): setting up, and what never reads it.
SETUP_COMMANDS = frozenset(
    {
        "migrate",
        "createcachetable",
        "demo",
        "makemigrations",
        "makemessages",
        "compilemessages",
        "check",
        "collectstatic",
        "help",
        "version",
        "restore",  # into a new, empty database
    }
)

# Commands served without Django: name -> "module:function" taking argv and returning an exit status.
FAST_COMMANDS = {
    "match": "clearinghouse.matching.cli:run",
    "bench": "clearinghouse.matching.bench:main",
}


def main(argv: list[str] | None = None) -> int:
    """Run a command, e.g. `clearinghouse audit verify` or `clearinghouse match --input P.json`."""
    args = list(sys.argv[1:] if argv is None else argv)
    # `match` without --input works on the database (a scenario of current data): Django is needed.
    if (
        args
        and args[0] in FAST_COMMANDS
        and (args[0] != "match" or any(a.startswith("--input") for a in args))
    ):
        import importlib

        module, func = FAST_COMMANDS[args[0]].split(":")
        rest = args[1:]
        if args[0] == "bench" and rest[:1] == ["matching"]:
            rest = rest[1:]
        elif args[0] == "bench" and rest[:1] and rest[0] in ("import", "http", "audit", "db"):
            module, func = "clearinghouse.bench", "main"
        return int(getattr(importlib.import_module(module), func)(rest))
    missing = _missing_database(args)
    if missing:
        sys.stderr.write(missing + "\n")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["clearinghouse", *args])
    return 0


def _missing_database(args: list[str]) -> str | None:
    """Why this command cannot run (no database in the data dir), or None.

    SQLite creates an empty file on first connection: a command pointed at a wrong or new data dir
    would otherwise run against nothing (and leave an empty database behind). Only the set-up
    commands may create it. Checked before Django starts, since settings create the data dir.
    """
    if not args or args[0].startswith("-") or args[0] in SETUP_COMMANDS or os.environ.get("DATABASE_URL"):
        return None
    # The same rule as settings.DATA_DIR (not imported: importing settings creates the directory).
    data_dir = Path(os.environ.get("CLEARINGHOUSE_DATA_DIR") or Path.cwd() / "var").resolve()
    database = data_dir / "clearinghouse.sqlite3"
    if database.is_file():
        return None
    return (
        f"clearinghouse: no database at {database}; set CLEARINGHOUSE_DATA_DIR (or DATABASE_URL) to the "
        "installation's, or create one with `clearinghouse migrate` (`make demo` loads the demo)"
    )
