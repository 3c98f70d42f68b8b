"""`clearinghouse kiel releases | revisions`: the imported tracker releases and what each revised."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.money import figure_text
from clearinghouse.tracker import selectors
from clearinghouse.tracker.formatting import decimal_text

# The HXL hashtag row of the revisions CSV (`--hxl`; hxlstandard.org core hashtags).
REVISIONS_HXL = [
    "#country +code +donor",
    "#org +donor +name",
    "#date",
    "#sector",
    "#value +eur +billions +old",
    "#value +eur +billions +new",
    "#value +eur +billions +change",
]


class Command(ClearinghouseCommand):
    help = "List imported Kiel tracker releases, or the values one release revised in another."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        r = sub.add_parser("releases", help="Imported releases, newest first; * marks the current one.")
        r.add_argument("--format", choices=["table", "json"], default="table")
        v = sub.add_parser(
            "revisions", help="Values that differ between two releases (default: the two latest)."
        )
        v.add_argument(
            "--from", dest="from_release", type=int, metavar="RELEASE", help="Older release number."
        )
        v.add_argument("--to", dest="to_release", type=int, metavar="RELEASE", help="Newer release number.")
        v.add_argument("--format", choices=["table", "csv", "json"], default="table")
        v.add_argument(
            "--hxl", action="store_true", help="With --format csv: the HXL hashtag row under the header."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sub"] == "releases":
            self._releases(options["format"])
        else:
            self._revisions(options)

    def _releases(self, fmt: str) -> None:
        releases = list(selectors.release_list(user=None))
        if fmt == "json":
            items = [
                {
                    "number": r.number,
                    "period": r.period,
                    "date": r.date.isoformat(),
                    "label": r.label,
                    "imported_at": r.imported_at.isoformat(),
                    "digest": r.digest,
                    "is_current": r.is_current,
                    "counts": r.counts,
                    "warnings": r.warnings,
                }
                for r in releases
            ]
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2))
            return
        if not releases:
            self.stdout.write("No Kiel release imported yet.")
        for r in releases:
            mark = "*" if r.is_current else " "
            self.stdout.write(
                f"{mark} {r.number:>3}  {r.period:<8} published {r.date}  "
                f"{r.counts.get('flows', 0):>6} values  {len(r.warnings)} warning(s)  "
                f"{r.digest[:12]}  {r.label}"
            )

    def _revisions(self, options: dict[str, Any]) -> None:
        old, new, changes = selectors.revisions(
            user=None, from_release=options["from_release"], to_release=options["to_release"]
        )
        fmt = options["format"]
        if fmt == "json":
            items = [
                {
                    "participant": c.participant,
                    "name": c.name,
                    "period": c.period,
                    "type": c.type,
                    "old": figure_text(c.old),
                    "new": figure_text(c.new),
                    "change": figure_text(c.change),
                }
                for c in changes
            ]
            payload = {"from": old.number, "to": new.number, "items": items, "count": len(items)}
            self.stdout.write(json.dumps(payload, indent=2))
        elif fmt == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(["participant", "name", "period", "type", "old", "new", "change"])
            if options["hxl"]:
                writer.writerow(REVISIONS_HXL)
            for c in changes:
                writer.writerow(
                    [
                        c.participant,
                        c.name,
                        c.period,
                        c.type,
                        decimal_text(c.old),
                        decimal_text(c.new),
                        decimal_text(c.change),
                    ]
                )
        else:
            self.stdout.write(
                f"Release {old.number} → {new.number}: {len(changes)} value(s) revised "
                "(EUR billion; – = no row in that release)"
            )
            self.stdout.write(f"{'donor':<6}{'month':<9}{'type':<17}{'old':>14}{'new':>14}{'change':>14}")
            for c in changes:
                self.stdout.write(
                    f"{c.participant:<6}{c.period:<9}{c.type:<17}{decimal_text(c.old) or '–':>14}"
                    f"{decimal_text(c.new) or '–':>14}{decimal_text(c.change):>14}"
                )
