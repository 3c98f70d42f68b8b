"""Clearing runs and scenarios as background jobs (`core.jobs`; registered via `clearinghouse.jobs`)."""

from __future__ import annotations

from typing import Any

from clearinghouse.clearing import services
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.core import jobs
from clearinghouse.core.errors import InvalidInput, PermissionDenied
from clearinghouse.core.jobs import JobContext
from clearinghouse.core.models import Job

CLEARING_RUN = "clearing.run"
CLEARING_SCENARIO = "clearing.scenario"


def _run_result(run: Any) -> dict[str, Any]:
    return {
        "run": run.pk,
        "status": run.status,
        "proposals": run.proposals.count(),
        # The run page's path (`clearing-run` in clearing/urls.py), written out: `reverse` would load
        # every URL and API module, seconds of a command's start-up spent on one string.
        "url": f"/clearing/runs/{run.pk}/",
    }


@jobs.register(CLEARING_RUN)
def _clearing_run(ctx: JobContext) -> dict[str, Any]:
    run = services.run_matching(
        actor=ctx.owner,
        lateness_penalty=float(ctx.params.get("lateness_penalty", services.DEFAULT_LATENESS_PENALTY)),
        name=str(ctx.params.get("name", "")),
        coalition=ctx.params.get("coalition") or None,
    )
    return _run_result(run)


@jobs.register(CLEARING_SCENARIO)
def _clearing_scenario(ctx: JobContext) -> dict[str, Any]:
    run = services.run_scenario(
        actor=ctx.owner,
        scenario=dict(ctx.params["scenario"]),
        lateness_penalty=float(ctx.params.get("lateness_penalty", services.DEFAULT_LATENESS_PENALTY)),
    )
    return _run_result(run)


def _require_cell(actor: Any) -> None:
    # Refused at once, not as a failed job: the same rule the services apply when the job runs.
    if ClearingRun.write_q(actor, "change") is None:
        raise PermissionDenied(
            "Only the coordination cell runs the clearing house and accepts its proposals."
        )


def start_run(*, actor: Any, lateness_penalty: float, name: str = "", coalition: str | None = None) -> Job:
    """Queue a clearing run on current data (over a coalition's scope with `coalition`) as a
    background job of `actor`'s."""
    _require_cell(actor)
    if lateness_penalty < 0:
        raise InvalidInput("The lateness penalty cannot be negative.", field="lateness_penalty")
    return jobs.submit(
        kind=CLEARING_RUN,
        owner=actor,
        params={"lateness_penalty": lateness_penalty, "name": name, "coalition": coalition or ""},
    )


def start_scenario(*, actor: Any, scenario: dict[str, Any], lateness_penalty: float) -> Job:
    """Queue a what-if scenario as a background job of `actor`'s (checked in full when it runs)."""
    _require_cell(actor)
    if lateness_penalty < 0:
        raise InvalidInput("The lateness penalty cannot be negative.", field="lateness_penalty")
    return jobs.submit(
        kind=CLEARING_SCENARIO,
        owner=actor,
        params={"scenario": scenario, "lateness_penalty": lateness_penalty},
    )
