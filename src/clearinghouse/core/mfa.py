"""Multi-factor sign-in: TOTP (django-otp) with single-use recovery codes.

Required for the roles in `MFA_REQUIRED_ROLES` (coordinator, finance officer, admin by default) and
available to everybody. A user with a confirmed authenticator gives a code after the password; a
user whose role requires one but who has none is taken to enrol it at first sign-in. Bearer-token
API calls are not asked for a code: tokens are made by an already verified session or by the CLI.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django_otp import DEVICE_ID_SESSION_KEY, verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearinghouse.core.actors import Actor

RECOVERY_CODES = 10


def required_for(user: Actor) -> bool:
    """Whether this account must sign in with a second factor."""
    return bool(
        getattr(user, "is_superuser", False) or getattr(user, "role", "") in settings.MFA_REQUIRED_ROLES
    )


def authenticator(user: Actor) -> TOTPDevice | None:
    """The user's confirmed authenticator (TOTP device), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_mfa(user: Actor) -> bool:
    """Whether the user has a confirmed authenticator."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_codes_left(user: Actor) -> int:
    """How many unused recovery codes the user has."""
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device else 0


def secret_base32(device: TOTPDevice) -> str:
    """The device's secret as authenticator apps take it when typed in."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (a data: URI, nothing fetched)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2))


def check_code(user: Actor, code: str) -> Any | None:
    """The device that accepts `code` (a TOTP code, or a recovery code, which is then used up)."""
    code = "".join(code.split()).lower()
    if not code or len(code) > 16:
        return None
    devices: list[Any] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    devices += list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


class MfaRequiredMiddleware:
    """End a browser session of a role that requires a second factor if it was not verified with one
    (a session from before MFA was required, or one made without the sign-in pages): the request
    goes on signed out, so pages send the user to sign in again and the API answers 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and required_for(user)
            and not (DEVICE_ID_SESSION_KEY in request.session and user.is_verified())
        ):
            logout(request)
        return self.get_response(request)
