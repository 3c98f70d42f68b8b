"""The admin site behind the same sign-in as the pages: one throttled door, a second factor required."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class ClearinghouseAdminSite(admin.AdminSite):
    """Django's admin, signed in through /login/ (throttled, MFA) and open only to verified sessions."""

    site_header = "Clearinghouse administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        verified = getattr(user, "is_verified", None)
        return bool(super().has_permission(request) and callable(verified) and verified())

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """No second sign-in form: send people to the app's own (which the throttle and MFA guard)."""
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': target})}")


class ClearinghouseAdminConfig(AdminConfig):
    default_site = "clearinghouse.core.admin_site.ClearinghouseAdminSite"
