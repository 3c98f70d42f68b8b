"""`clearinghouse report totals|donors|groups|weapons`: the transparency reports on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.reports import exports, selectors

FORMATS = ["table", "json", "csv", "xlsx"]


class Command(ClearinghouseCommand):
    help = (
        "Transparency reports over the current Kiel tracker release (default) or the contact group's "
        "records (--source records, seen as --as USERNAME sees them; small cells suppressed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)

        def common(p: CommandParser) -> None:
            p.add_argument("--format", choices=FORMATS, default="table", help="xlsx needs --output")
            p.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
            p.add_argument("--source", choices=list(selectors.SOURCES), default="tracker")
            p.add_argument(
                "--hxl", action="store_true", help="With --format csv: the HXL hashtag row under the header."
            )
            p.add_argument(
                "--as",
                dest="as_user",
                metavar="USERNAME",
                help="Whose view of the records to report (needed with --source records).",
            )

        t = sub.add_parser("totals", help="Aid by year or month and type.")
        t.add_argument("--by", choices=list(selectors.BY), default="year")
        common(t)
        d = sub.add_parser("donors", help="Donors ranked by amount or by share of 2021 GDP.")
        d.add_argument("--type", choices=list(selectors.TYPES), default="total")
        d.add_argument("--per-gdp", action="store_true", help="Rank by percent of 2021 GDP (EU left out).")
        d.add_argument("--with-eu-share", action="store_true", help="Attribute the EU institutions' aid.")
        d.add_argument("--from", dest="month_from", metavar="YYYY-MM")
        d.add_argument("--to", dest="month_to", metavar="YYYY-MM")
        common(d)
        g = sub.add_parser("groups", help="Allies, partners, organisations, EU27, continental Europe, USA.")
        common(g)
        w = sub.add_parser("weapons", help="Heavy weapons by category and donor: count and value.")
        common(w)

    def handle(self, *args: Any, **options: Any) -> None:
        report = options["sub"]
        source = options["source"]
        user = None
        if options.get("as_user"):
            user = self.acting_user(options)
        elif source == "records":
            raise CommandError("--source records reports what an account may see: name it with --as USERNAME")
        if options["format"] == "xlsx" and not options.get("output"):
            raise CommandError("--format xlsx writes a file: name it with --output FILE")
        if report == "totals":
            payload = selectors.totals_report(user=user, by=options["by"], source=source)
        elif report == "donors":
            payload = selectors.donors_report(
                user=user,
                type=options["type"],
                per_gdp=options["per_gdp"],
                with_eu_share=options["with_eu_share"],
                month_from=options["month_from"],
                month_to=options["month_to"],
                source=source,
            )
        elif report == "groups":
            payload = selectors.groups_report(user=user, source=source)
        else:
            payload = selectors.weapons_report(user=user, source=source)
        fmt = options["format"]
        data: bytes
        if fmt == "json":
            data = (json.dumps(exports.to_json(payload), indent=2, ensure_ascii=False) + "\n").encode()
        elif fmt == "csv":
            data = exports.to_csv(report, payload, hxl=options["hxl"])
        elif fmt == "xlsx":
            data = exports.to_xlsx(report, payload)
        else:
            data = (exports.to_text(report, payload) + "\n").encode()
        if options.get("output"):
            Path(options["output"]).write_bytes(data)
            self.stdout.write(f"Wrote {report} ({fmt}) to {options['output']}.")
        else:
            self.stdout.write(data.decode(), ending="")
