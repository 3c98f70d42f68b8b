"""Bulk imports: batches of rows checked and written together, still one audit event per record,
the chain one verifying line, and still all or nothing (a bad row anywhere: nothing written).

These run on whichever database the suite runs on (SQLite by default, PostgreSQL in CI).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.core import audit, tabular
from clearinghouse.core.errors import InvalidInput
from clearinghouse.core.models import AuditEvent
from clearinghouse.pledges.models import Pledge
from clearinghouse.pledges.services import pledge_snapshot
from clearinghouse.pledges.tests import factories
from clearinghouse.requirements import services as requirement_services
from clearinghouse.requirements.models import Requirement
from clearinghouse.requirements.spreadsheets import COLUMNS as REQUIREMENT_COLUMNS
from clearinghouse.spreadsheets import import_file
from tests import concurrency
from tests.test_spreadsheets import (
    PLEDGE_ROW,
    REQUIREMENT_ROW,
    write_csv,
)

BATCH = 40  # small batches, so that a file of a few hundred rows spans many of them


@pytest.fixture
def catalog(personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    factories.ensure_catalog()
    monkeypatch.setattr(tabular, "BATCH_ROWS", BATCH)
    return personas


def mixed_rows(n: int, prefix: str = "B") -> list[dict[str, Any]]:
    """In-kind rows valued by the donor and from the catalog, financial rows in three currencies."""
    rows = []
    for i in range(n):
        row = {**PLEDGE_ROW, "external_ref": f"{prefix}-{i}", "quantity": str(1 + i % 50)}
        if i % 4 == 1:
            row.update(unit_value="", currency="")  # valued from the catalog's reference price
        elif i % 4 == 2:
            row.update(
                kind="financial",
                item_type="",
                quantity="",
                unit_value="",
                amount=f"{1000 + i}.50",
                currency=("USD", "GBP", "EUR")[i % 3],
            )
        row["releasability"] = ("public", "contact_group", "owner", "coordination")[i % 4]
        row["available_from"] = (dt.date(2024, 1, 2) + dt.timedelta(days=i % 300)).isoformat()
        rows.append(row)
    return rows


def same_values(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal, numbers compared as numbers ('1' and '1.0000000000': a rate as given and as stored)."""

    def norm(v: Any) -> Any:
        try:
            return Decimal(v) if isinstance(v, str) and v[:1].isdigit() and "-" not in v else v
        except InvalidOperation:
            return v

    return a.keys() == b.keys() and all(norm(a[k]) == norm(b[k]) for k in a)


def assert_one_event_per_record(model: type[Any], label: str, snapshot: Any) -> None:
    """Every record has exactly one create event, whose `after` is the record as stored."""
    events = AuditEvent.objects.filter(object_type=label, action="create")
    per_object = Counter(events.values_list("object_id", flat=True))
    records = list(model.objects.all())
    assert set(per_object) == {str(r.pk) for r in records}
    assert set(per_object.values()) == {1}
    after = dict(events.values_list("object_id", "after"))
    for record in records:
        assert same_values(after[str(record.pk)], audit.jsonable(snapshot(record))), record.pk


def test_a_batch_import_writes_one_audit_event_per_pledge_and_the_chain_verifies(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    events = AuditEvent.objects.count()
    summary = import_file(
        actor=catalog["donor_usa"], path=write_csv(tmp_path / "p.csv", mixed_rows(250)), kind="pledges"
    )
    assert (summary.rows, summary.created) == (250, 250)
    assert Pledge.objects.count() == 250
    assert AuditEvent.objects.count() == events + 250
    assert_one_event_per_record(Pledge, "pledges.pledge", pledge_snapshot)
    # The chain is one line: consecutive sequences, each linked to the one before.
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    result = audit.verify()
    assert result.ok, result.reason
    assert result.checked == events + 250


def test_a_bulk_pledge_is_the_pledge_a_single_create_makes(catalog: dict[str, Any], tmp_path: Path) -> None:
    from clearinghouse.pledges import services

    rows = mixed_rows(8)
    import_file(actor=catalog["donor_usa"], path=write_csv(tmp_path / "p.csv", rows), kind="pledges")
    for row in rows:
        single = services.create_pledge(
            actor=catalog["donor_usa"], data={**row, "external_ref": "S" + row["external_ref"]}
        )
        bulk = Pledge.objects.get(external_ref=row["external_ref"])
        fields = (
            "kind",
            "item_type_id",
            "quantity",
            "unit_value",
            "amount",
            "currency",
            "value_amount",
            "value_eur",
            "fx_rate",
            "fx_date",
            "valuation_source",
            "releasability",
            "status",
        )
        assert {f: getattr(bulk, f) for f in fields} == {f: getattr(single, f) for f in fields}


def test_a_batch_import_of_requirements_writes_one_event_per_requirement(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    rows = [
        {
            **REQUIREMENT_ROW,
            "external_ref": f"R-{i}",
            "quantity": str(10 + i),
            "item_types": "AMM-155-HE;AMM-152-HE" if i % 2 else "AMM-155-HE",
        }
        for i in range(130)
    ]
    path = write_csv(tmp_path / "r.csv", rows, columns=REQUIREMENT_COLUMNS)
    summary = import_file(actor=catalog["recipient"], path=path, kind="requirements")
    assert summary.created == 130
    assert_one_event_per_record(Requirement, "requirements.requirement", requirement_services.snapshot)
    assert audit.verify().ok
    again = import_file(actor=catalog["recipient"], path=path, kind="requirements")
    assert (again.created, again.unchanged) == (0, 130)


@pytest.mark.parametrize("where", ["checks", "services"])
def test_a_bad_row_in_the_middle_of_a_large_file_writes_nothing(
    catalog: dict[str, Any], tmp_path: Path, where: str
) -> None:
    rows = mixed_rows(600)
    middle = 437  # spreadsheet row 439, in a batch long after earlier batches were written
    if where == "checks":
        rows[middle]["quantity"] = "many"
    else:
        # Valid cells, refused only by the service: an item type on a financial pledge.
        rows[middle].update(kind="financial", item_type="AMM-155-HE", quantity="", unit_value="", amount="10")
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as info:
        import_file(actor=catalog["donor_usa"], path=write_csv(tmp_path / "p.csv", rows), kind="pledges")
    assert info.value.message.startswith(f"p.csv, row {middle + 2}, column ")
    assert Pledge.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert audit.verify().ok


def test_a_row_whose_reference_exists_updates_its_pledge_among_new_ones(
    catalog: dict[str, Any], tmp_path: Path
) -> None:
    from clearinghouse.pledges import services

    services.create_pledge(actor=catalog["donor_usa"], data={**PLEDGE_ROW, "external_ref": "X-1"})
    rows = mixed_rows(100)
    rows[68]["external_ref"] = "X-1"
    rows[68]["quantity"] = "999"
    summary = import_file(
        actor=catalog["donor_usa"], path=write_csv(tmp_path / "p.csv", rows), kind="pledges"
    )
    assert (summary.created, summary.updated) == (99, 1)
    assert Pledge.objects.get(external_ref="X-1").quantity == 999


# --- several writers at once -----------------------------------------------------------------------


@pytest.fixture
def database_file(transactional_db: None, tmp_path: Path) -> Iterator[None]:
    """On SQLite, every connection of this test on a migrated database file (tests/concurrency.py)."""
    with concurrency.database_file(tmp_path / "writers.sqlite3"):
        yield


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_importers_and_writers_keep_one_chain(
    database_file: None, personas: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clearinghouse.participants.services import create_user
    from clearinghouse.pledges import services

    factories.ensure_catalog()
    monkeypatch.setattr(tabular, "BATCH_ROWS", 15)
    donors = [
        create_user(actor=None, username=f"usa{i}", participant="USA", role="donor_officer", password=None)
        for i in range(8)
    ]
    events = AuditEvent.objects.count()

    def writer(i: int) -> None:
        if i % 2:  # a bulk import of 45 rows (three batches)...
            path = write_csv(tmp_path / f"w{i}.csv", mixed_rows(45, prefix=f"W{i}"))
            import_file(actor=donors[i], path=path, kind="pledges")
        else:  # ...racing single writes
            for n in range(15):
                services.create_pledge(actor=donors[i], data={**PLEDGE_ROW, "external_ref": f"S{i}-{n}"})

    outcomes = concurrency.run_together(
        {f"w{i}": functools.partial(writer, i) for i in range(8)}, timeout=300
    )
    failures = [o for o in outcomes.values() if isinstance(o, BaseException)]
    assert not failures, failures
    added = 4 * 45 + 4 * 15
    assert Pledge.objects.count() == added
    assert AuditEvent.objects.count() == events + added
    assert_one_event_per_record(Pledge, "pledges.pledge", pledge_snapshot)
    result = audit.verify()
    assert result.ok, result.reason
