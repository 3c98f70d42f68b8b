"""Core pages: sign-in, sign-out, the audit chain, personal API tokens."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clearinghouse.core import audit, selectors, services
from clearinghouse.core.errors import DomainError
from clearinghouse.core.forms import ThrottledLoginForm
from clearinghouse.core.models import AuditEvent


class LoginView(auth_views.LoginView):
    """Sign in with a username and password (throttled)."""

    form_class = ThrottledLoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        # login() cycles the session key; stamp the new session for the timeout middleware.
        now = int(time.time())
        self.request.session["started_at"] = now
        self.request.session["last_seen_at"] = now
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, with CSRF)."""


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    """The audit chain, newest first, filterable by object and actor (auditors only)."""
    user = request.user
    if not AuditEvent.readable_by(user):
        raise DjangoPermissionDenied
    qs = selectors.audit_event_list(
        user=user,
        object_type=request.GET.get("object_type") or None,
        object_id=request.GET.get("object_id") or None,
        actor=request.GET.get("actor") or None,
    ).order_by("-sequence")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    verification = audit.verify() if request.GET.get("verify") else None
    return render(request, "core/audit.html", {"page": page, "verification": verification})


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """Your API tokens; create one (shown once) or revoke one."""
    new_raw = None
    if request.method == "POST":
        new = services.create_token(actor=request.user, user=request.user, name=request.POST.get("name", ""))
        new_raw = new.raw
    tokens = selectors.token_list(user=request.user)
    return render(request, "core/tokens.html", {"tokens": tokens, "new_raw": new_raw})


@login_required
@require_POST
def revoke_token_page(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of your tokens."""
    try:
        services.revoke_token(actor=request.user, token_id=token_id)
    except DomainError as exc:
        if exc.status == 404:
            from django.http import Http404

            raise Http404 from exc
        raise
    messages.success(request, "Token revoked.")
    return redirect("tokens")
