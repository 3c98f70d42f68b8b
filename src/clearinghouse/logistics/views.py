"""Pages of logistics: shipments (what is where: in transit by capability and hub, overdue,
discrepancies), one shipment with its timeline and the forms for events, receipt, resolution and
end-use checks; sites; the carrier status upload."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clearinghouse.catalog.models import CapabilityArea
from clearinghouse.core.errors import DomainError
from clearinghouse.core.pages import ACCESS_ERRORS, act
from clearinghouse.core.tabular import ImportErrors
from clearinghouse.logistics import carrier, selectors, services
from clearinghouse.logistics.choices import ShipmentState, SiteKind
from clearinghouse.participants.permissions import (
    is_coordination_cell,
    is_donor_officer_of,
    is_recipient_officer_of,
)
from clearinghouse.pledges import selectors as pledge_selectors

SHIPMENT_FORM = (
    "allocation",
    "quantity",
    "from_site",
    "to_site",
    "carrier",
    "reference",
    "dispatched_on",
    "expected_on",
)
SITE_FORM = ("code", "name", "kind", "country", "latitude", "longitude", "releasability", "notes")


def _shippable(user: Any) -> list[Any]:
    """Allocations the user may ship: its own participant's (donor officers) or all it sees (the cell)."""
    qs = pledge_selectors.allocation_list(user=user).select_related("pledge", "requirement")
    if not is_coordination_cell(user):
        if getattr(user, "role", "") != "donor_officer":
            return []
        qs = qs.filter(pledge__owner_id=user.participant_id)
    return list(qs.order_by("-pk")[:200])


def _list_context(request: HttpRequest) -> dict[str, Any]:
    g = request.GET
    filters: dict[str, Any] = {
        "state": g.get("state") or "",
        "capability": g.get("capability") or "",
        "hub": g.get("hub") or "",
        "overdue": g.get("overdue") in ("1", "true", "on"),
        "discrepancy": g.get("discrepancy") in ("1", "true", "on"),
    }
    state = filters["state"] if filters["state"] in ShipmentState.values else None
    for key in ("capability", "hub"):  # a filter that names nothing matches nothing; never a 500
        if not filters[key].isprintable() or len(filters[key]) > 100:
            filters[key] = "-"
    visible = selectors.visible_site_ids(request.user)
    shipments = selectors.shipment_list(
        user=request.user,
        state=state,
        overdue=filters["overdue"],
        capability=filters["capability"] or None,
        hub=filters["hub"] or None,
        discrepancy=filters["discrepancy"],
    )[:500]
    return {
        "filters": filters,
        "rows": [selectors.shipment_dict(s, visible) for s in shipments],
        "states": ShipmentState.choices,
        "capabilities": CapabilityArea.objects.order_by("sort_order", "code"),
        "hubs": selectors.site_list(user=request.user, kind=SiteKind.HUB),
        "sites": selectors.site_list(user=request.user),
        "shippable": _shippable(request.user),
        "form": {"values": {}, "errors": {}},
        "import_errors": [],
    }


@login_required
def shipment_list(request: HttpRequest) -> HttpResponse:
    """Shipments the user may see, with filters, the new-shipment form and the carrier upload."""
    return render(request, "logistics/shipment_list.html", _list_context(request))


@login_required
@require_POST
def shipment_create(request: HttpRequest) -> HttpResponse:
    """Ship units of an allocation (the pledge's donor officers, the cell)."""
    data = {k: request.POST.get(k, "") for k in SHIPMENT_FORM}
    try:
        shipment = services.create_shipment(actor=request.user, data={k: v or None for k, v in data.items()})
    except ACCESS_ERRORS:
        raise
    except DomainError as exc:
        context = _list_context(request)
        field = exc.field if exc.field in SHIPMENT_FORM else "form"
        context["form"] = {"values": data, "errors": {field: exc.message}}
        return render(request, "logistics/shipment_list.html", context, status=422)
    messages.success(request, f"Shipment #{shipment.pk} planned.")
    return redirect(reverse("shipment-detail", args=[shipment.pk]))


@login_required
@require_POST
def carrier_import(request: HttpRequest) -> HttpResponse:
    """Apply a carrier's status file (CSV or XLSX), all rows or none."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a carrier status file (.csv or .xlsx).")
        return redirect(reverse("shipment-list"))
    suffix = Path(upload.name or "").suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            summary = carrier.import_carrier_file(actor=request.user, path=path, name=upload.name)
        except ImportErrors as exc:
            context = _list_context(request)
            context["import_errors"] = exc.lines
            return render(request, "logistics/shipment_list.html", context, status=exc.status)
        except DomainError as exc:
            context = _list_context(request)
            context["import_errors"] = [exc.message]
            return render(request, "logistics/shipment_list.html", context, status=exc.status)
    messages.success(request, f"{summary['file']}: {summary['events']} events recorded.")
    return redirect(reverse("shipment-list"))


def _detail_context(request: HttpRequest, shipment_id: int) -> dict[str, Any]:
    user = request.user
    shipment = selectors.get_shipment(user=user, shipment_id=shipment_id)
    visible = selectors.visible_site_ids(user)
    data = selectors.shipment_dict(shipment, visible, events=True)
    pledge = shipment.allocation.pledge
    may_ship = is_donor_officer_of(user, pledge.owner_id) or is_coordination_cell(user)
    open_state = shipment.state not in (ShipmentState.RECEIVED, ShipmentState.LOST, ShipmentState.RETURNED)
    return {
        "shipment": shipment,
        "s": data,
        "may_event": may_ship and open_state,
        "next_states": [c for c in ShipmentState.choices if c[0] != ShipmentState.RECEIVED],
        "may_receive": is_recipient_officer_of(user, shipment.allocation.requirement.owner_id)
        and open_state
        and shipment.state != ShipmentState.PLANNED,
        "may_resolve": may_ship and shipment.open_discrepancy,
        "may_check": bool(shipment.delivery_id) and is_donor_officer_of(user, pledge.owner_id),
        "checks": selectors.end_use_checks(user=user, delivery=shipment.delivery_id)
        if shipment.delivery_id
        else [],
        "sites": selectors.site_list(user=user),
    }


@login_required
def shipment_detail(request: HttpRequest, shipment_id: int) -> HttpResponse:
    """One shipment: facts, the timeline of its events, and the forms the user may use."""
    return render(request, "logistics/shipment_detail.html", _detail_context(request, shipment_id))


def _detail(shipment_id: int) -> str:
    return reverse("shipment-detail", args=[shipment_id])


@login_required
@require_POST
def shipment_event(request: HttpRequest, shipment_id: int) -> HttpResponse:
    p = request.POST
    return act(
        request,
        lambda: services.record_event(
            actor=request.user,
            shipment_id=shipment_id,
            state=p.get("state"),
            at=p.get("at") or None,
            site=p.get("site") or None,
        ),
        done=f"Shipment #{shipment_id}: {p.get('state')} recorded.",
        default=_detail(shipment_id),
    )


@login_required
@require_POST
def shipment_receipt(request: HttpRequest, shipment_id: int) -> HttpResponse:
    p = request.POST
    return act(
        request,
        lambda: services.record_receipt(
            actor=request.user,
            shipment_id=shipment_id,
            received=p.get("received"),
            damaged=p.get("damaged") or 0,
            received_on=p.get("received_on") or None,
            note=p.get("note", ""),
        ),
        done=f"Receipt of shipment #{shipment_id} recorded.",
        default=_detail(shipment_id),
    )


@login_required
@require_POST
def shipment_resolve(request: HttpRequest, shipment_id: int) -> HttpResponse:
    p = request.POST
    return act(
        request,
        lambda: services.resolve_discrepancy(
            actor=request.user,
            shipment_id=shipment_id,
            resolution=p.get("resolution"),
            reason=p.get("reason", ""),
            expected_on=p.get("expected_on") or None,
        ),
        done=f"Discrepancy of shipment #{shipment_id} resolved.",
        default=_detail(shipment_id),
    )


@login_required
@require_POST
def shipment_end_use(request: HttpRequest, shipment_id: int) -> HttpResponse:
    shipment = selectors.get_shipment(user=request.user, shipment_id=shipment_id)
    p = request.POST
    return act(
        request,
        lambda: services.record_end_use_check(
            actor=request.user,
            delivery_id=shipment.delivery_id,
            checked_on=p.get("checked_on"),
            units_verified=p.get("units_verified"),
            finding=p.get("finding", ""),
        ),
        done="End-use check recorded.",
        default=_detail(shipment_id),
    )


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    """Sites the user may see; officers and the cell add one (POST)."""
    form: dict[str, Any] = {"values": {}, "errors": {}}
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in SITE_FORM}
        try:
            site = services.create_site(actor=request.user, data=data)
        except ACCESS_ERRORS:
            raise
        except DomainError as exc:
            field = exc.field if exc.field in SITE_FORM else "form"
            form = {"values": data, "errors": {field: exc.message}}
            status = 422
        else:
            messages.success(request, f"Site {site.code} added.")
            return redirect(reverse("site-list"))
    return render(
        request,
        "logistics/site_list.html",
        {"sites": selectors.site_list(user=request.user), "kinds": SiteKind.choices, "form": form},
        status=status,
    )
