"""Who may use this app's API operations and pages (merged into tests/access.py).

Every signed-in user reads the frameworks and their status (figures of records count only the pledges
the reader may see); no door writes.
"""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule


def _framework(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.frameworks.tests.factories import quad_framework

    return {"slug": quad_framework(p["admin"]).slug}


def _framework_only(p: dict[str, Any]) -> dict[str, Any]:
    _framework(p)
    return {}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/frameworks"): Rule(ALL, setup=_framework_only),
    ("GET", "/api/v1/frameworks/{slug}"): Rule(ALL, setup=_framework),
    ("GET", "/api/v1/frameworks/{slug}/status"): Rule(ALL, setup=_framework, query="from=2024-01-01"),
}

PAGES: dict[str, Rule] = {
    "framework-list": Rule(ALL, setup=_framework_only),
    "framework-detail": Rule(ALL, setup=_framework),
}
