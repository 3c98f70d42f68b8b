"""Command line: files, stdin/stdout, errors, scenarios, explanations."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from clearinghouse.matching import cli
from clearinghouse.matching.generate import generate
from clearinghouse.matching.io import problem_to_dict


def problem_doc() -> dict[str, Any]:
    d = problem_to_dict(generate(60, 200, 6, seed=2))
    d["requirements"][0]["meta"] = {"capability": "air_defence"}
    return d


def write(path: Path, data: Any) -> str:
    path.write_bytes(orjson.dumps(data))
    return str(path)


def test_file_to_file(tmp_path: Path) -> None:
    src = write(tmp_path / "in.json", problem_doc())
    out = tmp_path / "out.json"
    assert cli.run(["--input", src, "--output", str(out)]) == 0
    result = orjson.loads(out.read_bytes())
    assert set(result) == {"status", "objective", "bound", "gap", "allocations", "unmet"}
    assert result["status"] == "OPTIMAL" and result["objective"] == result["bound"] > 0


def test_run_match_returns_document(tmp_path: Path) -> None:
    src = write(tmp_path / "in.json", problem_doc())
    doc = cli.run_match(src, str(tmp_path / "o.json"), timings=True, workers=2)
    assert doc["status"] == "OPTIMAL" and "parse" in doc["timings"]


class FakeStd:
    def __init__(self, data: bytes = b"") -> None:
        self.buffer = io.BytesIO(data)

    def flush(self) -> None:
        pass


def test_stdin_to_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin, stdout = FakeStd(orjson.dumps(problem_doc())), FakeStd()
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert cli.run(["--input", "-", "--output", "-"]) == 0
    assert orjson.loads(stdout.buffer.getvalue())["status"] == "OPTIMAL"


def test_bad_input_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = problem_doc()
    d["requirements"][3]["quantity"] = -5
    src = write(tmp_path / "bad.json", d)
    assert cli.run(["--input", src, "--output", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    ident = d["requirements"][3]["id"]
    expected = f'error: requirements[3] (id "{ident}"): quantity must be a non-negative integer, got -5\n'
    assert err == expected
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize(
    ("content", "start"),
    [(b"{not json", "error: invalid JSON: "), (b"[]", "error: problem must be a JSON object")],
)
def test_malformed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, start: str
) -> None:
    src = tmp_path / "bad.json"
    src.write_bytes(content)
    assert cli.run(["--input", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(start) and err.count("\n") == 1


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["--input", str(tmp_path / "nope.json")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read input file ")


def test_usage_error_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run([]) == 2


def test_scenario_and_explain(tmp_path: Path) -> None:
    d = problem_doc()
    donor = d["offers"][0]["donor"]
    src = write(tmp_path / "in.json", d)
    scen = write(tmp_path / "s.json", {"name": "without", "exclude_donors": [donor]})
    out = tmp_path / "out.json"
    assert cli.run(["--input", src, "--output", str(out), "--scenario", scen, "--explain"]) == 0
    doc = orjson.loads(out.read_bytes())
    assert set(doc) == {"baseline", "scenario", "comparison"}
    assert doc["scenario"]["objective"] <= doc["baseline"]["objective"]
    assert "explanations" in doc["baseline"] and "explanations" in doc["scenario"]
    assert "capability" in doc["comparison"]["coverage"]["by"]
    assert doc["comparison"]["name"] == "without"


def test_scenario_unknown_donor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path / "in.json", problem_doc())
    scen = write(tmp_path / "s.json", {"exclude_donors": ["Atlantis"]})
    assert cli.run(["--input", src, "--scenario", scen]) == 2
    assert capsys.readouterr().err == 'error: scenario: exclude_donors: unknown donor "Atlantis"\n'


def test_module_entry_point(tmp_path: Path) -> None:
    src = write(tmp_path / "in.json", problem_doc())
    proc = subprocess.run(
        [sys.executable, "-m", "clearinghouse.matching.cli", "--input", src, "--output", "-"],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert orjson.loads(proc.stdout)["status"] == "OPTIMAL"
