"""Who may use the requirement pages and the export route (merged into tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, NON_MEMBERS, Rule

RECIPIENT = frozenset({"recipient", "admin"})
# Who sees a requirement marked `coordination`: its owner (UKR) and the coordinating body's users.
SEES_COORDINATION = frozenset({"coordinator", "recipient", "finance", "analyst", "auditor", "admin"})


def _requirement(marking: str) -> Any:
    def setup(personas: dict[str, Any]) -> dict[str, Any]:
        from clearinghouse.pledges.tests.factories import requirement

        return {"requirement_id": requirement(personas, releasability=marking).pk}

    return setup


def _catalog(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    return {}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/requirements/export"): Rule(
        ALL, setup=lambda p: _requirement("coordination")(p) and {}, query="format=csv"
    ),
}
PAGES: dict[str, Rule] = {
    "requirement-list": Rule(
        ALL, setup=lambda p: _requirement("coordination")(p) and {}, query="priority=high&status=open"
    ),
    "requirement-detail": Rule(SEES_COORDINATION, setup=_requirement("coordination"), denied=(404,)),
    "requirement-create": Rule(RECIPIENT, setup=_catalog, denied=(403,)),
    # The contact group's members see a contact-group requirement, but only its owner's officers may
    # edit it (403); the non-member (CHN) does not see it at all (404).
    "requirement-edit": Rule(
        RECIPIENT,
        setup=_requirement("contact_group"),
        denied=(403,),
        expect=dict.fromkeys(NON_MEMBERS, (404,)),
    ),
}
