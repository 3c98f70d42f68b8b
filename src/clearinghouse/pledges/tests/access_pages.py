"""Who may use the pledge pages and the export route (merged into tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule

# Who sees a USA pledge marked `coordination`: the USA's users, the coordinating body's users and
# the recipient; not other donors.
SEES_USA_COORDINATION = frozenset(
    {"coordinator", "donor_usa", "recipient", "finance", "analyst", "auditor", "admin"}
)
USA = frozenset({"donor_usa", "admin"})
DONOR_OFFICERS = frozenset({"donor_usa", "donor_deu", "donor_pol", "outsider", "admin"})


def _pledge(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests import factories

    return {"pledge_id": factories.pledge(personas, releasability="coordination").pk}


def _catalog(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    return {}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/pledges/export"): Rule(ALL, setup=lambda p: _pledge(p) and {}, query="format=xlsx"),
}
PAGES: dict[str, Rule] = {
    "offer-list": Rule(ALL, setup=lambda p: _pledge(p) and {}),
    "requirements-servable": Rule(
        frozenset({"donor_usa", "donor_deu", "donor_pol", "outsider", "coordinator", "admin"}),
        query="donor=USA",
        denied=(403,),
    ),
    "pledge-list": Rule(ALL, setup=lambda p: _pledge(p) and {}, query="status=offered&kind=in_kind"),
    "pledge-detail": Rule(SEES_USA_COORDINATION, setup=_pledge, denied=(404,)),
    "pledge-create": Rule(DONOR_OFFICERS, setup=_catalog, denied=(403,)),
    # Other donors do not see the pledge (404); those who see it but are not its donor get 403.
    "pledge-edit": Rule(USA, setup=_pledge, denied=(403, 404)),
}
