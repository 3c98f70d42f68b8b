"""Spreadsheets of pledges: import (CSV or XLSX, all or nothing) and export.

The reading, the checks every kind shares and the one-transaction write are `core.tabular`'s; here
are the columns, the row checks and the services a row goes through (create_pledge or
update_pledge, as `pledges.services.upsert_pledge` does). Rows are keyed by external_ref (per
donor): importing the same file again creates nothing, a changed row updates its pledge (audited
by the service), an unchanged row writes nothing. Export writes exactly what the user may see (the
same selectors as the pages and the API) with the import's columns, so an exported file imports
again without changes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from clearinghouse.catalog import selectors as catalog_selectors
from clearinghouse.core import cleaning, fx, tabular
from clearinghouse.core.actors import Actor, signed_in
from clearinghouse.core.errors import DomainError, PermissionDenied, RowErrors
from clearinghouse.core.tabular import FAILED, ImportSummary, Progress, RowChecker, SpreadsheetError, attempt
from clearinghouse.participants import selectors as participant_selectors
from clearinghouse.participants.permissions import is_coordination_cell
from clearinghouse.pledges import policies, selectors, services
from clearinghouse.pledges.choices import PledgeKind

KIND = "pledges"
COLUMNS: tuple[str, ...] = (
    "external_ref",
    "donor",
    "kind",
    "item_type",
    "quantity",
    "unit_value",
    "amount",
    "currency",
    "available_from",
    "releasability",
    "notes",
    "earmark",
    "illustrative",
)
# The HXL hashtags of the columns (`?hxl=true` on the export; hxlstandard.org core hashtags).
HXL: dict[str, str] = {
    "external_ref": "#activity +code +pledge",
    "donor": "#country +code +donor",
    "kind": "#activity +type",
    "item_type": "#item +code",
    "quantity": "#item +num",
    "unit_value": "#value +unit",
    "amount": "#value",
    "currency": "#currency",
    "available_from": "#date +start",
    "releasability": "#meta +releasability",
    "notes": "#description",
    "illustrative": "#meta +illustrative",
}
# Columns a file may leave out: `illustrative` (demo or training data) is false for a new record and
# unchanged for an existing one when the column is absent or its cell blank; `earmark` (financial:
# military_procurement) likewise: none for a new record, unchanged for an existing one.
OPTIONAL_COLUMNS = frozenset({"illustrative", "earmark"})
# A service error about a field that is not a column is reported at the column it comes from.
FIELD_TO_COLUMN = {"tranches": "amount", "owner": "external_ref", "pledge": "item_type", "unit": "quantity"}


class PledgeChecker(RowChecker):
    """Checks of a pledge row, with the codes the file may use fetched once."""

    def __init__(self, *, actor: Actor, sheet: tabular.Sheet) -> None:
        super().__init__(actor=actor, sheet=sheet)
        self.item_types = set(catalog_selectors.item_type_list(user=actor).values_list("code", flat=True))
        self.participants = set(
            participant_selectors.participant_list(user=actor).values_list("code", flat=True)
        )
        self.currencies = fx.known_currencies()

    def donor(self, row: int, data: dict[str, str]) -> str:
        donor = data["donor"].strip().upper()
        if not donor:
            raise self.sheet.error(row, "donor", "required: the donor's code (ISO alpha-3, e.g. USA)")
        if donor not in self.participants:
            raise self.sheet.error(
                row,
                "donor",
                f"unknown donor {data['donor'][:40]!r}: use the participant's code (e.g. USA, DEU)",
            )
        if not is_coordination_cell(self.actor) and donor != (own := signed_in(self.actor).participant.code):
            raise self.sheet.error(
                row,
                "donor",
                f"{donor} is not your participant: an officer of {own} imports only {own}'s pledges",
                status=PermissionDenied.status,
            )
        return donor

    def item_type(self, row: int, data: dict[str, str]) -> str:
        code = self.field(row, cleaning.text, data["item_type"], "item_type", max_length=40)
        if code and code not in self.item_types:
            raise self.sheet.error(row, "item_type", f"unknown item type {code!r} (see the catalog)")
        return str(code)

    def currency(self, row: int, data: dict[str, str]) -> None:
        if data["currency"] and data["currency"].upper() not in self.currencies:
            self.field(row, _currency, data["currency"], "currency")

    def check(self, row: int, data: dict[str, str]) -> tuple[dict[str, Any], list[SpreadsheetError]]:
        """The row ready for the services, and every error found in it."""
        errors: list[SpreadsheetError] = []
        donor = attempt(errors, self.donor, row, data)
        if donor is not FAILED:
            attempt(errors, self.reference, row, data, donor)
        kind = attempt(errors, self.field, row, cleaning.choice, data["kind"], "kind", choices=PledgeKind)
        code = attempt(errors, self.item_type, row, data)
        quantity = attempt(
            errors, self.field, row, cleaning.integer, data["quantity"], "quantity", required=False
        )
        attempt(
            errors,
            self.field,
            row,
            cleaning.money,
            data["unit_value"],
            "unit_value",
            required=False,
            positive=False,
        )
        amount = attempt(errors, self.field, row, cleaning.money, data["amount"], "amount", required=False)
        attempt(errors, self.currency, row, data)
        attempt(errors, self.field, row, cleaning.date, data["available_from"], "available_from")
        if kind == PledgeKind.IN_KIND:
            if code == "":
                errors.append(self.sheet.error(row, "item_type", "required for an in-kind pledge"))
            if quantity is None:
                errors.append(self.sheet.error(row, "quantity", "required for an in-kind pledge"))
        elif kind == PledgeKind.FINANCIAL and amount is None:
            errors.append(self.sheet.error(row, "amount", "required for a financial pledge"))
        self.common(row, data, errors)
        return {**data, "donor": donor, "kind": kind}, errors


def _currency(value: Any, field: str) -> str:
    return fx.validate_currency(value, field=field)


TABLE = tabular.TableKind(
    kind=KIND,
    columns=COLUMNS,
    checker=PledgeChecker,
    optional=OPTIONAL_COLUMNS,
    field_to_column=FIELD_TO_COLUMN,
)


def may_import(actor: Actor) -> None:
    """Donor officers import pledges for their own participant; the coordination cell and admins
    for any donor (on the donor's behalf: the audit names who imported and the pledge its donor)."""
    if not policies.may_import(actor):
        raise PermissionDenied(
            "Only donor officers (for their own participant) and the coordination cell import pledges."
        )


def import_file(
    *, actor: Actor, path: Path, progress: Progress | None = None, name: str | None = None
) -> ImportSummary:
    """Import a CSV or XLSX file of pledges, all or nothing, as `actor` (see `core.tabular`)."""
    may_import(actor)
    return tabular.import_table(
        TABLE, actor=actor, path=path, writer=lambda: _writer(actor), progress=progress, name=name
    )


def _writer(actor: Actor) -> tabular.Writer:
    """Writes a batch of rows as `pledges.services.upsert_pledge` would, row by row, but in bulk.

    The batch's existing pledges are read in one query. A row that states exactly what is stored
    (as an export writes it) is "unchanged" without a call, since the service would find nothing to
    change; a changed row goes through `update_pledge` (anything less certain, such as a blank unit
    value that the service values again from the catalog, too); the new rows go through
    `create_pledges` together (checked as `create_pledge` checks one, bulk inserts, one audit
    event each). The catalog is read once for the whole file.
    """
    catalog = services.LoadedCatalog()

    def write(batch: list[tuple[int, dict[str, Any]]]) -> tuple[Counter[str], list[tuple[int, DomainError]]]:
        existing = {
            (p.owner.code, p.external_ref): (p.pk, p.version, _pledge_row(p))
            for p in selectors.pledge_list(user=actor)
            .filter(
                owner__code__in={data["donor"] for _, data in batch},
                external_ref__in={data["external_ref"].strip() for _, data in batch},
            )
            .select_related("owner", "item_type")
            .order_by()
        }
        counts: Counter[str] = Counter()
        refused: list[tuple[int, DomainError]] = []
        new: list[tuple[int, dict[str, Any]]] = []
        for number, data in batch:
            found = existing.get((data["donor"], data["external_ref"].strip()))
            if found is None:
                new.append((number, data))
            elif _same(found[2], data):
                counts["unchanged"] += 1
            else:
                try:
                    with transaction.atomic():  # a refused row is undone alone, the others reported too
                        changes = {
                            k: v for k, v in data.items() if not (k == "earmark" and cleaning.blank(v))
                        }
                        pledge = services.update_pledge(
                            actor=actor, pledge_id=found[0], changes=changes, on_behalf=True
                        )
                except DomainError as exc:
                    refused.append((number, exc))
                    continue
                counts["unchanged" if pledge.version == found[1] else "updated"] += 1
        if new:
            try:
                with transaction.atomic():
                    services.create_pledges(
                        actor=actor, rows=[data for _, data in new], catalog=catalog, on_behalf=True
                    )
            except RowErrors as exc:
                refused += [(new[index][0], error) for index, error in exc.errors]
            except DomainError as exc:  # the database refused the batch as a whole
                refused.append((new[0][0], exc))
            else:
                counts["created"] += len(new)
        return counts, refused

    return write


def _same(stored: list[Any], data: dict[str, Any]) -> bool:
    """Whether a row's cells state exactly the stored values (numbers and dates compared as such)."""
    if not stored:
        return False
    for column, value in zip(COLUMNS, stored, strict=True):
        if column in OPTIONAL_COLUMNS and cleaning.blank(data.get(column)):
            continue  # absent or blank: the stored value stays
        cell = str(data[column]).strip()
        if isinstance(value, bool):
            if cleaning.boolean(cell, column) != value:
                return False
        elif value is None or value == "":
            if cell:
                return False
        elif isinstance(value, int | Decimal):
            if not cell or Decimal(cell) != value:
                return False
        elif isinstance(value, dt.date):
            if cell != value.isoformat():
                return False
        elif column in ("kind", "releasability", "earmark"):
            if cell.lower() != value:
                return False
        elif column in ("donor", "currency"):
            if cell.upper() != value:
                return False
        elif cell != value:
            return False
    return True


def _pledge_row(p: Any) -> list[Any]:
    """A pledge in the spreadsheet's columns (native values)."""
    return [
        p.external_ref,
        p.owner.code,
        p.kind,
        p.item_type.code if p.item_type else "",
        p.quantity,
        p.unit_value,
        p.amount,
        p.currency,
        p.available_from,
        p.releasability,
        p.notes,
        p.earmark,
        p.illustrative,
    ]


# --- export ----------------------------------------------------------------------------------------


def export_rows(*, user: Actor, **filters: Any) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The columns and the rows (native values) of the pledges `user` may see, as the import reads them."""
    pledges = selectors.pledge_list(user=user, **filters).order_by("owner__code", "id")
    return COLUMNS, [_pledge_row(p) for p in pledges.iterator(chunk_size=2000)]


def export_file(*, user: Actor, fmt: str, hxl: bool = False, **filters: Any) -> tuple[bytes, str, str]:
    """The pledges `user` may see as a file: (content, content type, file name); `hxl`: the CSV
    with the HXL hashtag row under the header (the import skips it)."""
    chosen = {k: v for k, v in filters.items() if v}
    return tabular.export_file(
        kind=KIND, fmt=fmt, read=lambda: export_rows(user=user, **chosen), hxl=HXL if hxl else None
    )
