"""Who may use the catalog pages (merged into tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, COORDINATION, Rule


def _catalog(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    return {}


PAGES: dict[str, Rule] = {
    "catalog-list": Rule(ALL, setup=_catalog),
    # Price revisions: the coordination cell and admins.
    "catalog-price-revise": Rule(COORDINATION, setup=_catalog, denied=(403,)),
}
