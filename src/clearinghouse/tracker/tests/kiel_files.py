"""Test helpers: the release directories, copies to break, and a small release for route tests.

The figures the tests check are recomputed here from the CSV files with the csv module and
Decimal only: nothing of the importer or the reports is used to compute the expected values.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from clearinghouse.core import clock

R29 = Path(__file__).resolve().parents[1] / "data" / "kiel-r29"  # the copy shipped with the package
R31_PREVIEW = Path(__file__).resolve().parent / "data" / "kiel-r31-preview"


def copy_release(source: Path, target: Path) -> Path:
    """A writable copy of a release directory (to break on purpose)."""
    shutil.copytree(source, target)
    return target


def rows(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(
    directory: Path, name: str, data: list[dict[str, str]], fields: list[str] | None = None
) -> None:
    fields = fields or list(data[0])
    with (directory / name).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        for r in data:
            writer.writerow({k: r[k] for k in fields})


def set_cell(directory: Path, name: str, row_number: int, column: str, value: str) -> None:
    """Change one cell; `row_number` counts the header as row 1 (as the importer's messages do)."""
    data = rows(directory, name)
    data[row_number - 2][column] = value
    write_rows(directory, name, data)


def explorer_sums(directory: Path = R29) -> dict[str, Any]:
    """Independent sums over data_explorer.csv: per donor and type, per year, per month, GDP."""
    by_donor: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    by_year: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    by_month: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    gdp: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    for r in rows(directory, "data_explorer.csv"):
        names[r["iso"]] = r["country"]
        gdp[r["iso"]] = Decimal(r["gdp"])
        period = f"{r['year']}-{int(r['month']):02d}"
        for t in ("military", "financial", "humanitarian", "total", "commitments"):
            if t in r:
                value = Decimal(r[t])
                by_donor[r["iso"]][t] += value
                by_year[r["year"]][t] += value
                by_month[period][t] += value
    return {"by_donor": by_donor, "by_year": by_year, "by_month": by_month, "gdp": gdp, "names": names}


def tiny_release(number: int = 1, *, current: bool = True, military_usa: str = "1.5") -> Any:
    """A small release written straight to the tables (for authorisation and page tests only)."""

    from clearinghouse.participants.models import Participant
    from clearinghouse.tracker.models import KielFlow, KielGdp, KielRelease, KielWeapons

    if current:
        KielRelease.objects.filter(is_current=True).update(is_current=False)
    release = KielRelease.objects.create(
        number=number,
        period="01/2024",
        date=dt.date(2024, 2, 1),
        label=f"Ukraine Support Tracker, Release {number} (01/2024)",
        imported_at=clock.now(),
        digest=f"{number:064d}",
        is_current=current,
        counts={"flows": 8},
    )
    usa, deu = Participant.objects.get(code="USA"), Participant.objects.get(code="DEU")
    values = {
        usa: {"military": military_usa, "financial": "0.5", "humanitarian": "0", "total": "2.0"},
        deu: {"military": "0.7", "financial": "0", "humanitarian": "0.1", "total": "0.8"},
    }
    for donor, by_type in values.items():
        for t, v in by_type.items():
            KielFlow.objects.create(
                release=release, participant=donor, year=2024, month=1, type=t, value=Decimal(v)
            )
        KielFlow.objects.create(
            release=release,
            participant=donor,
            year=2024,
            month=1,
            type="commitments",
            value=Decimal(by_type["total"]),
        )
        KielFlow.objects.create(
            release=release, participant=donor, year=2024, month=1, type="to_be_allocated", value=Decimal(0)
        )
    KielGdp.objects.create(release=release, participant=usa, gdp_eur_bn=Decimal("20000"))
    KielGdp.objects.create(release=release, participant=deu, gdp_eur_bn=Decimal("3600"))
    KielWeapons.objects.create(
        release=release,
        participant=usa,
        category="Howitzers",
        count=10,
        value_eur=Decimal("50000000"),
        models_list=[{"name": "M777 howitzer", "count": 10}],
    )
    return release
