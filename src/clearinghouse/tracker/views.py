"""Pages of the tracker app: the imported Kiel tracker releases and what each one revised."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clearinghouse.core.errors import DomainError
from clearinghouse.tracker import jobs, selectors, services, uploads


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def releases_page(request: HttpRequest) -> HttpResponse:
    """Imported releases (digest, counts, identity warnings) and the revisions between two of them."""
    releases = list(selectors.release_list(user=request.user))
    context: dict[str, Any] = {"releases": releases, "can_upload": services.can_import(request.user)}
    if len(releases) >= 2:
        try:
            old, new, changes = selectors.revisions(
                user=request.user,
                from_release=_number(request.GET.get("from")),
                to_release=_number(request.GET.get("to")),
            )
            context.update(
                old=old, new=new, revisions=Paginator(changes, 100).get_page(request.GET.get("page"))
            )
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "tracker/releases.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def upload_page(request: HttpRequest) -> HttpResponse:
    """Upload a release (its CSV files, or a ZIP of them): checked all or nothing by a background
    job whose progress this page follows; when it is done, it links the revisions against the
    previous release. The coordination cell (coordinators, analysts) and admins only."""
    if not services.can_import(request.user):
        raise DjangoPermissionDenied("Only the coordination cell or an admin imports a Kiel release.")
    context: dict[str, Any] = {"files": uploads.RELEASE_FILES, "max_mb": uploads.MAX_BYTES // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        files = [(f.name or "", b"".join(f.chunks())) for f in request.FILES.getlist("files")]
        try:
            context["job"] = jobs.start_upload(actor=request.user, files=files)
            status = 202
        except DomainError as exc:
            context["error"] = exc.message
            status = 403 if exc.status == 403 else 422
    return render(request, "tracker/upload.html", context, status=status)
