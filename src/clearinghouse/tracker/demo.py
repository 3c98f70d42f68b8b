"""Demo data of the tracker app: the Kiel tracker release shipped with the package (idempotent)."""

from __future__ import annotations

from typing import Any

from clearinghouse.tracker.services import SHIPPED_RELEASE, import_kiel_release


def seed(admin: Any) -> None:
    """Import the shipped Release 29 as the admin; a second run changes nothing."""
    import_kiel_release(actor=admin, directory=SHIPPED_RELEASE)
