"""Pages of the clearing house: runs, a run's proposals and explanations, scenarios, shortfalls."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.catalog.models import CapabilityArea
from clearinghouse.clearing import jobs, review, selectors, services
from clearinghouse.clearing.forms import RunForm, ScenarioForm
from clearinghouse.clearing.models import ClearingRun
from clearinghouse.core import jobs as core_jobs
from clearinghouse.core.errors import DomainError, NotFound
from clearinghouse.core.humanize import count_of, noun
from clearinghouse.core.pages import Confirmation, confirmed_act, page_of
from clearinghouse.core.releasability import sees_everything


def _cell_reader(request: HttpRequest) -> None:
    if ClearingRun.view_q(request.user) is None:
        raise DjangoPermissionDenied


def _cell_writer(request: HttpRequest) -> None:
    if ClearingRun.write_q(request.user, "change") is None:
        raise DjangoPermissionDenied


def _job(request: HttpRequest) -> Any:
    """The background job named by `?job=` (its progress card on the page that started it), or None;
    a job the user may not see is the 404 page."""
    job_id = request.GET.get("job", "")
    return core_jobs.get_job(user=request.user, job_id=int(job_id)) if job_id.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def clearing_home(request: HttpRequest) -> HttpResponse:
    """Runs so far, and a form to run the matching on current data."""
    _cell_reader(request)
    form = RunForm(request.POST or None)
    if request.method == "POST":
        _cell_writer(request)
        if form.is_valid() and form.cleaned_data["background"]:
            try:
                job = jobs.start_run(
                    actor=request.user,
                    lateness_penalty=float(form.cleaned_data["lateness_penalty"]),
                    name=form.cleaned_data["name"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(f"{reverse('clearing-home')}?job={job.pk}")
        elif form.is_valid():
            try:
                run = services.run_matching(
                    actor=request.user,
                    lateness_penalty=float(form.cleaned_data["lateness_penalty"]),
                    name=form.cleaned_data["name"],
                    coalition=request.POST.get("coalition") or None,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("clearing-run", run_id=run.pk)
    runs = selectors.run_list(user=request.user)[:50]
    return render(request, "clearing/home.html", {"runs": runs, "form": form, "job": _job(request)})


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """Review a run: its proposals by capability area and priority (to accept), its impact on coverage,
    a warning when the data changed since it ran, what stays short and why in words, or a scenario
    side by side with its baseline."""
    _cell_reader(request)
    run = selectors.get_run(user=request.user, run_id=run_id, page=True)
    shortfalls = run.explanations.get("shortfalls", []) if isinstance(run.explanations, dict) else []
    elements = run.parameters.get("elements", {})
    # A consumption requirement's months (R12@2027-03) link to their requirement.
    known = elements.get("requirements", {})
    shortfalls = [
        {
            **s,
            "requirement_pk": known.get(s["requirement"], {}).get("pk", str(s["requirement"])[1:]),
            "reason_text": review.reason_text(str(s.get("reason", ""))),
        }
        for s in shortfalls
    ]
    # A run at 50,000 pledges proposes some 20,000 allocations: a page of them at a time, grouped; the
    # impact on coverage counts every open proposal (three columns of each, no joins).
    page = page_of(request, selectors.proposal_list(user=request.user, run=run))
    proposals = list(page.object_list)
    every_proposal = (
        selectors.proposal_list(user=request.user, run=run)
        .select_related(None)
        .only("requirement_id", "provides", "state")
    )
    capability_names = dict(CapabilityArea.objects.values_list("code", "name"))
    context = {
        "run": run,
        "status_text": review.status_text(run.status),
        "timings_text": review.timings_text(run.timings or {}),
        "proposals": page,
        "groups": review.proposal_groups(proposals),
        "impact": review.coverage_impact(user=request.user, run=run, proposals=every_proposal)
        if run.kind == "baseline"
        else None,
        "changed": review.changes_since(run),
        "scenario_text": review.scenario_sentences(run.scenario),
        "shortfalls": shortfalls,
        "requirements_meta": elements.get("requirements", {}),
        "comparison": review.label_comparison(selectors.comparison_view(run.comparison), capability_names),
        "can_accept": ClearingRun.write_q(request.user, "change") is not None and run.kind == "baseline",
        "history": selectors.run_history(run=run),
    }
    return render(request, "clearing/run_detail.html", context)


def _accepted_message(request: HttpRequest, outcome: services.AcceptOutcome) -> str:
    for p in outcome.refused:
        messages.error(request, f"Proposal {p.pk} refused: {p.reason}")
    n = len(outcome.accepted)
    return f"{count_of(n, 'proposal')} accepted as {noun(n, 'allocation')}."


@login_required
@require_POST
def run_accept(request: HttpRequest, run_id: int) -> HttpResponse:
    """Accept the ticked proposals as allocations, or all of them after a confirmation step."""
    _cell_writer(request)
    if request.POST.get("all"):
        run = selectors.get_run(user=request.user, run_id=run_id)
        pending = selectors.proposal_list(user=request.user, run=run).filter(state="proposed")
        n = pending.count()
        # Units of different item types are not added up: how many requirements they serve.
        served = len({p.requirement_id for p in pending})
        confirmation = Confirmation(
            title=f"Accept all proposals of run {run.pk}",
            question=f"Accept all {count_of(n, 'proposed allocation')} of “{run.name}” "
            f"(for {count_of(served, 'requirement')})?",
            consequences=[
                "Each becomes an allocation, re-checked against today's data; an offered pledge is accepted "
                "first. A proposal whose pledge or requirement changed since the run is refused with the "
                "reason.",
                "Allocations can later be changed or released one by one, not undone as a batch.",
            ],
            action=reverse("clearing-run-accept", args=[run.pk]),
            cancel_url=reverse("clearing-run", args=[run.pk]),
            hidden=[("all", "1")],
            button="Accept all",
            button_class="",
            reason_required=False,
        )
        return confirmed_act(
            request,
            confirmation,
            lambda reason: services.accept_proposals(actor=request.user, run_id=run.pk, reason=reason),
            done=lambda outcome: _accepted_message(request, outcome),
        )
    ids = [int(i) for i in request.POST.getlist("proposal") if i.isdigit()]
    try:
        outcome = services.accept_proposals(
            actor=request.user, run_id=run_id, proposal_ids=ids, reason=request.POST.get("reason", "")
        )
    except NotFound:
        raise  # the 404 page (core.middleware)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _accepted_message(request, outcome))
    return redirect("clearing-run", run_id=run_id)


@login_required
@require_http_methods(["GET", "POST"])
def scenario(request: HttpRequest) -> HttpResponse:
    """Build and run a what-if scenario, compared with the current baseline."""
    _cell_reader(request)
    form = ScenarioForm(request.POST or None)
    if request.method == "POST":
        _cell_writer(request)
        if form.is_valid() and form.cleaned_data["background"]:
            try:
                job = jobs.start_scenario(
                    actor=request.user,
                    scenario=form.scenario(),
                    lateness_penalty=float(form.cleaned_data["lateness_penalty"]),
                )
            except DomainError as exc:
                form.add_service_error(exc.field, exc.message)
            else:
                return redirect(f"{reverse('clearing-scenario')}?job={job.pk}")
        elif form.is_valid():
            try:
                run = services.run_scenario(
                    actor=request.user,
                    scenario=form.scenario(),
                    lateness_penalty=float(form.cleaned_data["lateness_penalty"]),
                )
            except DomainError as exc:
                form.add_service_error(exc.field, exc.message)
            else:
                return redirect("clearing-run", run_id=run.pk)
    scenarios = selectors.run_list(user=request.user, kind="scenario")[:20]
    context = {"form": form, "scenarios": scenarios, "job": _job(request)}
    return render(request, "clearing/scenario.html", context)


@login_required
def shortfalls(request: HttpRequest) -> HttpResponse:
    """Required against allocated against delivered, by capability area and month, in EUR; each
    requirement in its own units; and, for those who see every allocation, the trend by month-end."""
    data = selectors.shortfalls(user=request.user)
    trend = selectors.coverage_trend(user=request.user) if sees_everything(request.user) else None
    return render(request, "clearing/shortfalls.html", {"data": data, "trend": trend})


@login_required
def coalition_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A capability coalition at work: roadmap, requirements in its areas, its members' pledges, and
    (for the coordination cell) a clearing run over its scope."""
    view = selectors.coalition_view(user=request.user, code=code)
    may_run = ClearingRun.write_q(request.user, "change") is not None
    return render(
        request,
        "clearing/coalition.html",
        {**view, "may_run": may_run and bool(view["roadmap"]), "form": RunForm()},
    )
