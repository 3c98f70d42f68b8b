"""`clearinghouse requirements list|cancel`: the recipient's requirements, as an account sees them."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.core.audit import jsonable
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.humanize import count_of
from clearinghouse.requirements import consumption, coverage, derived, selectors, services
from clearinghouse.requirements.choices import Priority, RequirementStatus


def pct(item: dict[str, Any]) -> str:
    """The coverage percentage, or its band where it is coarsened for this account."""
    band = item["coverage"]["allocated_band"]
    return f"{band[0]}–{band[1]}" if band else f"{item['coverage_pct']:.1f}"


class Command(ClearinghouseCommand):
    help = "List requirements as an account may see them, or cancel one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        lst = sub.add_parser("list", help="Requirements, most urgent first.")
        lst.add_argument(
            "--as", dest="as_user", metavar="USERNAME", required=True, help="Read as this account."
        )
        lst.add_argument("--format", choices=["table", "json"], default="table")
        lst.add_argument("--priority", choices=Priority.values)
        lst.add_argument("--status", choices=[*RequirementStatus.values, coverage.MOSTLY_COVERED])
        lst.add_argument("--capability")
        cancel = sub.add_parser("cancel", help="Cancel a requirement (its recipient's officers).")
        cancel.add_argument("requirement_id", type=int)
        cancel.add_argument("--reason", required=True, help="why (kept in the audit chain)")
        cancel.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = self.acting_user(options)
        if options["sub"] == "cancel":
            r = services.cancel_requirement(
                actor=user, requirement_id=options["requirement_id"], reason=options["reason"]
            )
            self.stdout.write(f"requirement {r.pk} cancelled")
            return
        items = []
        for r in selectors.requirement_list(
            user=user,
            priority=options["priority"],
            status=options["status"],
            capability=options["capability"],
        ):
            seen = coverage.of(r, user)  # what this account may know of it (docs/confidentiality.md)
            items.append(
                {
                    "id": r.pk,
                    "external_ref": r.external_ref,
                    "capability": r.capability.code,
                    "item_types": sorted(t.code for t in r.item_types.all()),
                    "quantity": r.quantity,
                    "unit": r.unit,
                    "priority": r.priority,
                    "needed_by": jsonable(r.needed_by),
                    "releasability": r.releasability,
                    "status": seen.status,
                    "coverage_pct": seen.coverage_pct,
                    "allocated_quantity": coverage.as_number(seen.allocated),
                    "delivered_quantity": coverage.as_number(seen.delivered),
                    "coverage": seen.as_dict(),
                    "illustrative": r.illustrative,
                    "rate_per_month": r.rate_per_month,
                    "from_month": r.from_month_text or None,
                    "to_month": r.to_month_text or None,
                    # Which months are short, where this account sees every allocation.
                    "months_short": (
                        [
                            {"month": m.label, "short": m.short}
                            for m in consumption.requirement_months(r)
                            if m.short
                        ]
                        if seen.mode == coverage.EXACT
                        else None
                    ),
                    "derived_from": [d.as_dict() for d in derived.derived_from(r, user)],
                }
            )
        if options["format"] == "json":
            self.stdout.write(json.dumps({"items": items, "count": len(items)}, indent=2))
            return
        for i in items:
            self.stdout.write(
                f"{i['id']:>6} {i['priority']:<8} {i['status']:<15} {pct(i):>7}% "
                f"{i['quantity']:>10} {i['unit']:<10} {','.join(i['item_types'])}  {i['external_ref']}"
                + (
                    f"  [{i['rate_per_month']}/month {i['from_month']}..{i['to_month']}]"
                    if i["rate_per_month"]
                    else ""
                )
                + ("  [illustrative]" if i["illustrative"] else "")
            )
        self.stdout.write(count_of(len(items), "requirement"))
