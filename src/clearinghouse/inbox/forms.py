"""The form of a user's notification preferences."""

from __future__ import annotations

from django import forms


class PreferencesForm(forms.Form):
    in_app = forms.BooleanField(
        required=False, label="In the app", help_text="Listed on this page and counted in the header."
    )
    email = forms.BooleanField(
        required=False, label="By e-mail", help_text="Sent to your account's e-mail address."
    )
