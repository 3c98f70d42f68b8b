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
