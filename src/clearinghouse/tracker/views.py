"""Pages of the tracker app: the imported Kiel tracker releases and what each one revised."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clearinghouse.core.errors import DomainError
from clearinghouse.tracker import selectors


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def releases_page(request: HttpRequest) -> HttpResponse:
    """Imported releases (digest, counts, identity warnings) and the revisions between two of them."""
    releases = list(selectors.release_list(user=request.user))
    context: dict[str, Any] = {"releases": releases}
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
