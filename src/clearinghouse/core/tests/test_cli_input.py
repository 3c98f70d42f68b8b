"""The command line answers bad input with one readable line, never a traceback, and never runs
against a database that is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command


def _run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CLEARINGHOUSE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "clearinghouse", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_a_data_dir_without_a_database_is_named_and_nothing_is_created(tmp_path: Path) -> None:
    data_dir = tmp_path / "nowhere"
    done = _run("pledges", "list", "--as", "analyst", data_dir=data_dir)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"clearinghouse: no database at {data_dir / 'clearinghouse.sqlite3'}; set CLEARINGHOUSE_DATA_DIR "
        "(or DATABASE_URL) to the installation's, or create one with `clearinghouse migrate` "
        "(`make demo` loads the demo)"
    ]
    assert "Traceback" not in done.stderr
    assert not data_dir.exists()


def test_set_up_commands_may_run_before_the_database_exists(tmp_path: Path) -> None:
    done = _run("help", data_dir=tmp_path / "new")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.django_db
def test_a_file_that_cannot_be_written_is_one_line(personas: dict[str, Any], tmp_path: Path) -> None:
    target = str(tmp_path / "missing-dir" / "totals.csv")
    args = ["totals", "--source", "records", "--as", "analyst", "--format", "csv", "--output", target]
    with pytest.raises(CommandError, match=r"missing-dir/totals.csv: No such file or directory"):
        call_command("report", *args, stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_a_date_outside_the_window_is_refused_by_the_command_line(personas: dict[str, Any]) -> None:
    from clearinghouse.pledges.tests import factories

    pledge = factories.accepted(personas)
    from clearinghouse.pledges import services

    allocation_id = services.allocate(
        actor=personas["coordinator"],
        pledge_id=pledge.pk,
        requirement_id=factories.requirement(personas).pk,
        quantity=10,
    ).pk
    with pytest.raises(CommandError, match=r"0001-01-01 is outside 1990-01-01 to 2100-12-31"):
        call_command(
            "pledges",
            "deliver",
            str(allocation_id),
            "5",
            "--on",
            "0001-01-01",
            "--as",
            "donor_usa",
            stdout=StringIO(),
        )
