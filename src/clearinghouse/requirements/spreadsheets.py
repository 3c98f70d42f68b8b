"""Spreadsheets of requirements: import (CSV or XLSX, all or nothing) and export.

The reading, the checks every kind shares and the one-transaction write are `core.tabular`'s; here
are the columns, the row checks and the service a row goes through
(`requirements.services.upsert_requirement`). Rows are keyed by external_ref (per owner): importing
the same file again creates nothing, a changed row updates its requirement (audited by the
service), an unchanged row writes nothing. Export writes exactly what the user may see (the same
selectors as the pages and the API) with the import's columns, so an exported file imports again
without changes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.db import transaction

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core import cleaning, tabular
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import DomainError, PermissionDenied, RowErrors
from clearinghouse.core.tabular import ImportSummary, Progress, RowChecker, SpreadsheetError, attempt
from clearinghouse.requirements import consumption, policies, selectors, services
from clearinghouse.requirements.choices import Priority
from clearinghouse.requirements.equivalence import join_item_types, split_item_types
from clearinghouse.requirements.models import Requirement

KIND = "requirements"
COLUMNS: tuple[str, ...] = (
    "external_ref",
    "capability",
    "item_types",
    "quantity",
    "priority",
    "needed_by",
    "releasability",
    "notes",
    "rate_per_month",
    "from_month",
    "to_month",
    "illustrative",
)
# The HXL hashtags of the columns (`?hxl=true` on the export; hxlstandard.org core hashtags).
HXL: dict[str, str] = {
    "external_ref": "#activity +code +requirement",
    "capability": "#sector +code",
    "item_types": "#item +code",
    "quantity": "#item +num +needed",
    "priority": "#indicator +priority",
    "needed_by": "#date +needed",
    "releasability": "#meta +releasability",
    "notes": "#description",
    "illustrative": "#meta +illustrative",
}
# Columns a file may leave out: `illustrative` (demo or training data) is false for a new record and
# unchanged for an existing one when the column is absent or its cell blank; the rate columns
# (consumption requirements: rate_per_month units a month from from_month to to_month, YYYY-MM) are
# left as they are when absent, and a blank cell means no rate.
OPTIONAL_COLUMNS = frozenset({"illustrative", *consumption.RATE_FIELDS})
# A service error about a field that is not a column is reported at the column it comes from.
FIELD_TO_COLUMN = {"owner": "external_ref", "unit": "quantity"}


class RequirementChecker(RowChecker):
    """Checks of a requirement row, with the catalog's codes fetched once."""

    def __init__(self, *, actor: Actor, sheet: tabular.Sheet) -> None:
        super().__init__(actor=actor, sheet=sheet)
        self.item_types = set(catalog_selectors.item_type_list(user=actor).values_list("code", flat=True))
        self.capabilities = set(catalog_selectors.capability_list(user=actor).values_list("code", flat=True))

    def item_type_list(self, row: int, data: dict[str, str]) -> None:
        codes, _ = self.field(row, split_item_types, data["item_types"], "item_types")
        if not codes:
            raise self.sheet.error(
                row,
                "item_types",
                "required: one or more item type codes, separated by ; (CODE:factor to override a factor)",
            )
        for code in codes:
            if code not in self.item_types:
                raise self.sheet.error(row, "item_types", f"unknown item type {code!r} (see the catalog)")

    def capability(self, row: int, data: dict[str, str]) -> None:
        capability = self.field(row, cleaning.text, data["capability"], "capability", max_length=40)
        if capability and capability not in self.capabilities:
            raise self.sheet.error(
                row, "capability", f"unknown capability area {capability!r} (see the catalog)"
            )

    def rate(self, row: int, data: dict[str, str]) -> None:
        """The quantity, or the rate columns (all three, from ≤ to, quantity blank or rate × months)."""
        if any(not cleaning.blank(data.get(c)) for c in consumption.RATE_FIELDS):
            try:
                consumption.clean_rate(data)
            except DomainError as exc:
                raise self.sheet.from_domain(row, exc, "rate_per_month") from None
        else:
            self.field(row, cleaning.integer, data["quantity"], "quantity")

    def check(self, row: int, data: dict[str, str]) -> tuple[dict[str, Any], list[SpreadsheetError]]:
        """The row ready for the services, and every error found in it."""
        errors: list[SpreadsheetError] = []
        attempt(errors, self.reference, row, data, "")
        attempt(errors, self.capability, row, data)
        attempt(errors, self.item_type_list, row, data)
        attempt(errors, self.rate, row, data)
        attempt(
            errors,
            self.field,
            row,
            cleaning.choice,
            data["priority"],
            "priority",
            choices=Priority,
            default=Priority.MEDIUM,
        )
        attempt(errors, self.field, row, cleaning.date, data["needed_by"], "needed_by", required=False)
        self.common(row, data, errors)
        return data, errors


TABLE = tabular.TableKind(
    kind=KIND,
    columns=COLUMNS,
    checker=RequirementChecker,
    optional=OPTIONAL_COLUMNS,
    field_to_column=FIELD_TO_COLUMN,
)


def may_import(actor: Actor) -> None:
    """Only the recipient's officers (and admins) import requirements."""
    if not policies.may_enter(actor):
        raise PermissionDenied("Only the recipient's officers import requirements.")


def import_file(
    *, actor: Actor, path: Path, progress: Progress | None = None, name: str | None = None
) -> ImportSummary:
    """Import a CSV or XLSX file of requirements, all or nothing, as `actor` (see `core.tabular`)."""
    may_import(actor)
    return tabular.import_table(
        TABLE, actor=actor, path=path, writer=lambda: _writer(actor), progress=progress, name=name
    )


def _writer(actor: Actor) -> tabular.Writer:
    """Writes a batch of rows as `requirements.services.upsert_requirement` would, row by row, but
    the new ones together (`create_requirements`: bulk inserts, one audit event each); a row whose
    reference exists goes through `upsert_requirement` (which updates it, or finds it unchanged)."""
    catalog = services.LoadedCatalog()

    def write(batch: list[tuple[int, dict[str, Any]]]) -> tuple[Counter[str], list[tuple[int, DomainError]]]:
        refs = {data["external_ref"].strip() for _, data in batch}
        # Any owner's: the service decides whose (an admin imports for the only recipient).
        existing = set(
            Requirement.objects.filter(external_ref__in=refs).values_list("external_ref", flat=True)
        )
        counts: Counter[str] = Counter()
        refused: list[tuple[int, DomainError]] = []
        new: list[tuple[int, dict[str, Any]]] = []
        for number, data in batch:
            if data["external_ref"].strip() not in existing:
                new.append((number, data))
                continue
            try:
                with transaction.atomic():  # a refused row is undone alone, the others reported too
                    _, outcome = services.upsert_requirement(actor=actor, data=data)
            except DomainError as exc:
                refused.append((number, exc))
                continue
            counts[outcome] += 1
        if new:
            try:
                with transaction.atomic():
                    services.create_requirements(actor=actor, rows=[d for _, d in new], catalog=catalog)
            except RowErrors as exc:
                refused += [(new[index][0], error) for index, error in exc.errors]
            except DomainError as exc:  # refused as a whole (the database, or who may write)
                refused.append((new[0][0], exc))
            else:
                counts["created"] += len(new)
        return counts, refused

    return write


def export_rows(*, user: Actor, **filters: Any) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The columns and the rows (native values) of the requirements `user` may see, as the import
    reads them."""
    requirements = selectors.requirement_list(user=user, **filters)
    return COLUMNS, [
        [
            r.external_ref,
            r.capability.code,
            ";".join(join_item_types(sorted(t.code for t in r.item_types.all()), r.item_factors or {})),
            r.quantity,
            r.priority,
            None if r.is_rate else r.needed_by,
            r.releasability,
            r.notes,
            r.rate_per_month,
            r.from_month_text,
            r.to_month_text,
            r.illustrative,
        ]
        for r in requirements
    ]


def export_file(*, user: Actor, fmt: str, hxl: bool = False, **filters: Any) -> tuple[bytes, str, str]:
    """The requirements `user` may see as a file: (content, content type, file name); `hxl`: the
    CSV with the HXL hashtag row under the header (the import skips it)."""
    chosen = {k: v for k, v in filters.items() if v}
    return tabular.export_file(
        kind=KIND, fmt=fmt, read=lambda: export_rows(user=user, **chosen), hxl=HXL if hxl else None
    )
