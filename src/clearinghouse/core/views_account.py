"""Pages of a person's own security: the second sign-in step, the account page (second factor,
recovery codes, password, sessions)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearinghouse.core import account_services, mfa, selectors, throttle
from clearinghouse.core.actors import Account, account_or_none, signed_in
from clearinghouse.core.errors import DomainError
from clearinghouse.core.forms import CodeForm, PasswordChangeForm
from clearinghouse.core.i18n import known_time_zones, language_codes, user_time_zone

PENDING_KEY = "mfa_pending"
PENDING_SECONDS = 5 * 60
BACKEND = "clearinghouse.core.throttle.ThrottledModelBackend"


def complete_signin(request: HttpRequest, user: Account, device: Any | None) -> None:
    """Sign `user` in (a new session key), bind the second factor, note and audit the session."""
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user, backend=BACKEND)
    if device is not None:
        otp_login(request, device)
    now = int(time.time())
    # Stamp the new session for the timeout middleware.
    request.session["started_at"] = now
    request.session["last_seen_at"] = now
    request.session.save()
    address = throttle.client_address(request)
    throttle.clear(user.get_username(), address)
    account_services.record_signin(
        user=user,
        session_key=request.session.session_key or "",
        address=address,
        user_agent=request.headers.get("User-Agent", ""),
        mfa_used=device is not None,
    )


def _pending(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    """The user who gave the right password and owes a second factor, if still in time."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id: Any = pending.get("user")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return (user, pending) if user is not None else None


def _safe_next(pending: dict[str, Any]) -> str:
    target = str(pending.get("next") or "")
    return target if target.startswith("/") and not target.startswith("//") else reverse("home")


@require_http_methods(["GET", "POST"])
def login_mfa(request: HttpRequest) -> HttpResponse:
    """The second sign-in step: a code from the authenticator (or a recovery code); or, for a role
    that requires a second factor and has none yet, enrolment of an authenticator."""
    found = _pending(request)
    if found is None:
        return redirect("login")
    user, pending = found
    address = throttle.client_address(request)
    form = CodeForm(request.POST or None)
    if mfa.has_mfa(user):
        if request.method == "POST" and form.is_valid():
            if throttle.is_locked(user.get_username(), address):
                throttle.record_failure(username=user.get_username(), address=address, reason="throttled")
                form.add_error(
                    "code", "Too many failed sign-ins from here. Wait a few minutes and try again."
                )
            else:
                device = mfa.check_code(user, form.cleaned_data["code"])
                if device is not None:
                    complete_signin(request, user, device)
                    return HttpResponseRedirect(_safe_next(pending))
                throttle.record_failure(username=user.get_username(), address=address, reason="wrong code")
                form.add_error("code", "That code is not right.")
        return render(request, "core/login_mfa.html", {"form": form, "mode": "verify"})
    return _enrol(request, user, pending, form, signed_in=False)


def _enrol(
    request: HttpRequest, user: Account, state: dict[str, Any], form: CodeForm, *, signed_in: bool
) -> HttpResponse:
    """Show a new authenticator's secret and QR code; confirm it with a code; show recovery codes once."""
    device = TOTPDevice.objects.filter(pk=state.get("device"), user=user, confirmed=False).first()
    if device is None:
        device = account_services.start_enrolment(user=user)
        state["device"] = device.pk
        if signed_in:
            request.session["mfa_enrol"] = state
        else:
            request.session[PENDING_KEY] = state
    if request.method == "POST" and form.is_valid():
        try:
            confirmed, codes = account_services.confirm_enrolment(
                user=user, device_id=device.pk, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", exc.message)
            throttle.record_failure(
                username=user.get_username(), address=throttle.client_address(request), reason="wrong code"
            )
        else:
            if signed_in:
                request.session.pop("mfa_enrol", None)
                otp_login(request, confirmed)
                target = reverse("account")
            else:
                complete_signin(request, user, confirmed)
                target = _safe_next(state)
            return render(request, "core/recovery_codes.html", {"codes": codes, "next": target})
    context = {
        "form": form,
        "mode": "enrol",
        "secret": mfa.secret_base32(device),
        "qr": mfa.qr_data_uri(device),
        "required": mfa.required_for(user),
        "signed_in": signed_in,
    }
    return render(request, "core/login_mfa.html", context)


@login_required
def account_page(request: HttpRequest) -> HttpResponse:
    """Your account: second factor, recovery codes, password, sessions and tokens."""
    user = signed_in(request.user)
    sessions = selectors.session_list(user=user).filter(user=user)
    return render(
        request,
        "core/account.html",
        {
            "has_mfa": mfa.has_mfa(user),
            "mfa_required": mfa.required_for(user),
            "codes_left": mfa.recovery_codes_left(user),
            "sessions": sessions,
            "current_key": request.session.session_key,
            "tokens": selectors.token_list(user=user).filter(user=user),
            "languages": settings.LANGUAGES,
            "time_zones": sorted(known_time_zones()),
            "zone_in_use": user_time_zone(user),
            "participant_zone": user.participant.zone,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_mfa(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) your authenticator."""
    state = request.session.get("mfa_enrol")
    if not isinstance(state, dict) or (request.method == "GET" and request.GET.get("restart")):
        state = {}
    return _enrol(request, signed_in(request.user), state, CodeForm(request.POST or None), signed_in=True)


@login_required
@require_POST
def account_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown once."""
    try:
        codes = account_services.new_recovery_codes(user=signed_in(request.user))
    except DomainError as exc:
        raise Http404 from exc
    return render(request, "core/recovery_codes.html", {"codes": codes, "next": reverse("account")})


@login_required
@require_http_methods(["GET", "POST"])
def account_mfa_remove(request: HttpRequest) -> HttpResponse:
    """Turn off your second factor (only where your role does not require one), after confirmation."""
    if mfa.required_for(request.user) or not mfa.has_mfa(request.user):
        return redirect("account")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        account_services.remove_mfa(actor=request.user, user=signed_in(request.user))
        return redirect("account")
    return render(
        request,
        "core/confirm.html",
        {
            "title": "Turn off the second factor",
            "message": "Sign-in will ask only for your password. Your recovery codes stop working.",
            "button": "Turn it off",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_password(request: HttpRequest) -> HttpResponse:
    """Change your password; your other sessions end."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ended = account_services.change_password(
                user=signed_in(request.user),
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                keep_session=request.session.session_key,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, signed_in(request.user))
            from django.contrib import messages

            messages.success(request, f"Password changed; {ended} other session(s) ended.")
            return redirect("account")
    return render(request, "core/password.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def session_revoke(request: HttpRequest, session_id: int) -> HttpResponse:
    """End one of your sessions: GET asks for confirmation, POST (with `confirm`) ends it."""
    row = selectors.session_list(user=request.user).filter(pk=session_id).first()
    if row is None:
        raise Http404
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        account_services.revoke_session(actor=request.user, session_id=session_id)
        if row.session_key == request.session.session_key:
            return redirect("login")
        return redirect("account")
    return render(
        request,
        "core/confirm.html",
        {
            "title": "End a session",
            "message": f"End the session signed in from {row.address or 'an unknown address'} "
            f"at {row.created_at:%Y-%m-%d %H:%M} UTC? Whoever uses it is signed out at once.",
            "button": "End the session",
        },
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher of every page (POST, CSRF): a cookie for visitors; for a signed-in user
    their profile's language too, so it follows them to other browsers."""
    account = account_or_none(request.user)
    language = request.POST.get("language", "")
    if account is not None and language in language_codes():
        account_services.set_preferences(user=account, language=language, time_zone=account.time_zone)
    return set_language(request)


@login_required
@require_POST
def account_preferences(request: HttpRequest) -> HttpResponse:
    """Your language and time zone, from the account page."""
    user = signed_in(request.user)
    try:
        account_services.set_preferences(
            user=user,
            language=request.POST.get("language", "").strip(),
            time_zone=request.POST.get("time_zone", "").strip(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your language and time zone are saved."))
    response = redirect("account")
    if user.language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
    return response
