"""Choices of catalog records for the forms of other apps, and the price revision form."""

from __future__ import annotations

from typing import Any

from django import forms

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core.actors import Actor
from clearinghouse.core.forms import set_choices
from clearinghouse.core.money import AmountFormField


def item_type_choices(user: Actor) -> list[tuple[str, Any]]:
    """Item types grouped by capability area, for a select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in catalog_selectors.item_type_list(user=user):
        groups.setdefault(item.capability.name, []).append((item.code, f"{item.code} · {item.name}"))
    return list(groups.items())


class PriceRevisionForm(forms.Form):
    """A revised reference unit value of an item type, from a date (catalog.services.revise_price)."""

    item_type = forms.ChoiceField(label="Item type")
    unit_value = AmountFormField(label="Reference unit value")
    currency = forms.CharField(max_length=3, initial="EUR", help_text="ISO 4217, e.g. EUR, USD.")
    valid_from = forms.DateField(
        label="Valid from", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    source = forms.CharField(max_length=300, help_text="Where the price comes from (a contract, a list).")

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "item_type", [("", "—"), *item_type_choices(user)])
