"""Pages of packages: the list, and a package with its contents, funders, contracts and schedule,
and the form that moves it along its states."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clearinghouse.core.errors import DomainError, InvalidInput
from clearinghouse.packages import selectors, services
from clearinghouse.packages.choices import CONTRACTABLE, TRANSITIONS


@login_required
def package_list(request: HttpRequest) -> HttpResponse:
    """Packages releasable to the reader, with funding against price."""
    rows = [selectors.package_dict(p) for p in selectors.package_list(user=request.user)]
    return render(request, "packages/package_list.html", {"rows": rows})


@login_required
def package_detail(request: HttpRequest, package_id: int) -> HttpResponse:
    """A package: contents, funders, funded against price, contracts and their schedules."""
    package = selectors.get_package(user=request.user, package_id=package_id)
    data = selectors.package_dict(package, user=request.user)
    return _detail(request, package, data)


def _detail(
    request: HttpRequest, package: Any, data: dict[str, Any], contract: dict[str, Any] | None = None
) -> HttpResponse:
    moves = sorted(TRANSITIONS[package.state]) if data["may_write"] else []
    may_contract = data["may_write"] and package.state in CONTRACTABLE
    return render(
        request,
        "packages/package_detail.html",
        {"p": data, "moves": moves, "may_contract": may_contract, "contract": contract or {}},
        status=422 if contract and contract.get("error") else 200,
    )


def schedule_lines(text: str) -> list[dict[str, Any]]:
    """The schedule typed on the page, one line each: `YYYY-MM ITEM-CODE QUANTITY` (the service checks
    the values; a line that does not have three parts is refused here, naming it)."""
    lines = []
    for n, raw in enumerate(line for line in text.splitlines() if line.strip()):
        parts = raw.replace(",", " ").split()
        if len(parts) != 3:
            raise InvalidInput(
                f"schedule[{n}]: {raw.strip()!r} is not 'YYYY-MM ITEM-CODE QUANTITY'", field=f"schedule[{n}]"
            )
        lines.append({"month": parts[0], "item_type": parts[1], "quantity": parts[2]})
    return lines


@login_required
@require_POST
def package_contract(request: HttpRequest, package_id: int) -> HttpResponse:
    """Add a contract with its monthly delivery schedule (the implementer's officers or the cell);
    a refusal shows the form again with what was typed and the reason, and changes nothing."""
    package = selectors.get_package(user=request.user, package_id=package_id)
    posted = {k: request.POST.get(k, "") for k in ("supplier", "value", "currency", "signed", "schedule")}
    try:
        services.add_contract(
            actor=request.user,
            package_id=package_id,
            data={
                **{k: posted[k] for k in ("supplier", "value", "currency", "signed")},
                "schedule": schedule_lines(posted["schedule"]),
            },
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        data = selectors.package_dict(package, user=request.user)
        return _detail(request, package, data, {**posted, "error": exc.message})
    messages.success(request, f"Contract with {posted['supplier']} added to package {package_id}.")
    return redirect("package-detail", package_id=package_id)


@login_required
@require_POST
def package_transition(request: HttpRequest, package_id: int) -> HttpResponse:
    """Move the package to the state chosen (a reason is required to cancel)."""
    selectors.get_package(user=request.user, package_id=package_id)
    try:
        services.transition_package(
            actor=request.user,
            package_id=package_id,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, f"Package {package_id} is now {request.POST.get('to')}.")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    return redirect("package-detail", package_id=package_id)
