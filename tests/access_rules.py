"""Building blocks of the authorisation registry (see tests/access.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALL = frozenset(
    {
        "coordinator",
        "donor_usa",
        "donor_deu",
        "donor_pol",
        "recipient",
        "finance",
        "analyst",
        "auditor",
        "admin",
        "outsider",
        "nonmember",
    }
)
# Personas whose participant is outside the contact group: they see public records and what is
# releasable to them, never `contact_group` records.
NON_MEMBERS = frozenset({"nonmember"})
COORDINATION = frozenset({"coordinator", "admin"})
AUDITORS = frozenset({"auditor", "admin"})


@dataclass(frozen=True)
class Rule:
    """Who may call a route, how to build the call, and what success looks like.

    `setup(personas)` may create records and returns the values for the path's placeholders.
    Personas outside `allowed` must get one of `denied` (403, or 404 where the object is invisible).
    `expect` names the statuses of particular personas where they differ from that (e.g. the
    non-member, who does not see a contact-group record at all: 404 where members get 403).
    """

    allowed: frozenset[str]
    ok: tuple[int, ...] = (200,)
    setup: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    denied: tuple[int, ...] = (403, 404)
    public: bool = False
    query: str = ""
    notes: str = field(default="")
    expect: dict[str, tuple[int, ...]] = field(default_factory=dict)
