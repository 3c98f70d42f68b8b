"""Forms of the core pages, and `ServiceForm`, the base of every form the services clean.

Validation is the services' own, never a second copy: each field is cleaned by the functions the
services use for API bodies and spreadsheet rows (`core/cleaning.py`), so a field shows the same
message the API and the import give; the whole record is then checked by the very service call a
submit makes, run inside a transaction that is always rolled back (`dry_run`), so permissions,
duplicates, valuation and currency rules are checked exactly as they will be on submit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clearinghouse.core import throttle
from clearinghouse.core.errors import DomainError


class ThrottledLoginForm(AuthenticationForm):
    """The login form; the shared throttle (core.throttle) counts and refuses, this says why."""

    error_messages = {  # noqa: RUF012 - Django's own instance attribute, declared per form
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-ins from here. Wait a few minutes and try again."),
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
        label=_("Code"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordChangeForm(forms.Form):
    """Your current password and a new one, twice."""

    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput, max_length=200)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, max_length=200)
    new_password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") and cleaned.get("new_password") != cleaned.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return cleaned


# --- forms cleaned by the services (the requirement and pledge pages, the fund pages) -------------


class _Rollback(Exception):
    """Undoes a dry run."""


def dry_run(call: Callable[[], Any]) -> DomainError | None:
    """The domain error a service call raises, or None; whatever the call wrote is rolled back."""
    try:
        with transaction.atomic():
            call()
            raise _Rollback
    except _Rollback:
        return None
    except DomainError as exc:
        return exc


def without_field(message: str, field: str | None) -> str:
    """A service message without its leading "field: " (the form shows it beside the field)."""
    if field and message.startswith(f"{field}: "):
        return message[len(field) + 2 :]
    return message


def set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    """The choices of a select, read for the user."""
    cast(forms.ChoiceField, form.fields[name]).choices = choices


class ServiceForm(forms.Form):
    """A form cleaned by the services' cleaning functions, showing service errors beside their field.

    With `validate_url`, every input posts the whole form there on change (HTMX) and the answer
    re-renders the fields' error lists.
    """

    # A service field that is not a form field -> the form field that shows its errors.
    field_map: ClassVar[dict[str, str]] = {}
    etag = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, validate_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if validate_url:
            for name, field in self.fields.items():
                if isinstance(field.widget, forms.HiddenInput) or field.disabled:
                    continue
                field.widget.attrs.update(
                    {
                        "hx-post": validate_url,
                        "hx-trigger": "change",
                        # A newer check replaces one still under way, so a stale answer never
                        # overwrites a fresher one.
                        "hx-sync": "closest form:replace",
                        "hx-include": "closest form",
                        "hx-target": "#err-form",
                        "hx-swap": "innerHTML",
                        "aria-describedby": f"err-{name}",
                    }
                )

    def check(self, name: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """One of the services' cleaning functions on a field's value; its error becomes the field's."""
        try:
            return fn(self.cleaned_data.get(name), name, **kwargs)
        except DomainError as exc:
            raise forms.ValidationError(without_field(exc.message, exc.field)) from None

    def add_service_error(self, exc: DomainError) -> None:
        """Place a service's error beside the field it names (or above the form)."""
        name = (exc.field or "").split(".")[0]
        name = self.field_map.get(name, name)
        if name in self.fields and not self.fields[name].disabled and name not in self.errors:
            self.add_error(name, without_field(exc.message, exc.field))
        else:
            self.add_error(None, exc.message)

    def data_for_service(self, fields: Iterable[str]) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in fields if name in self.fields}
