"""Helpers every app's pages share: a record or a 404, an action and its confirmation, a page of a
list, and the inline (HTMX) validation of a `ServiceForm`.

Pages read through selectors and write through services; a record the user may not see is a 404
(like a missing one), an action the user's role does not allow is a 403: the services' `NotFound` and
`PermissionDenied` propagate to `core.middleware.DomainErrorPagesMiddleware`, which answers both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from clearinghouse.core.errors import DomainError, NotFound, PermissionDenied
from clearinghouse.core.forms import ServiceForm, dry_run

PAGE_SIZE = 50


# Refusals a page never shows itself: core.middleware.DomainErrorPagesMiddleware answers them with the
# 404 page (missing or invisible alike) and the 403 page. A view catching DomainError lets them through:
# `except ACCESS_ERRORS: raise` before `except DomainError`.
ACCESS_ERRORS = (NotFound, PermissionDenied)


def back_to(request: HttpRequest, default: str) -> str:
    """Where an action returns: the page it was posted from (`next`, same site only), or `default`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def act(request: HttpRequest, call: Callable[[], Any], *, done: str, default: str) -> HttpResponse:
    """Run an action's service call: 404/403 as such, any other refusal as a message on the page."""
    try:
        call()
    except ACCESS_ERRORS:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back_to(request, default))


@dataclass
class Confirmation:
    """The confirmation step of an irreversible or consequential action: what will happen, a reason
    (required or optional) and any value still to be chosen (e.g. a new quantity). The first POST
    (without `confirmed=yes`) shows it; the second carries the confirmation and does the action."""

    title: str
    question: str
    action: str
    cancel_url: str
    button: str
    reason_required: bool
    consequences: list[str] = field(default_factory=list)
    hidden: list[tuple[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    button_class: str = "danger"
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def confirmed_act(
    request: HttpRequest,
    confirmation: Confirmation,
    call: Callable[[str], Any],
    *,
    done: str | Callable[[Any], str],
) -> HttpResponse:
    """Show the confirmation page, or, once confirmed, run `call(reason)`: 404/403 as such; a refusal
    of the reason or of a value the page asks for shows beside it with what was typed; any other
    refusal is a message on the page the action was taken from."""
    confirmation.reason = request.POST.get("reason", "")
    for f in confirmation.fields:
        f["value"] = request.POST.get(f["name"], f.get("value", ""))
    if request.POST.get("confirmed") != "yes":
        return render(request, "core/confirm_action.html", {"confirm": confirmation})
    try:
        result = call(confirmation.reason)
    except ACCESS_ERRORS:
        raise
    except DomainError as exc:
        names = {"reason"} | {f["name"] for f in confirmation.fields}
        if exc.field in names:
            if exc.field == "reason":
                confirmation.errors["reason"] = exc.message
            for f in confirmation.fields:
                if f["name"] == exc.field:
                    f["error"] = exc.message
            return render(request, "core/confirm_action.html", {"confirm": confirmation})
        messages.error(request, exc.message)
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect(back_to(request, confirmation.cancel_url))


def page_of(request: HttpRequest, items: Any) -> Any:
    """The page of `items` the query string asks for (PAGE_SIZE a page)."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def validation_response(request: HttpRequest, form: ServiceForm, call: Callable[[], Any]) -> HttpResponse:
    """The answer to an inline (HTMX) validation: every field's error list, swapped out of band.

    A field's own errors show beside it once it changed or holds a value, so fields the user has
    not reached yet stay quiet; once every field passes, the whole record is checked by a dry run
    of the service and its error shows beside the field it names.
    """
    changed = request.headers.get("HX-Trigger-Name") or ""
    shown = {name for name in form.fields if name == changed or _has_value(request, form, name)}
    if form.is_valid():
        # Every field passed: the service's verdict on the whole record is the next thing to fix,
        # wherever it points.
        error = dry_run(call)
        if error is not None:
            form.add_service_error(error)
            shown |= set(form.errors)
    return render(request, "core/_validation.html", {"form": form, "shown": shown})


def _has_value(request: HttpRequest, form: ServiceForm, name: str) -> bool:
    return any(v.strip() for v in request.POST.getlist(form.add_prefix(name)))
