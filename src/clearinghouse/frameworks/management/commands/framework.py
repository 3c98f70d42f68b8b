"""`clearinghouse framework ...`: list, status, load."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.frameworks import selectors, services


def _money(value: str) -> str:
    return f"{Decimal(value):,.2f}"


class Command(ClearinghouseCommand):
    help = (
        "Frameworks (one payment, several promises): list, fair share against actual, load the shipped ones."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        ls = sub.add_parser("list", help="Frameworks.")
        ls.add_argument("--format", choices=["table", "json"], default="table")

        st = sub.add_parser("status", help="Every member's share, fair share, actual and gap over a period.")
        st.add_argument("slug")
        st.add_argument(
            "--from", dest="start", default=None, help="First day YYYY-MM-DD (default: the framework's)."
        )
        st.add_argument(
            "--to", dest="end", default=None, help="Last day YYYY-MM-DD (default: the framework's)."
        )
        # Checked by the selector (not argparse choices) so that a wrong value is one line, as in the API.
        st.add_argument("--source", default=None, help="kiel or records (default: the framework's).")
        st.add_argument("--format", choices=["table", "json"], default="table")
        st.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            default=None,
            help="Count the records this account may see (default: the operator's console, every record).",
        )

        ld = sub.add_parser(
            "load", help="Create the shipped frameworks (washington-baseline) and their keys."
        )
        ld.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["sub"])(options)

    def do_list(self, options: dict[str, Any]) -> None:
        items: list[dict[str, Any]] = [
            {
                "slug": f.slug,
                "title": f.title,
                "start": f.start.isoformat(),
                "end": f.end.isoformat(),
                "target_amount": str(f.target_amount),
                "currency": f.currency,
                "group": f.group.code,
                "burden_key": f.burden_key.code,
                "exempt": sorted(p.code for p in f.exempt.all()),
                "default_source": f.default_source,
            }
            for f in selectors.framework_list(user=None)
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2))
            return
        for i in items:
            self.stdout.write(
                f"{i['slug']}\t{i['title']}\t{_money(i['target_amount'])} {i['currency']} a year"
                f"\t{i['start']}–{i['end']}\t{i['group']}\t{i['burden_key']}"
                f"\texempt: {', '.join(i['exempt']) or 'none'}"
            )

    def do_status(self, options: dict[str, Any]) -> None:
        user = self.acting_user(options) if options["as_user"] else None
        framework = selectors.get_framework(user=user, slug=options["slug"])
        source, status = selectors.status_of(
            framework, user=user, start=options["start"], end=options["end"], source=options["source"]
        )
        data = selectors.status_dict(framework, source, status)
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write(
            f"{data['title']} ({data['framework']}), {data['from']}–{data['to']} ({data['years']} years), "
            f"{data['currency']}; target {_money(data['target'])}; source {source}: {data['source_label']}"
        )
        rows = [["member", "share", "fair share", "actual", "gap"]]
        for m in data["members"]:
            label = m["participant"] + (" (exempt)" if m["exempt"] else "")
            rows.append([label, m["share"], _money(m["fair_share"]), _money(m["actual"]), _money(m["gap"])])
        t = data["totals"]
        rows.append(["TOTAL", "", _money(t["fair_share"]), _money(t["actual"]), _money(t["gap"])])
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for n, r in enumerate(rows):
            self.stdout.write(
                "  ".join(
                    c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)
                ).rstrip()
            )
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))

    def do_load(self, options: dict[str, Any]) -> None:
        counts = services.load_shipped(actor=self.acting_user(options))
        self.stdout.write(f"frameworks: {counts['created']} created")
