"""Who may use the clearing house's API operations and pages (merged into tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, COORDINATION, Rule

# Runs draw on confidential pledges: the coordinating body's users (all NATO personas), auditors, admins.
CELL_READERS = frozenset({"coordinator", "finance", "analyst", "auditor", "admin"})


def _run(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.clearing.services import run_matching

    return {"run_id": run_matching(actor=personas["coordinator"]).pk}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/clearing/runs"): Rule(CELL_READERS),
    ("POST", "/api/v1/clearing/runs"): Rule(COORDINATION, ok=(201,), body=lambda p: {"lateness_penalty": 50}),
    ("GET", "/api/v1/clearing/runs/{run_id}"): Rule(CELL_READERS, setup=_run),
    ("GET", "/api/v1/clearing/runs/{run_id}/proposals"): Rule(CELL_READERS, setup=_run),
    ("POST", "/api/v1/clearing/runs/{run_id}/accept"): Rule(COORDINATION, setup=_run, body=lambda p: {}),
    ("POST", "/api/v1/clearing/scenarios"): Rule(COORDINATION, ok=(201,), body=lambda p: {"name": "x"}),
    ("GET", "/api/v1/clearing/shortfalls"): Rule(ALL),
    # The trend by month-end could isolate hidden allocations: only those who see them all.
    ("GET", "/api/v1/clearing/shortfalls/trend"): Rule(CELL_READERS),
}
PAGES: dict[str, Rule] = {
    "clearing-home": Rule(CELL_READERS),
    "clearing-run": Rule(CELL_READERS, setup=_run),
    "clearing-scenario": Rule(CELL_READERS),
    "clearing-shortfalls": Rule(ALL),
}
