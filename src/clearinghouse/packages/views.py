"""Pages of packages: the list, and a package with its contents, funders, contracts and schedule,
and the form that moves it along its states."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clearinghouse.core.errors import DomainError
from clearinghouse.packages import selectors, services
from clearinghouse.packages.choices import TRANSITIONS


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
    moves = sorted(TRANSITIONS[package.state]) if data["may_write"] else []
    return render(request, "packages/package_detail.html", {"p": data, "moves": moves})


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
