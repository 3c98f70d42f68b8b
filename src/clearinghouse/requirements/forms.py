"""Forms of the requirement pages (a `core.forms.ServiceForm`: the services' own validation)."""

from __future__ import annotations

from typing import Any

from django import forms

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.catalog.forms import item_type_choices
from clearinghouse.core import cleaning
from clearinghouse.core.actors import Actor
from clearinghouse.core.choices import Releasability
from clearinghouse.core.forms import ServiceForm, set_choices
from clearinghouse.participants.forms import participant_choices
from clearinghouse.requirements import consumption, services
from clearinghouse.requirements.choices import Priority


class RequirementForm(ServiceForm):
    """A requirement as the recipient's officers enter it."""

    external_ref = forms.CharField(
        label="External reference",
        required=False,
        max_length=100,
        help_text="Your own reference; spreadsheet imports update the requirement with the same one.",
    )
    capability = forms.ChoiceField(label="Capability area", required=False)
    item_types = forms.MultipleChoiceField(
        label="Acceptable item types",
        required=False,
        help_text="One or several: any of them covers the requirement (substitution).",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )
    quantity = forms.CharField(
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
        help_text="Leave blank for a consumption requirement: it is the rate times its months.",
    )
    rate_per_month = forms.CharField(
        label="Rate per month",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
        help_text="A consumption requirement (e.g. shells): units needed every month, matched month by "
        "month. Give the first and last month too.",
    )
    from_month = forms.CharField(
        label="From month",
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text="YYYY-MM",
    )
    to_month = forms.CharField(
        label="To month", required=False, widget=forms.DateInput(attrs={"type": "month"}), help_text="YYYY-MM"
    )
    unit = forms.CharField(
        required=False, max_length=40, help_text="Default: the unit of the first acceptable item type."
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)
    needed_by = forms.CharField(
        label="Needed by", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    releasability = forms.ChoiceField(choices=Releasability.choices, initial=Releasability.CONTACT_GROUP)
    releasable_to = forms.MultipleChoiceField(
        label="Also releasable to",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    # What the page enters: the service's fields but the owner (the officer's own participant) and
    # `illustrative` (fixed by imports and the demo).
    FIELDS = tuple(f for f in services.FIELDS if f not in ("owner", "illustrative"))

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "capability",
            [("", "— that of the first item type —")]
            + [(c.code, c.name) for c in catalog_selectors.capability_list(user=user)],
        )
        set_choices(self, "item_types", item_type_choices(user))
        set_choices(self, "releasable_to", participant_choices(user))

    def clean_external_ref(self) -> str:
        return str(self.check("external_ref", cleaning.text, max_length=100))

    def clean_quantity(self) -> int | None:
        return self.check("quantity", cleaning.integer, required=False)  # type: ignore[no-any-return]  # check() returns what the cleaner returns

    def clean_rate_per_month(self) -> int | None:
        return self.check("rate_per_month", cleaning.integer, required=False)  # type: ignore[no-any-return]  # as above

    def clean_from_month(self) -> Any:
        return self.check("from_month", consumption.month)

    def clean_to_month(self) -> Any:
        return self.check("to_month", consumption.month)

    def clean_needed_by(self) -> Any:
        return self.check("needed_by", cleaning.date, required=False)

    def clean_notes(self) -> str:
        return str(self.check("notes", cleaning.text, max_length=10_000))

    def clean_item_types(self) -> list[str]:
        codes = self.cleaned_data.get("item_types") or []
        if not codes:
            raise forms.ValidationError("at least one acceptable item type is required")
        return list(codes)

    def for_service(self) -> dict[str, Any]:
        return self.data_for_service(self.FIELDS)

    @staticmethod
    def initial_from(requirement: Any) -> dict[str, Any]:
        return {
            "external_ref": requirement.external_ref,
            "capability": requirement.capability.code,
            "item_types": [t.code for t in requirement.item_types.all()],
            "quantity": "" if requirement.is_rate else requirement.quantity,
            "rate_per_month": requirement.rate_per_month or "",
            "from_month": requirement.from_month_text,
            "to_month": requirement.to_month_text,
            "unit": requirement.unit,
            "priority": requirement.priority,
            "needed_by": ""
            if requirement.is_rate or not requirement.needed_by
            else requirement.needed_by.isoformat(),
            "releasability": requirement.releasability,
            "releasable_to": [p.code for p in requirement.releasable_to.all()],
            "notes": requirement.notes,
        }
