"""Forms of the requirement pages, and the machinery the pledge forms share with them.

Validation is the services' own, never a second copy: each field is cleaned by the functions the
services use for API bodies and spreadsheet rows (`requirements/cleaning.py`), so a field shows the
same message the API and the import give; the whole record is then checked by the very service call
a submit makes, run inside a transaction that is always rolled back (`dry_run`), so permissions,
duplicates, valuation and currency rules are checked exactly as they will be on submit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from django import forms
from django.db import transaction

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core.choices import Releasability
from clearinghouse.core.errors import DomainError
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.requirements import cleaning
from clearinghouse.requirements.choices import Priority


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


def item_type_choices(user: Any) -> list[tuple[str, Any]]:
    """Item types grouped by capability area, for a select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in catalog_selectors.item_type_list(user=user):
        groups.setdefault(item.capability.name, []).append((item.code, f"{item.code} · {item.name}"))
    return list(groups.items())


def set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    """The choices of a select, read for the user."""
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def participant_choices(user: Any) -> list[tuple[str, str]]:
    return [(p.code, f"{p.code} · {p.name}") for p in participant_selectors.participant_list(user=user)]


class ServiceForm(forms.Form):
    """A form cleaned by the services' cleaning functions, showing service errors beside their field.

    With `validate_url`, every input posts the whole form there on change (HTMX) and the answer
    re-renders the fields' error lists.
    """

    # A service field that is not a form field -> the form field that shows its errors.
    field_map: dict[str, str] = {}
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
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    quantity = forms.CharField(required=False, widget=forms.NumberInput(attrs={"min": 1, "step": 1}))
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
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    FIELDS = (
        "external_ref",
        "capability",
        "item_types",
        "quantity",
        "unit",
        "priority",
        "needed_by",
        "releasability",
        "releasable_to",
        "notes",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
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
        return self.check("quantity", cleaning.integer)  # type: ignore[no-any-return]

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
            "quantity": requirement.quantity,
            "unit": requirement.unit,
            "priority": requirement.priority,
            "needed_by": requirement.needed_by.isoformat() if requirement.needed_by else "",
            "releasability": requirement.releasability,
            "releasable_to": [p.code for p in requirement.releasable_to.all()],
            "notes": requirement.notes,
        }
