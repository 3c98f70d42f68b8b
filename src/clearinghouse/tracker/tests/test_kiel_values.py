"""A release with an implausible value, a control character or a missing file imports nothing.

Each of these used to be imported and to become the current release, after which the reports and
the public page answered 500 for everyone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from clearinghouse.tracker import services
from clearinghouse.tracker.kiel import KielFormatError
from clearinghouse.tracker.models import KielFlow, KielRelease, KielWeapons
from clearinghouse.tracker.tests.kiel_files import R29, copy_release, set_cell

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(reference_data: None) -> Any:
    from clearinghouse.participants.services import create_user

    return create_user(
        actor=None, username="coordinator", participant="NATO", role="coordinator", password=None
    )


BAD_VALUES = {
    "infinite for the database": (
        "data_explorer.csv",
        4,
        "military",
        "1e400",
        "data_explorer.csv, row 4, column 'military': '1e400' is outside the plausible range 0 to 1000",
    ),
    "negative where the tracker never is": (
        "data_explorer.csv",
        4,
        "financial",
        "-5",
        "data_explorer.csv, row 4, column 'financial': '-5' is outside the plausible range 0 to 1000",
    ),
    "38 digits": (
        "total_allocations.csv",
        3,
        "military",
        "1" * 38,
        "total_allocations.csv, row 3, column 'military': '" + "1" * 38 + "' is outside the plausible range",
    ),
    "more decimals than storage keeps": (
        "data_explorer.csv",
        4,
        "humanitarian",
        "0.0000000001",
        "data_explorer.csv, row 4, column 'humanitarian': '0.0000000001' has more than 9 decimals",
    ),
    "a weapons count beyond any stock": (
        "weapons.csv",
        2,
        "number_of_weapons",
        "99999999999",
        "weapons.csv, row 2, column 'number_of_weapons': '99999999999' is outside the plausible range",
    ),
    "a weapons value in the quadrillions": (
        "weapons.csv",
        2,
        "monetary_value_eur",
        "5e15",
        "weapons.csv, row 2, column 'monetary_value_eur': '5e15' is outside the plausible range",
    ),
    "NUL in a country's name": (
        "data_explorer.csv",
        5,
        "country",
        "Aus\x00tralia",
        "data_explorer.csv, row 5, column 'country': control character U+0000 (NUL)",
    ),
    "a release dated in year 1": (
        "release_info.csv",
        2,
        "date",
        "0001-01-01",
        "release_info.csv, row 2, column 'date': 0001-01-01 is outside 1990-01-01 to 2100-12-31",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_an_implausible_value_refuses_the_whole_release(case: str, coordinator: Any, tmp_path: Path) -> None:
    name, row, column, value, message = BAD_VALUES[case]
    directory = copy_release(R29, tmp_path / "r29")
    set_cell(directory, name, row, column, value)
    with pytest.raises(KielFormatError) as caught:
        services.import_kiel_release(actor=coordinator, directory=directory)
    assert caught.value.message.startswith(message), caught.value.message
    assert KielRelease.objects.count() == KielFlow.objects.count() == KielWeapons.objects.count() == 0


def test_the_tracker_s_own_negative_column_stays_accepted(coordinator: Any, tmp_path: Path) -> None:
    # to_be_allocated is negative in the tracker's own data (R29 has -9.680666): not a typo.
    directory = copy_release(R29, tmp_path / "r29")
    set_cell(directory, "data_explorer.csv", 4, "to_be_allocated", "-0.5")
    assert services.import_kiel_release(actor=coordinator, directory=directory).release.is_current


def test_a_release_without_weapons_csv_is_refused(coordinator: Any, tmp_path: Path) -> None:
    directory = copy_release(R29, tmp_path / "r29")
    (directory / "weapons.csv").unlink()
    with pytest.raises(KielFormatError, match=r"^weapons.csv: required file missing"):
        services.import_kiel_release(actor=coordinator, directory=directory)
    assert KielRelease.objects.count() == 0


def test_after_a_refused_release_the_public_page_and_reports_still_answer(
    coordinator: Any, tmp_path: Path, api_client: Any
) -> None:
    services.import_kiel_release(actor=coordinator, directory=R29)
    broken = copy_release(R29, tmp_path / "r29")
    set_cell(broken, "release_info.csv", 2, "release", "30")
    set_cell(broken, "data_explorer.csv", 4, "military", "1e400")
    with pytest.raises(KielFormatError):
        services.import_kiel_release(actor=coordinator, directory=broken)
    assert KielRelease.objects.get(is_current=True).number == 29
    assert Client().get("/public/").status_code == 200
    client = api_client(coordinator)
    for report in ("totals", "donors", "groups", "weapons"):
        assert client.get(f"/api/v1/reports/{report}").status_code == 200, report


def test_every_malformed_row_of_a_release_is_reported(coordinator: Any, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    directory = copy_release(R29, tmp_path / "r29")
    set_cell(directory, "data_explorer.csv", 4, "military", "-5")
    set_cell(directory, "data_explorer.csv", 9, "gdp", "n/a")
    set_cell(directory, "weapons.csv", 3, "number_of_weapons", "many")
    with pytest.raises(KielFormatError) as caught:
        services.import_kiel_release(actor=coordinator, directory=directory)
    assert caught.value.message.splitlines() == [
        "3 errors in the release, nothing was imported:",
        "data_explorer.csv, row 4, column 'military': '-5' is outside the plausible range 0 to 1000",
        "data_explorer.csv, row 9, column 'gdp': not a number: 'n/a'",
        "weapons.csv, row 3, column 'number_of_weapons': not a whole number: 'many'",
    ]
    with pytest.raises(CommandError, match=r"^3 errors in the release, nothing was imported:\n"):
        call_command("import", "kiel", str(directory), "--as", "coordinator", stdout=StringIO())
    assert KielRelease.objects.count() == 0
