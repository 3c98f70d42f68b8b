"""Who may use this app's API operations and pages (merged into tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule


def _item(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    return {"code": "AMM-155-HE"}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/catalog/capabilities"): Rule(ALL),
    ("GET", "/api/v1/catalog/item-types"): Rule(ALL),
    ("GET", "/api/v1/catalog/item-types/{code}"): Rule(ALL, setup=_item),
}
PAGES: dict[str, Rule] = {}
