"""Pages of governance: bodies, a body, decisions, a decision (record a position, close), meetings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.core import cleaning
from clearinghouse.core.errors import DomainError
from clearinghouse.core.pages import act, page_of
from clearinghouse.governance import policies, selectors, services, subjects
from clearinghouse.governance.choices import DecisionStatus, Position
from clearinghouse.governance.forms import MeetingForm
from clearinghouse.governance.schemas import body_dict
from clearinghouse.participants.models import CoordinationMandate


@login_required
def governance_home(request: HttpRequest) -> HttpResponse:
    """The bodies with today's members and leads, the mandates and who holds them, open decisions."""
    bodies = [(b, body_dict(b)) for b in selectors.body_list(user=request.user)]
    mandates = CoordinationMandate.objects.restrict(request.user, "view").select_related("participant")
    return render(
        request,
        "governance/home.html",
        {
            "bodies": bodies,
            "mandates": mandates.order_by("function", "start", "co_chair"),
            "open_decisions": selectors.decision_list(user=request.user, status=DecisionStatus.OPEN)[:20],
            "handovers": [
                (h, policies.may_accept_handover(request.user, h.to_participant_id))
                for h in selectors.handover_list(user=request.user)
            ],
            "may_propose_handover": policies.may_manage(request.user),
            "body_codes": [b.code for b, _ in bodies if b.kind in ("council", "contact_group")],
        },
    )


@login_required
def body_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One body: its memberships with dates and sources (history included), meetings, decisions."""
    body = selectors.get_body(user=request.user, code=code)
    return render(
        request,
        "governance/body_detail.html",
        {
            "body": body,
            "summary": body_dict(body),
            "memberships": body.memberships.select_related("participant").order_by(
                "role", "participant__code"
            ),
            "meetings": selectors.meeting_list(user=request.user, body=body.code)[:20],
            "decisions": selectors.decision_list(user=request.user, body=body.code)[:50],
        },
    )


@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    """Decisions, latest first; filter by body and status."""
    body = request.GET.get("body") or None
    status = request.GET.get("status") or None
    decisions = selectors.decision_list(user=request.user, body=body, status=status)
    return render(
        request,
        "governance/decision_list.html",
        {
            "page": page_of(request, decisions),
            "body": body or "",
            "status": status or "",
            "statuses": DecisionStatus.choices,
            "bodies": selectors.body_list(user=request.user),
        },
    )


@login_required
def decision_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    """A decision: its positions, who recorded them, who is exempt, members still silent; the forms."""
    decision = selectors.get_decision(user=request.user, decision_id=decision_id)
    positions = list(decision.positions.select_related("participant", "recorded_by"))
    members = list(decision.body.members_on().order_by("participant__code"))
    stated = {p.participant_id for p in positions}
    recordable = [
        m.participant for m in members if policies.may_record_position(request.user, m.participant_id)
    ]
    return render(
        request,
        "governance/decision_detail.html",
        {
            "decision": decision,
            "positions": positions,
            "missing": [m.participant for m in members if m.participant_id not in stated],
            "exempt": services.exempted(decision),
            "is_open": decision.status == DecisionStatus.OPEN,
            "recordable": recordable,
            "stances": Position.choices,
            "may_close": policies.may_manage(request.user),
            # A `requirements` decision: the requirements it endorses, as this reader may see them.
            "requirements": subjects.requirements().describe(request.user, decision)
            if decision.requirements
            else [],
            "hidden_requirements": len(decision.requirements),
        },
    )


@login_required
@require_POST
def decision_position(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Record a member's position from the decision page."""
    selectors.get_decision(user=request.user, decision_id=decision_id)
    return act(
        request,
        lambda: services.record_position(
            actor=request.user,
            decision_id=decision_id,
            participant=request.POST.get("participant", ""),
            position=request.POST.get("position", ""),
            note=request.POST.get("note", ""),
        ),
        done="Position recorded.",
        default=reverse("decision-detail", args=[decision_id]),
    )


@login_required
@require_POST
def decision_close(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Close the decision under its procedure."""
    selectors.get_decision(user=request.user, decision_id=decision_id)
    return act(
        request,
        lambda: services.close_decision(actor=request.user, decision_id=decision_id),
        done="Decision closed.",
        default=reverse("decision-detail", args=[decision_id]),
    )


@login_required
@require_http_methods(["GET"])
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings of every body, latest first."""
    body = request.GET.get("body") or None
    return render(
        request,
        "governance/meeting_list.html",
        {
            "page": page_of(request, selectors.meeting_list(user=request.user, body=body)),
            "body": body or "",
            "may_record": policies.may_manage(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    """Record a meeting of a body (the secretariat): date, title, format, place, agenda, chairs,
    attendance and minutes."""
    if not policies.may_manage(request.user):
        raise DjangoPermissionDenied
    form = MeetingForm(request.POST or None, initial={"body": "udcg"})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.create_meeting(actor=request.user, data=form.service_data())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Meeting recorded: {meeting.title}.")
            return redirect(reverse("meeting-detail", args=[meeting.pk]))
    return render(request, "governance/meeting_form.html", {"form": form})


@login_required
@require_POST
def handover_propose(request: HttpRequest) -> HttpResponse:
    """Open a body's decision to hand the coordination of deliveries to another participant (the
    secretariat); the decision then takes positions and closes like any other."""
    if not policies.may_manage(request.user):
        raise DjangoPermissionDenied

    def call() -> None:
        handover = services.propose_handover(
            actor=request.user,
            body=request.POST.get("body", ""),
            to=request.POST.get("to", ""),
            effective=cleaning.date(request.POST.get("effective"), "effective"),
            title=request.POST.get("title", ""),
        )
        messages.info(request, f"Handover proposed as decision {handover.decision_id}.")

    return act(request, call, done="Handover proposed.", default=reverse("governance-home"))


@login_required
@require_POST
def handover_accept(request: HttpRequest, handover_id: int) -> HttpResponse:
    """The incoming participant's coordinator accepts an adopted handover: the mandates change."""
    return act(
        request,
        lambda: services.accept_handover(actor=request.user, handover_id=handover_id),
        done="Handover accepted: the delivery coordination changes from its date.",
        default=reverse("governance-home"),
    )
