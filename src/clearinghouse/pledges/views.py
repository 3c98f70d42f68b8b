"""Pages of pledges: list with filters, detail with its lifecycle and the actions the viewer's role
allows (transitions, allocation, recording a delivery, confirming receipt), forms with inline
validation. Reads go through selectors, writes through services (see requirements/views.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.core import clock, lists
from clearinghouse.core.actors import Actor
from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import DomainError, NotFound
from clearinghouse.core.etag import etag_for
from clearinghouse.core.humanize import noun
from clearinghouse.core.pages import (
    ACCESS_ERRORS,
    Confirmation,
    act,
    back_to,
    confirmed_act,
    page_of,
    validation_response,
)
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.participants.permissions import (
    is_admin,
    is_coordination_cell,
    is_donor_officer_of,
    is_recipient_officer_of,
)
from clearinghouse.pledges import policies, selectors, services
from clearinghouse.pledges.choices import ALLOCATABLE, TRANSITIONS, PledgeKind, PledgeStatus
from clearinghouse.pledges.forms import PledgeForm
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.offers import offer_prefill
from clearinghouse.pledges.timeline import timeline
from clearinghouse.requirements import selectors as requirement_selectors
from clearinghouse.requirements.choices import RequirementStatus
from clearinghouse.requirements.models import status_q


def coverage(allocated: int, delivered: int, total: int | None) -> tuple[str, str]:
    """Widths of a coverage bar (allocated, delivered) as CSS percentages."""
    if not total:
        return "0", "0"
    return (f"{min(100.0, 100 * allocated / total):.1f}", f"{min(100.0, 100 * delivered / total):.1f}")


STATUS_BADGE: dict[str, str] = {
    PledgeStatus.OFFERED: "",
    PledgeStatus.ACCEPTED: "medium",
    PledgeStatus.COMMITTED: "high",
    PledgeStatus.IN_DELIVERY: "warn",
    PledgeStatus.DELIVERED: "ok",
    PledgeStatus.WITHDRAWN: "bad",
    PledgeStatus.DECLINED: "bad",
}
# The button that requests each move.
MOVE_LABEL: dict[str, str] = {
    PledgeStatus.ACCEPTED: "Accept",
    PledgeStatus.DECLINED: "Decline…",
    PledgeStatus.COMMITTED: "Commit",
    PledgeStatus.IN_DELIVERY: "Start delivery",
    PledgeStatus.DELIVERED: "Mark delivered",
    PledgeStatus.WITHDRAWN: "Withdraw…",
}


def _may_move(user: Actor, pledge: Pledge, to: str) -> bool:
    """Which buttons to show: the moves the service allows this user (pledges/policies.py)."""
    return policies.may_move(user, pledge, to) and not policies.moved_by_deliveries(pledge, to)


@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    """Pledges you may see, newest first, filterable by donor, status and kind; exports."""
    get = request.GET
    status, kind = get.get("status") or "", get.get("kind") or ""
    chosen = {
        "donor": (get.get("donor") or "").upper(),
        "status": status if status in PledgeStatus.values else "",
        "kind": kind if kind in PledgeKind.values else "",
        "q": (get.get("q") or "").strip(),
    }
    qs = selectors.pledge_list(
        user=request.user,
        donor=chosen["donor"] or None,
        status=chosen["status"] or None,
        kind=chosen["kind"] or None,
        q=chosen["q"] or None,
    )
    sort = lists.sort_of(request, PLEDGE_SORTS, ("-id",))
    page = page_of(request, qs.order_by(*sort.ordering))
    rows = [
        {
            "p": p,
            "badge": STATUS_BADGE.get(p.status, ""),
            "bar": coverage(p.allocated_quantity, p.delivered_quantity, p.quantity),
            "may_accept": p.status == PledgeStatus.OFFERED
            and policies.may_move(request.user, p, PledgeStatus.ACCEPTED),
        }
        for p in page.object_list
    ]
    donors = participant_selectors.participant_list(user=request.user).exclude(kind__in=("recipient",))
    return render(
        request,
        "pledges/pledge_list.html",
        {
            "page": page,
            "rows": rows,
            "chosen": chosen,
            "donors": donors,
            "statuses": PledgeStatus.choices,
            "kinds": PledgeKind.choices,
            "may_enter": policies.may_enter(request.user),
            "sort": sort,
            "totals": selectors.totals(qs),
            "chips": lists.chips(
                request,
                {"donor": "Donor", "status": "Status", "kind": "Kind", "q": "Search"},
                {"status": dict(PledgeStatus.choices), "kind": dict(PledgeKind.choices)},
            ),
            "list_name": "pledge-list",
            "saved_views": participant_selectors.saved_views(user=request.user, list_name="pledge-list"),
            "may_bulk_accept": any(r["may_accept"] for r in rows),
        },
    )


# The columns a pledge list sorts by (`?sort=value_eur`, `?sort=-available_from`).
PLEDGE_SORTS = {
    "id": "id",
    "external_ref": "external_ref",
    "donor": "owner__code",
    "kind": "kind",
    "value_eur": "value_eur",
    "available_from": "available_from",
    "status": "status",
}


def _requirements_for(user: Actor, pledge: Pledge) -> list[Any]:
    """Requirements that accept the pledge's item type and still have units open."""
    if pledge.item_type is None:
        return []
    return list(
        requirement_selectors.requirement_list(user=user, item_type=pledge.item_type.code).filter(
            status_q(RequirementStatus.OPEN) | status_q(RequirementStatus.PARTLY_COVERED)
        )[:200]
    )


@login_required
def pledge_detail(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """One pledge: value, allocations, deliveries, lifecycle, and the actions your role allows."""
    return _detail_page(request, pledge_id)


def _detail_page(
    request: HttpRequest, pledge_id: int, *, delivery_form: dict[str, Any] | None = None
) -> HttpResponse:
    """The detail page; `delivery_form` re-shows a refused delivery with what the user typed and the
    error beside its field."""
    user = request.user
    pledge = selectors.get_pledge(user=user, pledge_id=pledge_id)
    allocations = list(selectors.allocation_list(user=user, pledge=pledge.pk).select_related("requirement"))
    deliveries = list(
        selectors.delivery_list(user=user, pledge=pledge.pk).select_related("allocation__requirement")
    )
    is_donor = is_donor_officer_of(user, pledge.owner_id)
    in_kind = pledge.kind == PledgeKind.IN_KIND
    may_allocate = (
        is_coordination_cell(user)
        and in_kind
        and pledge.status in ALLOCATABLE
        and pledge.unallocated_quantity > 0
    )
    may_deliver = (is_donor or is_coordination_cell(user)) and pledge.status in ALLOCATABLE
    events, omitted = timeline(
        [("pledges.pledge", pledge.pk)]
        + [("pledges.allocation", a.pk) for a in allocations]
        + [("pledges.delivery", d.pk) for d in deliveries]
    )
    return render(
        request,
        "pledges/pledge_detail.html",
        {
            "pledge": pledge,
            "badge": STATUS_BADGE.get(pledge.status, ""),
            "in_kind": in_kind,
            "bar": coverage(pledge.allocated_quantity, pledge.delivered_quantity, pledge.quantity),
            "tranches": sorted(pledge.tranches.all(), key=lambda t: t.year),
            "allocations": allocations,
            "deliveries": [
                (d, not d.confirmed and is_recipient_officer_of(user, d.allocation.requirement.owner_id))
                for d in deliveries
            ],
            "timeline": events,
            "timeline_omitted": omitted,
            "moves": [
                (to, MOVE_LABEL.get(to, to))
                for to in sorted(TRANSITIONS[pledge.status])
                if _may_move(user, pledge, to)
            ],
            "may_edit": is_donor,
            "may_manage": is_coordination_cell(user),
            "may_allocate": may_allocate,
            "requirements": _requirements_for(user, pledge) if may_allocate else [],
            "deliverable": [a for a in allocations if a.quantity > a.delivered_quantity]
            if may_deliver
            else [],
            "today": clock.today().isoformat(),
            "delivery_form": delivery_form or {"values": {}, "errors": {}},
            "offered_against": requirement_selectors.requirement_list(user=user)
            .filter(pk=pledge.offered_against_id)
            .first()
            if pledge.offered_against_id
            else None,
            "crumbs": [
                ("Pledges", reverse("pledge-list")),
                (pledge.owner.name, reverse("participant-detail", args=[pledge.owner.code])),
                (f"Pledge #{pledge.pk}", None),
            ],
        },
    )


def _form_page(
    request: HttpRequest,
    *,
    form: PledgeForm,
    save: Any,
    title: str,
    validate_url: str,
    cancel_url: str,
    offer_for: Any = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            pledge = save()
        except NotFound:
            raise  # the 404 page (core.middleware)
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Pledge P{pledge.pk} saved.")
            return redirect("pledge-detail", pledge_id=pledge.pk)
    return render(
        request,
        "pledges/pledge_form.html",
        {
            "form": form,
            "title": title,
            "validate_url": validate_url,
            "cancel_url": cancel_url,
            "offer_for": offer_for,
        },
    )


def _new_form(
    request: HttpRequest, data: Any, validate_url: str | None, prefill: dict[str, Any] | None = None
) -> PledgeForm:
    return PledgeForm(
        data,
        user=request.user,
        choose_donor=is_admin(request.user),
        validate_url=validate_url,
        initial={
            "releasability": Releasability.COORDINATION,
            "available_from": clock.today().isoformat(),
            **(prefill or {}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pledge_create(request: HttpRequest) -> HttpResponse:
    """Offer a pledge for your own participant (donor officers); `?offered_against=<requirement id>`
    prefills it against that requirement (an item type it accepts, the shortfall as quantity)."""
    if not policies.may_enter(request.user):
        raise DjangoPermissionDenied("Only donor officers enter pledges.")
    validate_url = reverse("pledge-validate")
    against = request.POST.get("offered_against") or request.GET.get("offered_against") or ""
    requirement, prefill = offer_prefill(request.user, against)
    form = _new_form(request, request.POST or None, validate_url, prefill)
    return _form_page(
        request,
        form=form,
        save=lambda: services.create_pledge(actor=request.user, data=form.for_service()),
        title=f"Offer against requirement #{requirement.pk}" if requirement else "New pledge",
        validate_url=validate_url,
        cancel_url=reverse("requirement-detail", args=[requirement.pk])
        if requirement
        else reverse("pledge-list"),
        offer_for=requirement,
    )


@login_required
@require_POST
def pledge_validate(request: HttpRequest) -> HttpResponse:
    """Inline validation of the new-pledge form (HTMX): a dry run of the create."""
    if not policies.may_enter(request.user):
        raise DjangoPermissionDenied
    form = _new_form(request, request.POST, None)
    return validation_response(
        request, form, lambda: services.create_pledge(actor=request.user, data=form.for_service())
    )


def _editable(request: HttpRequest, pledge_id: int) -> Pledge:
    pledge = selectors.get_pledge(user=request.user, pledge_id=pledge_id)
    if not is_donor_officer_of(request.user, pledge.owner_id):
        raise DjangoPermissionDenied("Only the donor's own officers change a pledge.")
    return pledge


def _edit_form(request: HttpRequest, pledge: Pledge, data: Any, validate_url: str | None) -> PledgeForm:
    return PledgeForm(
        data,
        user=request.user,
        choose_donor=False,
        editing=True,
        validate_url=validate_url,
        initial={**PledgeForm.initial_from(pledge), "etag": etag_for(pledge)},
    )


def _update(request: HttpRequest, pledge: Pledge, form: PledgeForm) -> Pledge:
    return services.update_pledge(
        actor=request.user,
        pledge_id=pledge.pk,
        changes=form.changes(),
        if_match=form.cleaned_data.get("etag") or None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pledge_edit(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """Change your own pledge; it is valued again. A concurrent change is refused."""
    pledge = _editable(request, pledge_id)
    validate_url = reverse("pledge-edit-validate", args=[pledge.pk])
    form = _edit_form(request, pledge, request.POST or None, validate_url)
    return _form_page(
        request,
        form=form,
        save=lambda: _update(request, pledge, form),
        title=f"Edit pledge P{pledge.pk}",
        validate_url=validate_url,
        cancel_url=reverse("pledge-detail", args=[pledge.pk]),
    )


@login_required
@require_POST
def pledge_edit_validate(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """Inline validation of the edit form (HTMX): a dry run of the update."""
    pledge = _editable(request, pledge_id)
    form = _edit_form(request, pledge, request.POST, None)
    return validation_response(request, form, lambda: _update(request, pledge, form))


def _detail_url(pledge_id: int) -> str:
    return reverse("pledge-detail", args=[pledge_id])


# Moves that cannot be undone: a confirmation step with a required reason.
CONFIRMED_MOVES: dict[str, str] = {
    PledgeStatus.DECLINED: "Decline",
    PledgeStatus.WITHDRAWN: "Withdraw",
}


def _move_consequences(pledge: Pledge, to: str, allocations: list[Any]) -> list[str]:
    lines = [
        f"A {PledgeStatus(to).label.lower()} pledge cannot be moved again; only its notes and markings "
        "stay editable."
    ]
    if to == PledgeStatus.WITHDRAWN:
        pending = [a for a in allocations if a.quantity > a.delivered_quantity]
        if pending:
            units = sum(a.quantity - a.delivered_quantity for a in pending)
            targets = ", ".join(f"R{a.requirement_id}" for a in pending)
            lines.append(
                f"{units} allocated {noun(units, 'unit')} not yet delivered "
                f"{'is' if units == 1 else 'are'} released from "
                f"{'requirement' if len(pending) == 1 else 'requirements'} {targets}."
            )
    if to == PledgeStatus.DECLINED:
        lines.append("The donor is told the offer was declined, with this reason.")
    return lines


@login_required
@require_POST
def pledge_transition(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """Move a pledge along its lifecycle (who may request which move: see the service). Declining and
    withdrawing go through a confirmation step with a required reason."""
    to = request.POST.get("to") or ""
    label = PledgeStatus(to).label.lower() if to in PledgeStatus.values else to
    pledge = selectors.get_pledge(user=request.user, pledge_id=pledge_id)
    # An irreversible move asks first; one that is not possible from here goes straight to the
    # service, which says why.
    if to in CONFIRMED_MOVES and to in TRANSITIONS[pledge.status]:
        if not _may_move(request.user, pledge, to):
            raise DjangoPermissionDenied(f"You may not move a pledge to {to}.")
        allocations = list(selectors.allocation_list(user=request.user, pledge=pledge.pk))
        what = f"{pledge.quantity} × {pledge.item_type.code}" if pledge.item_type else pledge.purpose
        confirmation = Confirmation(
            title=f"{CONFIRMED_MOVES[to]} pledge P{pledge.pk}",
            question=f"{CONFIRMED_MOVES[to]} pledge P{pledge.pk} of {pledge.owner.code}"
            + (f" ({what})" if what else "")
            + f", now {pledge.get_status_display().lower()}?",
            consequences=_move_consequences(pledge, to, allocations),
            action=reverse("pledge-transition", args=[pledge.pk]),
            cancel_url=_detail_url(pledge.pk),
            hidden=[("to", to)],
            button=f"{CONFIRMED_MOVES[to]} the pledge",
            reason_required=True,
        )
        return confirmed_act(
            request,
            confirmation,
            lambda reason: services.transition_pledge(
                actor=request.user, pledge_id=pledge.pk, to=to, reason=reason
            ),
            done=f"Pledge P{pledge_id} is now {label}.",
        )
    return act(
        request,
        lambda: services.transition_pledge(
            actor=request.user, pledge_id=pledge_id, to=to, reason=request.POST.get("reason", "")
        ),
        done=f"Pledge P{pledge_id} is now {label}.",
        default=_detail_url(pledge_id),
    )


def _cell_allocation(request: HttpRequest, allocation_id: int) -> Any:
    if not is_coordination_cell(request.user):
        raise DjangoPermissionDenied("Only the coordination cell changes and releases allocations.")
    return selectors.get_allocation(user=request.user, allocation_id=allocation_id)


def _allocation_label(a: Any) -> str:
    return (
        f"allocation A{a.pk} (pledge P{a.pledge_id} of {a.pledge.owner.code} → "
        f"requirement R{a.requirement_id})"
    )


@login_required
@require_POST
def allocation_release(request: HttpRequest, allocation_id: int) -> HttpResponse:
    """Give back an allocation's undelivered units (the cell), after a confirmation (reason optional)."""
    a = _cell_allocation(request, allocation_id)
    back = back_to(request, _detail_url(a.pledge_id))
    freed = a.quantity - a.delivered_quantity
    consequences = [
        f"They become free on pledge P{a.pledge_id} and open again on requirement R{a.requirement_id}.",
        f"The {a.delivered_quantity} delivered {noun(a.delivered_quantity, 'unit')} stay allocated."
        if a.delivered_quantity
        else "Nothing was delivered: the allocation is removed.",
    ]
    confirmation = Confirmation(
        title=f"Release allocation A{a.pk}",
        question=f"Release the {freed} undelivered {noun(freed, 'unit')} of {_allocation_label(a)}?",
        consequences=consequences,
        action=reverse("allocation-release", args=[a.pk]),
        cancel_url=back,
        hidden=[("next", back)],
        button="Release",
        reason_required=False,
    )
    return confirmed_act(
        request,
        confirmation,
        lambda reason: services.release_allocation(actor=request.user, allocation_id=a.pk, reason=reason),
        done=f"Allocation A{a.pk} released.",
    )


@login_required
@require_POST
def allocation_change(request: HttpRequest, allocation_id: int) -> HttpResponse:
    """Change an allocation's quantity (the cell), after a confirmation (reason optional)."""
    a = _cell_allocation(request, allocation_id)
    back = back_to(request, _detail_url(a.pledge_id))
    confirmation = Confirmation(
        title=f"Change allocation A{a.pk}",
        question=f"Change {_allocation_label(a)} from {a.quantity} {noun(a.quantity, 'unit')}?",
        consequences=[
            f"It cannot go below the {a.delivered_quantity} delivered {noun(a.delivered_quantity, 'unit')}.",
            "More units must still be free on the pledge and open on the requirement.",
        ],
        action=reverse("allocation-change", args=[a.pk]),
        cancel_url=back,
        hidden=[("next", back)],
        fields=[
            {
                "name": "quantity",
                "label": "New quantity",
                "type": "number",
                "min": max(1, a.delivered_quantity),
                "max": None,
                "value": a.quantity,
            }
        ],
        button="Change the allocation",
        button_class="",
        reason_required=False,
    )
    return confirmed_act(
        request,
        confirmation,
        lambda reason: services.update_allocation(
            actor=request.user,
            allocation_id=a.pk,
            changes={"quantity": request.POST.get("quantity")},
            reason=reason,
        ),
        done=lambda changed: (
            f"Allocation A{a.pk} now has {changed.quantity} {noun(changed.quantity, 'unit')}."
        ),
    )


@login_required
@require_POST
def pledge_allocate(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """Allocate units of this pledge to a requirement (the coordination cell)."""
    if not is_coordination_cell(request.user):
        raise DjangoPermissionDenied("Only the coordination cell allocates pledges to requirements.")
    requirement = request.POST.get("requirement") or ""
    if not requirement.isdigit():
        messages.error(request, "Choose a requirement to allocate to.")
        return redirect(_detail_url(pledge_id))
    return act(
        request,
        lambda: services.allocate(
            actor=request.user,
            pledge_id=pledge_id,
            requirement_id=int(requirement),
            quantity=request.POST.get("quantity"),
            notes=request.POST.get("notes", ""),
        ),
        done=f"Pledge P{pledge_id} allocated to requirement R{requirement}.",
        default=_detail_url(pledge_id),
    )


@login_required
@require_POST
def delivery_record(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """Record a (partial) delivery against one of the pledge's allocations (its donor, or the cell)."""
    allocation_id = request.POST.get("allocation") or ""
    allocation = (
        selectors.allocation_list(user=request.user, pledge=pledge_id).filter(pk=int(allocation_id)).first()
        if allocation_id.isdigit()
        else None
    )
    if allocation is None:
        raise Http404("Allocation not found.")
    try:
        services.record_delivery(
            actor=request.user,
            allocation_id=allocation.pk,
            quantity=request.POST.get("quantity"),
            delivered_on=request.POST.get("delivered_on"),
            notes=request.POST.get("notes", ""),
        )
    except ACCESS_ERRORS:
        raise
    except DomainError as exc:
        # Re-show the form as it was typed, with the reason beside the field it concerns.
        values = {k: request.POST.get(k, "") for k in ("allocation", "quantity", "delivered_on", "notes")}
        field = exc.field if exc.field in ("quantity", "delivered_on", "notes") else "form"
        return _detail_page(
            request, pledge_id, delivery_form={"values": values, "errors": {field: exc.message}}
        )
    messages.success(request, f"Delivery recorded against allocation A{allocation.pk}.")
    return redirect(_detail_url(pledge_id))


@login_required
@require_POST
def delivery_confirm(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """Confirm receipt of a delivery (the recipient's officers)."""
    delivery = selectors.get_delivery(user=request.user, delivery_id=delivery_id)
    return act(
        request,
        lambda: services.confirm_delivery(actor=request.user, delivery_id=delivery_id),
        done=f"Receipt of delivery D{delivery_id} confirmed.",
        default=_detail_url(delivery.allocation.pledge_id),
    )
