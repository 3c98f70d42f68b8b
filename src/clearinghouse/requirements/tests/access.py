"""Who may use this app's API operations and pages (merged into tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, NON_MEMBERS, Rule

RECIPIENT = frozenset({"recipient", "admin"})
# Who sees a requirement marked `coordination`: its owner (UKR), the coordinating body's users
# (NATO: coordinator, finance, analyst, auditor, admin); not the donors nor the outsider.
# A contact-group requirement is seen by every member's users; the non-member (CHN) gets 404.
HIDDEN: dict[str, tuple[int, ...]] = dict.fromkeys(NON_MEMBERS, (404,))
SEES_COORDINATION = frozenset({"coordinator", "recipient", "finance", "analyst", "auditor", "admin"})


def _catalog(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    return {}


def _requirement(marking: str) -> Any:
    def setup(personas: dict[str, Any]) -> dict[str, Any]:
        from clearinghouse.pledges.tests.factories import requirement

        return {"requirement_id": requirement(personas, releasability=marking).pk}

    return setup


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/requirements"): Rule(ALL, query="priority=high&status=open"),
    ("POST", "/api/v1/requirements"): Rule(
        RECIPIENT,
        ok=(201,),
        setup=_catalog,
        body=lambda p: {"item_types": ["AMM-155-HE"], "quantity": 10, "priority": "critical"},
    ),
    ("GET", "/api/v1/requirements/{requirement_id}"): Rule(
        SEES_COORDINATION, setup=_requirement("coordination"), denied=(404,)
    ),
    ("PATCH", "/api/v1/requirements/{requirement_id}"): Rule(
        RECIPIENT,
        setup=_requirement("contact_group"),
        body=lambda p: {"notes": "changed"},
        denied=(403,),
        expect=HIDDEN,
    ),
    ("POST", "/api/v1/requirements/{requirement_id}/cancel"): Rule(
        RECIPIENT,
        setup=_requirement("contact_group"),
        body=lambda p: {"reason": "met by a purchase"},
        denied=(403,),
        expect=HIDDEN,
    ),
}
PAGES: dict[str, Rule] = {}
