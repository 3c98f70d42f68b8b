"""`clearinghouse match`: solve a problem file (`--input`), or a scenario of the current data.

With `--input PROBLEM.json` the pure engine solves the file without touching the database (the
console script runs that case without starting Django at all). Without `--input`, `--scenario
FILE --as USERNAME` runs the what-if scenario against today's requirements and pledges, stores the
run and prints the comparison.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.clearing import services
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.matching import cli as engine_cli


class Command(ClearinghouseCommand):
    help = "Solve a matching problem file, or run a what-if scenario on the current data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", help="problem JSON file (or -): solve it without the database")
        parser.add_argument("--output", default="-", help="result JSON file (or -, the default)")
        parser.add_argument("--scenario", help="scenario JSON file")
        parser.add_argument("--explain", action="store_true")
        parser.add_argument("--lateness-penalty", type=float, default=services.DEFAULT_LATENESS_PENALTY)
        parser.add_argument("--as", dest="as_user", metavar="USERNAME", help="account (database scenarios)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["input"]:
            argv = ["--input", options["input"], "--output", options["output"]]
            if options["scenario"]:
                argv += ["--scenario", options["scenario"]]
            if options["explain"]:
                argv.append("--explain")
            status = engine_cli.run(argv)
            if status:
                raise CommandError("the problem file was refused (see the message above)", returncode=status)
            return
        if not options["scenario"]:
            raise CommandError(
                "give --input PROBLEM.json, or --scenario FILE --as USERNAME for the current data"
            )
        actor = self.acting_user(options)
        try:
            raw = sys.stdin.read() if options["scenario"] == "-" else Path(options["scenario"]).read_text()
            scenario = json.loads(raw)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read scenario {options['scenario']}: {exc}") from exc
        run = services.run_scenario(
            actor=actor, scenario=scenario, lateness_penalty=options["lateness_penalty"]
        )
        doc = {
            "run": run.pk,
            "status": run.status,
            "objective": run.objective,
            "baseline_objective": run.parameters.get("baseline_objective"),
            "comparison": run.comparison,
        }
        text = json.dumps(doc, indent=2)
        if options["output"] == "-":
            self.stdout.write(text)
        else:
            Path(options["output"]).write_text(text + "\n")
