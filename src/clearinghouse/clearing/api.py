"""API of the clearing house: runs, scenarios, acceptance, shortfalls."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from clearinghouse.clearing import jobs, selectors, services
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.clearing.schemas import (
    AcceptIn,
    AcceptOut,
    ProposalOut,
    RoadmapTargetIn,
    RunIn,
    RunOut,
    RunSummaryOut,
    ScenarioIn,
)
from clearinghouse.core import jobs as core_jobs
from clearinghouse.core.errors import PermissionDenied
from clearinghouse.core.pagination import LimitOffsetPagination
from clearinghouse.core.schemas import ErrorOut, JobOut
from clearinghouse.core.validation import Id

router = Router(tags=["clearing"])


def _cell_only(request: HttpRequest) -> None:
    if ClearingRun.view_q(request.user) is None:
        raise PermissionDenied("Only the coordination cell, auditors and admins see clearing runs.")


@router.get("/runs", response={200: list[RunSummaryOut], 403: ErrorOut})
@paginate(LimitOffsetPagination)
def list_runs(request: HttpRequest, kind: str | None = None) -> Any:
    """Clearing runs, newest first."""
    _cell_only(request)
    return selectors.run_list(user=request.user, kind=kind)


# `?async=true`: run as a background job (202 with the job).
ASYNC: Any = Query(  # type: ignore[type-arg]  # ninja types Query(default) loosely
    False,
    alias="async",
    description="Run as a background job: 202 with the job (follow it at GET /api/v1/jobs/{id}).",
)


@router.post("/runs", response={201: RunOut, 202: JobOut, 403: ErrorOut, 422: ErrorOut})
def create_run(
    request: HttpRequest,
    payload: RunIn,
    run_async: bool = ASYNC,
) -> Any:
    """Solve the matching of current pledges to current requirements (coordination cell); with
    `?async=true` as a background job (202 with the job)."""
    if run_async:
        job = jobs.start_run(
            actor=request.user,
            lateness_penalty=payload.lateness_penalty,
            name=payload.name,
            coalition=payload.coalition,
        )
        return Status(202, core_jobs.as_json(job))
    run = services.run_matching(
        actor=request.user,
        lateness_penalty=payload.lateness_penalty,
        name=payload.name,
        coalition=payload.coalition,
    )
    return Status(201, run)


def _coalition_dict(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": view["body"].code,
        "name": view["body"].name,
        "members": view["members"],
        "leads": view["leads"],
        "roadmap": [
            {"capability": t.capability.code, "year": t.year, "quantity": t.quantity, "source": t.source}
            for t in view["roadmap"]
        ],
        "requirements": [
            {"id": r.pk, "capability": r.capability.code, "quantity": r.quantity}
            for r in view["requirements"]
        ],
        "pledges": [
            {
                "id": p.pk,
                "donor": p.owner.code,
                "item_type": p.item_type.code if p.item_type else None,
                "quantity": p.quantity,
            }
            for p in view["pledges"]
        ],
    }


@router.get("/coalitions/{code}", response={200: dict[str, Any], 404: ErrorOut})
def get_coalition(request: HttpRequest, code: str) -> dict[str, Any]:
    """A capability coalition at work: roadmap, requirements in its capability areas, members' pledges."""
    return _coalition_dict(selectors.coalition_view(user=request.user, code=code))


@router.post(
    "/coalitions/{code}/roadmap", response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def set_roadmap_target(request: HttpRequest, code: str, payload: RoadmapTargetIn) -> dict[str, Any]:
    """Set the coalition's target for a capability area and year (secretariat or lead nations)."""
    services.set_roadmap_target(actor=request.user, coalition=code, **payload.dict())
    return _coalition_dict(selectors.coalition_view(user=request.user, code=code))


@router.get("/runs/{run_id}", response={200: RunOut, 403: ErrorOut, 404: ErrorOut})
def get_run(request: HttpRequest, run_id: Id) -> Any:
    """One run with its result, explanations and timing."""
    _cell_only(request)
    return selectors.get_run(user=request.user, run_id=run_id)


@router.get("/runs/{run_id}/proposals", response={200: list[ProposalOut], 403: ErrorOut, 404: ErrorOut})
@paginate(LimitOffsetPagination)
def list_proposals(request: HttpRequest, run_id: Id) -> Any:
    """The allocations a run proposes, best worth per unit first."""
    _cell_only(request)
    return selectors.proposal_list(user=request.user, run=selectors.get_run(user=request.user, run_id=run_id))


@router.post("/runs/{run_id}/accept", response={200: AcceptOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def accept(request: HttpRequest, run_id: Id, payload: AcceptIn) -> Any:
    """Accept all or some proposals as allocations, each re-checked against current data."""
    outcome = services.accept_proposals(actor=request.user, run_id=run_id, proposal_ids=payload.proposals)
    return {"accepted": outcome.accepted, "refused": outcome.refused}


@router.post("/scenarios", response={201: RunOut, 202: JobOut, 403: ErrorOut, 422: ErrorOut})
def create_scenario(
    request: HttpRequest,
    payload: ScenarioIn,
    run_async: bool = ASYNC,
) -> Any:
    """Re-run with donors excluded, delayed or scaled, or hypothetical offers, compared with the
    baseline; with `?async=true` as a background job (202 with the job)."""
    body = payload.model_dump(mode="json")
    penalty = body.pop("lateness_penalty")
    if run_async:
        job = jobs.start_scenario(actor=request.user, scenario=body, lateness_penalty=penalty)
        return Status(202, core_jobs.as_json(job))
    run = services.run_scenario(actor=request.user, scenario=body, lateness_penalty=penalty)
    return Status(201, run)


@router.get("/shortfalls/trend", response={200: dict[str, Any], 403: ErrorOut, 422: ErrorOut})
def shortfall_trend(request: HttpRequest, months: int = 12) -> Any:
    """Coverage at each past month-end by capability area, in EUR (`*_eur` decimal strings), replayed
    from the audit history; for those who see every allocation (the coordination cell, auditors,
    admins)."""
    return selectors.trend_json(selectors.coverage_trend(user=request.user, months=months))


@router.get("/shortfalls", response=dict[str, Any])
def shortfalls(request: HttpRequest) -> Any:
    """Required, allocated, delivered and short by capability area and month (requirements you may
    see): in EUR at catalog reference prices (`*_eur` decimal strings), and per requirement in its own
    units (`rows[].items`)."""
    return selectors.shortfalls_json(selectors.shortfalls(user=request.user))
