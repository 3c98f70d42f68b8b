"""Core pages: sign-in, sign-out, the audit chain, personal API tokens, a background job's progress."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from clearinghouse.core import account_services, audit, jobs, mfa, selectors, services, views_account
from clearinghouse.core.actors import signed_in
from clearinghouse.core.errors import DomainError
from clearinghouse.core.forms import ThrottledLoginForm
from clearinghouse.core.models import AuditEvent


class LoginView(auth_views.LoginView):
    """Sign in with a username and password (throttled); then a second factor where one is set up or
    the role requires one (see views_account.login_mfa). The admin site signs in here too."""

    form_class = ThrottledLoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if mfa.has_mfa(user) or mfa.required_for(user):
            self.request.session[views_account.PENDING_KEY] = {
                "user": user.pk,
                "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("login-mfa")
        views_account.complete_signin(self.request, user, None)
        return HttpResponseRedirect(self.get_success_url())


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, with CSRF); the session's record goes with it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.session.session_key
        if key:
            account_services.forget_session(session_key=key)
        return super().post(request, *args, **kwargs)


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
    error = ""
    if request.method == "POST":
        days_text = request.POST.get("days", "").strip()
        try:
            days = int(days_text) if days_text else None
            new = services.create_token(
                actor=request.user, user=signed_in(request.user), name=request.POST.get("name", ""), days=days
            )
            new_raw = new.raw
        except ValueError:
            error = gettext("Give the number of days as a whole number.")
        except DomainError as exc:
            error = exc.message
    tokens = selectors.token_list(user=request.user)
    return render(
        request,
        "core/tokens.html",
        {
            "tokens": tokens,
            "new_raw": new_raw,
            "error": error,
            "max_days": settings.TOKEN_MAX_DAYS,
            "typed": request.POST if error else {},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def revoke_token_page(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of your tokens: GET asks for confirmation, POST (with `confirm`) revokes."""
    token = selectors.token_list(user=request.user).filter(pk=token_id).first()
    if token is None:
        from django.http import Http404

        raise Http404
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        expires = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
        return render(
            request,
            "core/confirm.html",
            {
                "title": "Revoke a token",
                "message": f"Revoke the token “{token.name or 'unnamed'}” ({token.prefix}…{expires})? "
                "Every program using it is refused at once; this cannot be undone.",
                "button": "Revoke the token",
            },
        )
    services.revoke_token(actor=request.user, token_id=token_id)
    messages.success(request, "Token revoked.")
    return redirect("tokens")


@login_required
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """A background job's progress card (the partial the starting page polls with HTMX until the
    job has finished). Only its owner, coordinators and admins: anyone else gets the 404 page."""
    job = jobs.get_job(user=request.user, job_id=job_id)
    return render(request, "core/_job_progress.html", {"job": job})
