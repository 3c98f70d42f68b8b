"""Console entry point: `clearinghouse COMMAND ...` dispatches to Django management commands."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run a management command, e.g. `clearinghouse audit verify`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["clearinghouse", *argv])
    args[0] = "clearinghouse"
    execute_from_command_line(args)
    return 0
