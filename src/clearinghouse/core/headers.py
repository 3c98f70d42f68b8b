"""Security headers on every answer: a nonce-based Content-Security-Policy, a Permissions-Policy, and
`Cache-Control: no-store` on whatever was answered to a signed-in user (page or API).

The policy allows scripts and styles only from the app's own origin or carrying this request's
nonce: no `unsafe-inline`, no `unsafe-eval`. Templates give the nonce to the few inline blocks
(`<script nonce="{{ csp_nonce }}">`); inline event handlers and `style=` attributes are not used
(bars are sized by CSS classes, see `.w-0` … `.w-100` in app.css). HTMX is configured to need no
eval and to inject no style of its own (the `htmx-config` meta tag in base.html).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)


def content_security_policy(nonce: str) -> str:
    """The policy for one answer."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            # data: for the QR code of an authenticator secret and Swagger UI's icons.
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Give each request a CSP nonce; add the CSP, Permissions-Policy and no-store headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]  # per-request attribute
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(nonce))
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            # Whatever a signed-in user was shown must not stay in a shared or browser cache.
            response["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """Template context: `csp_nonce` for the inline scripts and styles of this answer."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
