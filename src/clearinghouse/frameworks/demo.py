"""Demo data of the frameworks app: the shipped frameworks (washington-baseline). Idempotent."""

from __future__ import annotations

from typing import Any

from clearinghouse.frameworks import services


def seed(admin: Any) -> None:
    """Load the shipped frameworks and their GDP keys as the admin; a second run adds nothing."""
    services.load_shipped(actor=admin)
