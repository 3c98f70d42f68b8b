"""Forms of the pledge pages; validation is the services' own (see requirements/forms.py)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from clearinghouse.catalog.forms import item_type_choices
from clearinghouse.core import cleaning, fx
from clearinghouse.core.actors import Actor, signed_in
from clearinghouse.core.choices import Releasability
from clearinghouse.core.forms import ServiceForm, set_choices
from clearinghouse.participants.forms import participant_choices
from clearinghouse.pledges import services
from clearinghouse.pledges.choices import Earmark, PledgeKind

_TRANCHE = re.compile(r"^\s*(\d{4})\s*[:=]\s*(\S+)\s*$")


def tranches_text(pledge: Any) -> str:
    """A pledge's yearly tranches as the form writes them: "2025: 1000000.00; 2026: ..."."""
    return "; ".join(f"{t.year}: {t.amount}" for t in sorted(pledge.tranches.all(), key=lambda t: t.year))


class PledgeForm(ServiceForm):
    """A pledge as a donor officer enters it; the donor is the officer's own participant."""

    donor = forms.ChoiceField(help_text="Admins only: the participant that pledges.")
    external_ref = forms.CharField(
        label="External reference",
        required=False,
        max_length=100,
        help_text="Your own reference; spreadsheet imports update the pledge with the same one.",
    )
    kind = forms.ChoiceField(choices=PledgeKind.choices, initial=PledgeKind.IN_KIND)
    available_from = forms.CharField(
        label="Available from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The value date: the value in EUR uses the ECB rate of this day.",
    )
    item_type = forms.ChoiceField(label="Item type (in kind)", required=False)
    quantity = forms.CharField(
        label="Quantity (in kind)", required=False, widget=forms.NumberInput(attrs={"min": 1, "step": 1})
    )
    unit_value = forms.CharField(
        label="Unit value (in kind)",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
        help_text="Leave empty to use the catalog's reference price of the value date.",
    )
    valuation_source = forms.CharField(label="Valuation source", required=False, max_length=300)
    amount = forms.CharField(
        label="Amount (financial)", required=False, widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"})
    )
    currency = forms.ChoiceField(required=False, help_text="ISO 4217; in kind: default the catalog's.")
    purpose = forms.CharField(label="Purpose (financial)", required=False, max_length=300)
    earmark = forms.ChoiceField(
        label="Earmark (financial)",
        choices=Earmark.choices,
        required=False,
        help_text="Money for military procurement counts as military aid in the reports.",
    )
    tranches = forms.CharField(
        label="Yearly tranches (financial)",
        required=False,
        help_text="For a multi-year pledge: 2025: 1000000; 2026: 1000000 … adding up to the amount.",
    )
    announced_at = forms.CharField(label="Announced at", required=False, max_length=200)
    releasability = forms.ChoiceField(choices=Releasability.choices, initial=Releasability.COORDINATION)
    releasable_to = forms.MultipleChoiceField(
        label="Also releasable to",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    offered_against = forms.CharField(
        required=False, widget=forms.HiddenInput, help_text="The requirement this pledge is offered against."
    )

    # What the page enters: the service's fields but `illustrative` (fixed by imports and the demo).
    FIELDS = tuple(f for f in services.FIELDS if f != "illustrative")

    def __init__(
        self, *args: Any, user: Actor, choose_donor: bool, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if choose_donor:
            set_choices(self, "donor", participant_choices(user))
        else:
            del self.fields["donor"]
        if editing:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = "A pledge's kind cannot change."
        set_choices(self, "item_type", [("", "—"), *item_type_choices(user)])
        set_choices(self, "currency", [("", "—")] + [(c, c) for c in sorted(fx.known_currencies())])
        set_choices(self, "releasable_to", participant_choices(user))
        self.user = user

    def clean_external_ref(self) -> str:
        return str(self.check("external_ref", cleaning.text, max_length=100))

    def clean_available_from(self) -> Any:
        return self.check("available_from", cleaning.date)

    def clean_quantity(self) -> int | None:
        return self.check("quantity", cleaning.integer, required=False)  # type: ignore[no-any-return]  # as the cleaner returns

    def clean_unit_value(self) -> Any:
        return self.check("unit_value", cleaning.money, required=False, positive=False)

    def clean_amount(self) -> Any:
        return self.check("amount", cleaning.money, required=False)

    def clean_notes(self) -> str:
        return str(self.check("notes", cleaning.text, max_length=10_000))

    def clean_tranches(self) -> list[dict[str, str]]:
        text = (self.cleaned_data.get("tranches") or "").strip()
        out = []
        for part in filter(None, (p.strip() for p in re.split(r"[;\n]", text))):
            match = _TRANCHE.match(part)
            if match is None:
                raise forms.ValidationError(f"write each tranche as “year: amount”, not {part!r}")
            out.append({"year": match.group(1), "amount": match.group(2)})
        return out

    def for_service(self) -> dict[str, Any]:
        """The pledge as the services take it (the donor is the officer's own participant)."""
        data = self.data_for_service(self.FIELDS)
        data.setdefault("donor", signed_in(self.user).participant.code)
        return data

    def changes(self) -> dict[str, Any]:
        """What an edit sends: every field but the donor and the kind, which cannot change."""
        data = self.data_for_service(self.FIELDS)
        data.pop("donor", None)
        data.pop("kind", None)
        return data

    @staticmethod
    def initial_from(pledge: Any) -> dict[str, Any]:
        return {
            "donor": pledge.owner.code,
            "external_ref": pledge.external_ref,
            "kind": pledge.kind,
            "item_type": pledge.item_type.code if pledge.item_type else "",
            "quantity": pledge.quantity if pledge.quantity is not None else "",
            "unit_value": pledge.unit_value if pledge.unit_value is not None else "",
            "valuation_source": pledge.valuation_source,
            "amount": pledge.amount if pledge.amount is not None else "",
            "currency": pledge.currency,
            "purpose": pledge.purpose,
            "earmark": pledge.earmark,
            "tranches": tranches_text(pledge),
            "available_from": pledge.available_from.isoformat(),
            "announced_at": pledge.announced_at,
            "releasability": pledge.releasability,
            "releasable_to": [p.code for p in pledge.releasable_to.all()],
            "notes": pledge.notes,
            "offered_against": pledge.offered_against_id or "",
        }
