"""Console entry point: `clearinghouse COMMAND ...` dispatches to Django management commands.

`match --input` and `bench` are the exception: they run the pure engine on files and never touch
the database, so they skip Django's start-up (about half a second of imports) entirely.
"""

from __future__ import annotations

import os
import sys

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
        return int(getattr(importlib.import_module(module), func)(rest))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["clearinghouse", *args])
    return 0
