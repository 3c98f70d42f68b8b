"""Pages of packages: the list, and a package with its contents, funders, contracts and schedule,
and the form that moves it along its states."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import DomainError, InvalidInput
from clearinghouse.packages import selectors, services
from clearinghouse.packages.choices import CONTRACTABLE, TRANSITIONS


@login_required
def package_list(request: HttpRequest) -> HttpResponse:
    """Packages releasable to the reader, with funding against price."""
    rows = [selectors.package_dict(p) for p in selectors.package_list(user=request.user)]
    return render(
        request,
        "packages/package_list.html",
        {"rows": rows, "may_propose": services.may_propose(request.user)},
    )


def _lines(text: str, field: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows typed one a line, parts separated by spaces or commas, in the order of `keys`; a line
    with another number of parts is refused naming it (`items[1]`); the service checks the values."""
    rows = []
    for n, raw in enumerate(line for line in text.splitlines() if line.strip()):
        parts = raw.replace(",", " ").split()
        if len(parts) != len(keys):
            shape = " ".join(k.upper() for k in keys)
            raise InvalidInput(f"{field}[{n}]: {raw.strip()!r} is not '{shape}'", field=f"{field}[{n}]")
        rows.append(dict(zip(keys, parts, strict=True)))
    return rows


ITEM_KEYS = ("item_type", "quantity", "unit_value", "currency")
FUNDER_KEYS = ("participant", "amount", "currency")
SCHEDULE_KEYS = ("month", "item_type", "quantity")
NEW_FIELDS = ("title", "implementer", "releasability", "value_date", "items", "funders")


@login_required
@require_http_methods(["GET", "POST"])
def package_create(request: HttpRequest) -> HttpResponse:
    """Propose a package: contents and funders typed one a line (the API's checks; a refusal shows
    the form again with what was typed and the reason, and writes nothing)."""
    if not services.may_propose(request.user):
        raise DjangoPermissionDenied
    posted = {k: request.POST.get(k, "") for k in NEW_FIELDS}
    error = ""
    if request.method == "POST":
        try:
            package = services.create_package(
                actor=request.user,
                data={
                    "title": posted["title"],
                    "implementer": posted["implementer"],
                    "releasability": posted["releasability"] or "coordination",
                    "value_date": posted["value_date"] or None,
                    "items": _lines(
                        posted["items"], "items", ("item_type", "quantity", "unit_value", "currency")
                    ),
                    "funders": _lines(posted["funders"], "funders", ("participant", "amount", "currency")),
                },
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc.message
        else:
            messages.success(request, f"Package {package.pk} proposed.")
            return redirect("package-detail", package_id=package.pk)
    return render(
        request,
        "packages/package_form.html",
        {"form": posted, "error": error, "markings": Releasability.choices},
        status=422 if error else 200,
    )


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
                "schedule": _lines(posted["schedule"], "schedule", SCHEDULE_KEYS),
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
