"""Forms of the clearing pages."""

from __future__ import annotations

from typing import Any

from django import forms

from clearinghouse.catalog.models import ItemType
from clearinghouse.packages.models import Package
from clearinghouse.participants.models import Participant

# Where the service's refusal of a scenario value shows on the form.
SERVICE_FIELDS = {
    "name": "name",
    "exclude_donors": "exclude_donors",
    "delay_donors": "delay_months",
    "scale_donors": "scale_factor",
    "stall_packages": "stall_packages",
    "delay_packages": "delay_package_months",
    "add_offers.0.donor": "add_donor",
    "add_offers.0.item_type": "add_item_type",
    "add_offers.0.quantity": "add_quantity",
    "add_offers.0.available_from": "add_available_from",
}


class RunForm(forms.Form):
    """Start a run."""

    name = forms.CharField(max_length=200, required=False)
    lateness_penalty = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial=100)
    background = forms.BooleanField(
        required=False, help_text="Run as a background job; the page shows its progress."
    )


class ScenarioForm(forms.Form):
    """A what-if: donors stall, slip, shrink; hypothetical offers."""

    name = forms.CharField(max_length=200, initial="What if")
    exclude_donors = forms.ModelMultipleChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
        help_text="Their pending pledges and allocated units not yet delivered stall.",
    )
    delay_donor = forms.ModelChoiceField(
        queryset=Participant.objects.none(), required=False, to_field_name="code"
    )
    delay_months = forms.IntegerField(min_value=1, max_value=60, required=False)
    stall_packages = forms.ModelMultipleChoiceField(
        queryset=Package.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
        help_text="Their schedules stall: pending offers and allocated units not yet delivered are gone.",
    )
    delay_package = forms.ModelChoiceField(queryset=Package.objects.none(), required=False)
    delay_package_months = forms.IntegerField(min_value=1, max_value=60, required=False)
    scale_donor = forms.ModelChoiceField(
        queryset=Participant.objects.none(), required=False, to_field_name="code"
    )
    scale_factor = forms.DecimalField(min_value=0, max_value=10, decimal_places=2, required=False)
    add_donor = forms.ModelChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        to_field_name="code",
        help_text="Donor of a hypothetical offer.",
    )
    add_item_type = forms.ModelChoiceField(
        queryset=ItemType.objects.none(), required=False, to_field_name="code"
    )
    add_quantity = forms.IntegerField(min_value=1, required=False)
    add_available_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    lateness_penalty = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, initial=100)
    background = forms.BooleanField(
        required=False, help_text="Run as a background job; the page shows its progress."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        donors = Participant.objects.exclude(kind__in=["recipient", "coordinating_body"]).order_by("name")
        for name in ("exclude_donors", "delay_donor", "scale_donor", "add_donor"):
            self.fields[name].queryset = donors  # type: ignore[attr-defined]  # a ModelChoiceField
        packages = Package.objects.filter(contracts__isnull=False).distinct().order_by("pk")
        for name in ("stall_packages", "delay_package"):
            self.fields[name].queryset = packages  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["add_item_type"].queryset = ItemType.objects.order_by("code")  # type: ignore[attr-defined]  # a ModelChoiceField

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("delay_donor")) != bool(data.get("delay_months")):
            self.add_error("delay_months", "Give both a donor and a number of months, or neither.")
        if bool(data.get("delay_package")) != bool(data.get("delay_package_months")):
            self.add_error("delay_package_months", "Give both a package and a number of months, or neither.")
        if bool(data.get("scale_donor")) != (data.get("scale_factor") is not None):
            self.add_error("scale_factor", "Give both a donor and a factor, or neither.")
        add = [data.get(k) for k in ("add_donor", "add_item_type", "add_quantity", "add_available_from")]
        if any(add) and not all(add):
            self.add_error("add_quantity", "A hypothetical offer needs donor, item type, quantity and date.")
        return data

    def add_service_error(self, field: str | None, message: str) -> None:
        """Show a refusal of the service beside the field it names (or above the form)."""
        for prefix, name in SERVICE_FIELDS.items():
            if field and (field == prefix or field.startswith(prefix + ".")):
                self.add_error(name, message)
                return
        self.add_error(None, message)

    def scenario(self) -> dict[str, Any]:
        """The scenario document the service takes."""
        d = self.cleaned_data
        sc: dict[str, Any] = {"name": d["name"]}
        if d.get("exclude_donors"):
            sc["exclude_donors"] = [p.code for p in d["exclude_donors"]]
        if d.get("delay_donor"):
            sc["delay_donors"] = {d["delay_donor"].code: d["delay_months"]}
        if d.get("stall_packages"):
            sc["stall_packages"] = [p.pk for p in d["stall_packages"]]
        if d.get("delay_package"):
            sc["delay_packages"] = {str(d["delay_package"].pk): d["delay_package_months"]}
        if d.get("scale_donor"):
            sc["scale_donors"] = {d["scale_donor"].code: float(d["scale_factor"])}
        if d.get("add_donor"):
            sc["add_offers"] = [
                {
                    "donor": d["add_donor"].code,
                    "item_type": d["add_item_type"].code,
                    "quantity": d["add_quantity"],
                    "available_from": d["add_available_from"].isoformat(),
                }
            ]
        return sc
