"""Forms of the core pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from clearinghouse.core import throttle


class ThrottledLoginForm(AuthenticationForm):
    """The login form; the shared throttle (core.throttle) counts and refuses, this says why."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-ins from here. Wait a few minutes and try again.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        if throttle.is_locked(username, address):
            throttle.record_failure(username=username, address=address, reason="throttled")
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        return super().clean()


class CodeForm(forms.Form):
    """A code from an authenticator app, or a recovery code."""

    code = forms.CharField(
        max_length=20,
        label="Code",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordChangeForm(forms.Form):
    """Your current password and a new one, twice."""

    old_password = forms.CharField(label="Current password", widget=forms.PasswordInput, max_length=200)
    new_password = forms.CharField(label="New password", widget=forms.PasswordInput, max_length=200)
    new_password2 = forms.CharField(label="New password again", widget=forms.PasswordInput, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") and cleaned.get("new_password") != cleaned.get("new_password2"):
            self.add_error("new_password2", "The two new passwords differ.")
        return cleaned
