"""Forms of the core pages."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from clearinghouse.core import throttle


class ThrottledLoginForm(AuthenticationForm):
    """The login form, refusing a username or address with too many recent failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-ins. Wait 15 minutes and try again.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = (self.request.META.get("REMOTE_ADDR") if self.request else "") or "unknown"
        if throttle.is_locked(username, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.note_failure(username, address)
            raise
        throttle.clear(username, address)
        if self.request is not None:
            now = int(time.time())
            self.request.session["started_at"] = now
            self.request.session["last_seen_at"] = now
        return cleaned
