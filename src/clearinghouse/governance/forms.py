"""Forms of the governance pages: record a meeting (the secretariat)."""

from __future__ import annotations

from typing import Any

from django import forms

from clearinghouse.governance.choices import MeetingFormat
from clearinghouse.governance.models import Body


class MeetingForm(forms.Form):
    """A meeting of a body: date, title, format, place, agenda, chairs, attendance, minutes."""

    body = forms.ChoiceField()
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    title = forms.CharField(max_length=200)
    format = forms.ChoiceField(choices=MeetingFormat.choices, initial=MeetingFormat.IN_PERSON)
    place = forms.CharField(max_length=200, required=False)
    agenda = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="One agenda item a line."
    )
    chairs = forms.CharField(
        max_length=200, required=False, help_text="ISO codes of the chair(s), comma-separated, e.g. GBR, DEU."
    )
    attendance = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="ISO codes of the participants present, comma- or space-separated.",
    )
    minutes = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)
    source = forms.CharField(
        max_length=300, required=False, help_text="Official or press page, and its date."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        body = self.fields["body"]
        assert isinstance(body, forms.ChoiceField)
        body.choices = [(b.code, f"{b.code}: {b.name}") for b in Body.objects.order_by("kind", "code")]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as `services.create_meeting` takes them."""
        data = dict(self.cleaned_data)

        def codes(text: str) -> list[str]:
            return [c for c in text.replace(",", " ").split() if c]

        data["chairs"] = codes(data.get("chairs") or "")
        data["attendance"] = codes(data.get("attendance") or "")
        data["agenda"] = [line.strip() for line in (data.get("agenda") or "").splitlines() if line.strip()]
        return data
