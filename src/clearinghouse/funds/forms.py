"""Forms of the funds pages: a cash contribution and an in-kind credit (finance officers)."""

from __future__ import annotations

from typing import Any

from django import forms

from clearinghouse.core.choices import Releasability
from clearinghouse.funds.models import Fund


class CashContributionForm(forms.Form):
    """A cash payment by a member, in any currency the ECB publishes."""

    participant = forms.ChoiceField(label="Member")
    amount = forms.DecimalField(min_value=0.01, max_digits=18, decimal_places=2)
    currency = forms.CharField(
        min_length=3, max_length=3, initial="EUR", help_text="ISO 4217, e.g. EUR, GBP."
    )
    value_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(max_length=100, required=False, help_text="Payment reference: credited once.")
    year = forms.IntegerField(
        required=False, help_text="Fund year credited (default: the value date's year)."
    )
    releasability = forms.ChoiceField(choices=Releasability.choices, initial=Releasability.COORDINATION)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = fund.group.members.order_by("name").values_list("code", "name")
        field = self.fields["participant"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(c, f"{n} ({c})") for c, n in members]


class PledgeCreditForm(forms.Form):
    """A committed or delivered pledge credited at its valuation."""

    pledge_id = forms.IntegerField(label="Pledge id", min_value=1)
    year = forms.IntegerField(
        required=False, help_text="Fund year credited (default: the value date's year)."
    )
    value_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Default: the pledge's available-from date.",
    )
