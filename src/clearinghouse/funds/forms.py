"""Forms of the funds pages: a cash contribution, an in-kind credit and a reversal (finance officers)."""

from __future__ import annotations

from typing import Any

from django import forms

from clearinghouse.core import fx
from clearinghouse.core.choices import Releasability
from clearinghouse.core.money import AmountFormField
from clearinghouse.funds.models import Fund


class CashContributionForm(forms.Form):
    """A cash payment by a member, in any currency the ECB publishes."""

    participant = forms.ChoiceField(label="Member")
    amount = AmountFormField(
        help_text="At most 2 decimals (none for JPY, ISK, KRW), up to 999,999,999,999,999.99."
    )
    currency = forms.ChoiceField(
        initial="EUR", help_text="The currencies the ECB publishes a reference rate for."
    )
    value_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(max_length=100, required=False, help_text="Payment reference: credited once.")
    year = forms.IntegerField(
        required=False, help_text="Fund year credited (default: the value date's year)."
    )
    releasability = forms.ChoiceField(choices=Releasability.choices, initial=Releasability.COORDINATION)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    confirm = forms.BooleanField(
        required=False,
        label="Confirm a large amount",
        help_text="Needed when the contribution is larger than the member's fair share of the whole fund.",
    )

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = fund.group.members.order_by("name").values_list("code", "name")
        field = self.fields["participant"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(c, f"{n} ({c})") for c, n in members]
        currency = self.fields["currency"]
        assert isinstance(currency, forms.ChoiceField)
        currency.choices = [(c, c) for c in sorted(fx.known_currencies())]


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
    confirm = forms.BooleanField(
        required=False,
        label="Confirm a large valuation",
        help_text="Needed when the pledge is worth more than the member's fair share of the whole fund.",
    )


class ReversalForm(forms.Form):
    """Why a contribution is reversed (kept in the reversal entry and its audit event)."""

    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
