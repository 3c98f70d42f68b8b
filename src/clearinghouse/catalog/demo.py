"""Demo data of the catalog: the shipped catalog itself."""

from __future__ import annotations

from typing import Any

from clearinghouse.catalog.services import load_catalog


def seed(admin: Any) -> None:
    """Load the shipped capability areas, item types and price list (idempotent)."""
    load_catalog(actor=admin)
