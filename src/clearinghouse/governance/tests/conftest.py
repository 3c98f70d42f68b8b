"""Governance fixtures: the shipped bodies on top of the participants' reference data."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def bodies(personas: dict[str, Any]) -> dict[str, Any]:
    """The shipped bodies and memberships (nac, udcg, the eight coalitions); returns the personas."""
    from clearinghouse.governance.services import load_bodies

    load_bodies()
    return personas
