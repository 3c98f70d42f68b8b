"""Shipment status from a carrier's CSV (or XLSX): one event per row, all or nothing.

Columns: `reference` (the carrier's reference of the shipment), `state`, `at` (the event's time,
ISO 8601) and, optionally, `site` (a site code). The file is read by the spreadsheet imports' reader
(core.tabular: the same limits and file/row/column errors); every row is applied through
`services.record_event` in one transaction, and one bad row refuses the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from clearinghouse.core import tabular
from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import DomainError
from clearinghouse.logistics import services
from clearinghouse.logistics.models import Shipment

COLUMNS = ("reference", "state", "at", "site")
OPTIONAL = frozenset({"site"})


def _shipment(actor: Actor, sheet: tabular.Sheet, number: int, reference: str) -> int:
    if not reference.strip():
        raise sheet.error(number, "reference", "required: the carrier's reference of the shipment")
    if not reference.isprintable() or len(reference) > 100:
        raise sheet.error(number, "reference", "not a reference: control characters or over 100 characters")
    ids = list(
        Shipment.objects.restrict(actor, "view")
        .filter(reference=reference.strip())
        .values_list("pk", flat=True)[:2]
    )
    if not ids:
        raise sheet.error(
            number, "reference", f"no shipment with reference {reference.strip()!r}", status=404
        )
    if len(ids) > 1:
        raise sheet.error(number, "reference", f"more than one shipment has reference {reference.strip()!r}")
    return int(ids[0])


def import_carrier_file(*, actor: Actor, path: Path, name: str | None = None) -> dict[str, Any]:
    """Apply a carrier's status file: {"file", "rows", "events"}; ImportErrors (nothing applied) when
    any row is wrong."""
    label = name or path.name
    rows = tabular.iter_table(path, label, widest=len(COLUMNS))
    sheet = tabular.header(label, "carrier status", next(rows, None), columns=COLUMNS, optional=OPTIONAL)
    errors = tabular.ErrorList(label)
    count = 0
    with transaction.atomic():
        for number, cells in enumerate(rows, start=2):
            if not any(c.strip() for c in cells):
                continue
            count += 1
            try:
                data = tabular.row_data(sheet, number, cells)
                shipment_id = _shipment(actor, sheet, number, data["reference"])
                services.record_event(
                    actor=actor,
                    shipment_id=shipment_id,
                    state=data["state"],
                    at=data["at"],
                    site=data.get("site") or None,
                    source=f"carrier:{label}"[:120],
                )
            except tabular.SpreadsheetError as exc:
                errors.add(exc)
            except DomainError as exc:
                errors.add(sheet.from_domain(number, exc, "state"))
        if count == 0:
            errors.add(sheet.error(2, "reference", "the file has no rows below its header"))
        errors.raise_any()
    return {"file": label, "rows": count, "events": count}
