"""The shape of the code (issue 11): imports run one way (the import-linter contracts of
pyproject.toml, also run by `make lint`), no domain app reaches another through `apps.get_model`,
and no function is longer than 100 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "clearinghouse"
ROOT = SRC.parents[1]


def test_the_import_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlinter.cli import lint_imports

    monkeypatch.chdir(ROOT)
    assert lint_imports(no_cache=True, no_logo=True) == 0


def _python_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_no_app_reaches_another_by_get_model() -> None:
    # import-linter cannot see `apps.get_model("pledges", ...)`: a hidden upward import.
    found: list[str] = []
    for path in _python_files():
        found.extend(
            f"{path.relative_to(SRC)}:{node.lineno}"
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "get_model" and node.args
        )
    assert found == []


def test_no_function_is_longer_than_100_lines() -> None:
    long = []
    for path in [*_python_files(), *ROOT.joinpath("tests").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 100:
                    long.append(f"{path}:{node.lineno} {node.name} ({length} lines)")
    assert long == []
