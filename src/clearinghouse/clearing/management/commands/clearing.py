"""`clearinghouse clearing run|accept|shortfalls`: the clearing house on the current data."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from clearinghouse.clearing import jobs, selectors, services
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.core.commands import ClearinghouseCommand
from clearinghouse.core.humanize import count_of
from clearinghouse.core.job_commands import add_wait_argument, run_job
from clearinghouse.requirements.equivalence import format_factor


class Command(ClearinghouseCommand):
    help = "Run the matching on current data, accept a run's proposals, or print the shortfall report."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        run = sub.add_parser(
            "run", help="Solve and store a run; prints a summary (--verbose: every proposal; --format json)."
        )
        run.add_argument("--verbose", action="store_true", help="list every proposal, one a line")
        run.add_argument(
            "--format", choices=["table", "json"], default="table", help="json: the run and its proposals"
        )
        run.add_argument("--lateness-penalty", type=float, default=services.DEFAULT_LATENESS_PENALTY)
        run.add_argument("--name", default="")
        run.add_argument(
            "--coalition", default="", help="Run over a capability coalition's scope (e.g. coalition-drones)"
        )
        run.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        add_wait_argument(run)
        acc = sub.add_parser("accept", help="Accept all (default) or the named proposals of a run.")
        acc.add_argument("run_id", type=int)
        acc.add_argument("--proposal", type=int, action="append", help="proposal id (repeatable)")
        acc.add_argument("--reason", default="", help="why (optional); kept in the audit chain")
        acc.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        sf = sub.add_parser(
            "shortfalls", help="Required, allocated, delivered by capability and month, in EUR."
        )
        sf.add_argument("--format", choices=["table", "json"], default="table")
        sf.add_argument("--trend", action="store_true", help="coverage at each past month-end instead")
        sf.add_argument("--months", type=int, default=selectors.TREND_MONTHS)
        sf.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.acting_user(options)
        if options["sub"] == "run":
            job = run_job(
                self,
                kind=jobs.CLEARING_RUN,
                owner=actor,
                params={
                    "lateness_penalty": options["lateness_penalty"],
                    "name": options["name"],
                    "coalition": options["coalition"],
                },
                wait=options["wait"],
                label="clearing run",
            )
            if job is None:
                return
            # Not the run's JSON (problem, result, explanations: megabytes at 50,000 pledges).
            run = ClearingRun.objects.only(
                "pk", "kind", "name", "status", "objective", "bound", "input_digest", "timings"
            ).get(pk=(job.result or {})["run"])
            self._print_run(actor, run, verbose=options["verbose"], fmt=options["format"])
        elif options["sub"] == "accept":
            outcome = services.accept_proposals(
                actor=actor,
                run_id=options["run_id"],
                proposal_ids=options["proposal"],
                reason=options["reason"],
            )
            self.stdout.write(f"{len(outcome.accepted)} accepted, {len(outcome.refused)} refused")
            for p in outcome.refused:
                self.stdout.write(f"  proposal {p.pk} refused: {p.reason}")
        else:
            if options["trend"]:
                trend = selectors.trend_json(selectors.coverage_trend(user=actor, months=options["months"]))
                if options["format"] == "json":
                    self.stdout.write(json.dumps(trend, indent=2))
                    return
                self.stdout.write(f"{'month end':<12} {'required EUR':>18} {'allocated EUR':>18} {'%':>6}")
                for m in trend["months"]:
                    self.stdout.write(
                        f"{m['month_end']:<12} {m['required_eur']:>18} {m['allocated_eur']:>18} "
                        f"{m['allocated_pct']:>6}"
                    )
                return
            data = selectors.shortfalls_json(selectors.shortfalls(user=actor))
            if options["format"] == "json":
                self.stdout.write(json.dumps(data, indent=2))
                return
            self.stdout.write(
                f"{'capability (EUR)':<28} {'required':>18} {'allocated':>18} {'delivered':>18} {'short':>18}"
            )
            for r in data["capabilities"]:
                self.stdout.write(
                    f"{r['capability_name'][:28]:<28} {r['required_eur']:>18} {r['allocated_eur']:>18} "
                    f"{r['delivered_eur']:>18} {r['short_eur']:>18}"
                )

    def _print_run(self, actor: Any, run: ClearingRun, *, verbose: bool, fmt: str) -> None:
        """One summary line; every proposal only when asked (`--verbose`, `--format json`): at 50,000
        pledges a run proposes some 20,000 allocations, and printing them took longer than solving."""
        count = run.proposals.count()
        if fmt == "json":
            proposals = [_proposal_json(p) for p in selectors.proposal_list(user=actor, run=run)]
            self.stdout.write(
                json.dumps(
                    {
                        "id": run.pk,
                        "kind": run.kind,
                        "name": run.name,
                        "status": run.status,
                        "objective": run.objective,
                        "bound": run.bound,
                        "input_digest": run.input_digest,
                        "timings": run.timings,
                        "proposals": count,
                        "items": proposals,
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"run {run.pk}: {run.status}, objective {run.objective:g} (bound {run.bound:g}), "
            f"{count_of(count, 'proposal')}, digest {run.input_digest[:12]}"
        )
        if not verbose:
            if count:
                self.stdout.write(
                    f"  see /clearing/runs/{run.pk}/, or list the proposals with --verbose or --format json"
                )
            return
        for p in selectors.proposal_list(user=actor, run=run):
            item = p.pledge.item_type.code if p.pledge.item_type else "?"
            self.stdout.write(
                f"  proposal {p.pk}: {p.quantity} × {item} from {p.pledge.owner.code} "
                f"pledge {p.pledge_id} → requirement {p.requirement_id} ({p.requirement.priority})"
                + (f", package {vars(p)['package_ref']}" if vars(p).get("package_ref") else "")
            )


def _proposal_json(p: Any) -> dict[str, Any]:
    """A proposal with the API's keys (`ProposalOut`)."""
    return {
        "id": p.pk,
        "requirement": p.requirement_id,
        "pledge": p.pledge_id,
        "package": vars(p).get("package_ref"),
        "quantity": p.quantity,
        "provides": format_factor(p.provides),
        "worth_per_unit": p.worth_per_unit,
        "state": p.state,
        "reason": p.reason,
        "allocation": p.allocation_id,
        "displaced": p.displaced,
    }
