"""Governance fixtures: the shipped bodies on top of the participants' reference data."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def bodies(personas: dict[str, Any]) -> dict[str, Any]:
    """The shipped bodies and memberships (nac, udcg, the eight coalitions); returns the personas.

    Built through the services by the first test of a process, restored from rows afterwards."""
    from clearinghouse.governance.tests.access import BODIES

    BODIES.run()
    return personas
