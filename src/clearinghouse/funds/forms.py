"""Forms of the funds pages (finance officers): a new fund, a burden key version, a cash contribution,
an in-kind credit and a reversal."""

from __future__ import annotations

from typing import Any

from django import forms

from clearinghouse.catalog.models import CapabilityArea
from clearinghouse.core import fx
from clearinghouse.core.choices import Releasability
from clearinghouse.core.forms import set_choices
from clearinghouse.core.money import AmountFormField
from clearinghouse.funds.choices import BurdenKeyKind, InKindCredit, ShortfallPolicy
from clearinghouse.funds.models import BurdenKey, Fund
from clearinghouse.participants.models import ParticipantGroup
from clearinghouse.pledges.choices import PledgeKind


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


class FundForm(forms.Form):
    """A new fund: its target over its years, shared by a burden key over a group (finance officers)."""

    slug = forms.SlugField(max_length=60, help_text="Letters, digits and hyphens: the fund's address.")
    name = forms.CharField(max_length=200)
    target_amount = AmountFormField(label="Target amount", help_text="The whole fund over all its years.")
    currency = forms.ChoiceField(initial="EUR")
    first_year = forms.IntegerField(label="First year", min_value=1990, max_value=2200)
    years = forms.IntegerField(min_value=1, max_value=50, help_text="Split evenly over the years.")
    group = forms.ChoiceField(label="Contributing group")
    burden_key = forms.ChoiceField(label="Burden key")
    shortfall_policy = forms.ChoiceField(
        label="Opted-out shares", choices=ShortfallPolicy.choices, initial=ShortfallPolicy.REDISTRIBUTE
    )
    in_kind_credit = forms.ChoiceField(
        label="In-kind pledges credited", choices=InKindCredit.choices, initial=InKindCredit.AT_DELIVERY
    )
    counts_kinds = forms.MultipleChoiceField(
        label="Pledges that count",
        choices=PledgeKind.choices,
        initial=list(PledgeKind.values),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every kind.",
    )
    counts_capabilities = forms.MultipleChoiceField(
        label="Only these capability areas",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every capability area.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", [(c, c) for c in sorted(fx.known_currencies())])
        set_choices(
            self,
            "group",
            [("", "—")] + [(g.code, f"{g.name} ({g.code})") for g in ParticipantGroup.objects.all()],
        )
        set_choices(
            self,
            "burden_key",
            [("", "—")] + [(k.code, f"{k.name} ({k.code})") for k in BurdenKey.objects.all()],
        )
        set_choices(
            self,
            "counts_capabilities",
            [(c.code, c.name) for c in CapabilityArea.objects.order_by("sort_order", "code")],
        )

    def data_for_service(self) -> dict[str, Any]:
        """The service's input (funds.services.create_fund), the same as the API's body."""
        data = dict(self.cleaned_data)
        data["counts_kinds"] = data.get("counts_kinds") or None
        return data


class KeyVersionForm(forms.Form):
    """A version of a burden key from a year (the key is created with its first version)."""

    key = forms.SlugField(max_length=60, label="Key code", help_text="An existing key gets a new version.")
    name = forms.CharField(max_length=200, required=False, help_text="For a new key (default: its code).")
    effective_year = forms.IntegerField(label="Effective from year", min_value=1900, max_value=2200)
    kind = forms.ChoiceField(choices=BurdenKeyKind.choices, initial=BurdenKeyKind.GDP)
    gdp_year = forms.IntegerField(
        label="GDP year", required=False, min_value=1900, max_value=2200, help_text="For a GDP key only."
    )
    weights = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="For a fixed key: one participant and its weight per line, e.g. “DEU 25.5”.",
    )
    source = forms.CharField(max_length=300, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_weights(self) -> dict[str, str]:
        """`DEU 25.5` (or `DEU, 25.5` / `DEU=25.5`) per line into {"DEU": "25.5"}; each bad line named."""
        weights: dict[str, str] = {}
        for n, line in enumerate(str(self.cleaned_data.get("weights") or "").splitlines(), start=1):
            parts = line.replace(",", " ").replace("=", " ").replace(";", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(
                    f"Line {n}: write a participant code and a weight, e.g. “DEU 25.5”."
                )
            code = parts[0].upper()
            if code in weights:
                raise forms.ValidationError(f"Line {n}: {code} is listed twice.")
            weights[code] = parts[1]
        return weights
