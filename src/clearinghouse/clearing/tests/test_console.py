"""The console script: `clearinghouse match --input` runs without Django, and reports bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clearinghouse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_match_reads_stdin_and_writes_stdout() -> None:
    problem = {
        "periods": 1,
        "lateness_penalty": 0,
        "requirements": [{"id": "R1", "item_types": ["A"], "quantity": 2, "weight": 10, "needed_by": 0}],
        "offers": [{"id": "O1", "donor": "X", "item_type": "A", "quantity": 5, "available_from": 0}],
    }
    done = run("match", "--input", "-", "--output", "-", stdin=json.dumps(problem))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "OPTIMAL" and result["objective"] == 20 and result["bound"] == 20
    assert result["unmet"] == [{"requirement": "R1", "quantity": 0}]


def test_bad_file_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "periods": 2,
                "lateness_penalty": 1,
                "requirements": [
                    {"id": "R1", "item_types": ["A"], "quantity": -5, "weight": 1, "needed_by": 0}
                ],
                "offers": [],
            }
        )
    )
    done = run("match", "--input", str(bad), "--output", str(tmp_path / "out.json"))
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and 'requirements[0] (id "R1")' in lines[0] and "quantity" in lines[0]
    assert not (tmp_path / "out.json").exists()


def _problem_file(tmp_path: Path, **extra: object) -> Path:
    problem = {
        "periods": 3,
        "lateness_penalty": 10,
        "requirements": [{"id": "R1", "item_types": ["A"], "quantity": 5, "weight": 100, "needed_by": 1}],
        "offers": [{"id": "O1", "donor": "USA", "item_type": "A", "quantity": 3, "available_from": 0}],
        **extra,
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem))
    return path


def test_scenario_with_unknown_donor_or_item_type_is_refused_in_one_line(tmp_path: Path) -> None:
    problem = _problem_file(tmp_path)
    for offer, message in (
        ({"donor": "XXX", "item_type": "A"}, 'unknown donor "XXX"'),
        ({"donor": "USA", "item_type": "NOPE-XYZ"}, 'unknown item type "NOPE-XYZ"'),
        ({"donor": "USA", "item_type": "A", "quantity": 0}, "quantity must be a positive integer"),
    ):
        scenario = tmp_path / "s.json"
        added = {"id": "H1", "quantity": 2, "available_from": 0, **offer}
        scenario.write_text(json.dumps({"name": "what if", "add_offers": [added]}))
        out = tmp_path / "out.json"
        done = run("match", "--input", str(problem), "--scenario", str(scenario), "--output", str(out))
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "add_offers[0]" in lines[0], lines
        assert not out.exists()


def test_scenario_may_name_a_donor_the_problem_declares(tmp_path: Path) -> None:
    problem = _problem_file(tmp_path, donors=["USA", "FRA"])
    scenario = tmp_path / "s.json"
    offer = {"id": "H1", "donor": "FRA", "item_type": "A", "quantity": 2, "available_from": 0}
    scenario.write_text(json.dumps({"add_offers": [offer]}))
    done = run("match", "--input", str(problem), "--scenario", str(scenario))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["comparison"]["summary"]["allocated_units"] == {"baseline": 3, "scenario": 5}
