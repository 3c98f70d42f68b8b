"""Who may use this app's API operations and pages (merged into tests/access.py)."""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, COORDINATION, Rule

# Who sees a USA pledge marked `coordination`: the USA's users, the coordinating body's users
# (coordinator, finance, analyst, auditor, admin) and the recipient; not other donors.
SEES_USA_COORDINATION = frozenset(
    {"coordinator", "donor_usa", "recipient", "finance", "analyst", "auditor", "admin"}
)
USA = frozenset({"donor_usa", "admin"})
DELIVERERS = frozenset({"donor_usa", "coordinator", "admin"})
RECIPIENT = frozenset({"recipient", "admin"})

# Rule.body sees only the personas: the setup leaves the ids of what it made here.
_made: dict[str, int] = {}


def _pledge(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests import factories

    return {"pledge_id": factories.pledge(personas, releasability="coordination").pk}


def _to_allocate(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests import factories

    _made["pledge"] = factories.accepted(personas, releasability="coordination").pk
    _made["requirement"] = factories.requirement(personas).pk
    return {}


def _allocation(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests import factories

    allocation = factories.allocation(personas, releasability="coordination")
    _made["allocation"] = allocation.pk
    return {"allocation_id": allocation.pk}


def _delivery(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests import factories

    return {"delivery_id": factories.delivery(personas, releasability="coordination").pk}


def _offer(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests import factories

    requirement = factories.requirement(personas)
    offer = factories.pledge(personas, releasability="coordination", offered_against=requirement.pk)
    _made["offer"] = offer.pk
    return {}


# Who decides on an offer against the recipient's requirement: the recipient and the cell.
DECIDERS = frozenset({"recipient", "coordinator", "admin"})
# Who sees the requirements a donor could serve: donor officers (their own), the cell and admins.
SERVERS = frozenset({"donor_usa", "donor_deu", "donor_pol", "outsider", "coordinator", "admin"})

API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/pledges/offers"): Rule(ALL, setup=lambda p: _offer(p)),
    ("POST", "/api/v1/pledges/accept"): Rule(
        DECIDERS,
        setup=_offer,
        body=lambda p: {"pledges": [_made["offer"]]},
        denied=(422,),
        notes="all or none: a pledge the caller may not accept (403) or see (404) is a row error, 422",
    ),
    ("GET", "/api/v1/pledges/servable-requirements"): Rule(
        SERVERS, query="donor=USA", denied=(403,), setup=lambda p: _offer(p)
    ),
    ("GET", "/api/v1/pledges"): Rule(ALL, query="status=offered&kind=in_kind"),
    ("POST", "/api/v1/pledges"): Rule(
        USA,
        ok=(201,),
        setup=lambda p: _to_allocate(p) and {},
        body=lambda p: {
            "donor": "USA",
            "kind": "financial",
            "amount": "2500000.00",
            "currency": "USD",
            "available_from": "2024-01-02",
        },
        notes="other donors get 403: the donor field must be their own participant",
    ),
    ("GET", "/api/v1/pledges/{pledge_id}"): Rule(SEES_USA_COORDINATION, setup=_pledge, denied=(404,)),
    ("PATCH", "/api/v1/pledges/{pledge_id}"): Rule(USA, setup=_pledge, body=lambda p: {"notes": "changed"}),
    ("POST", "/api/v1/pledges/{pledge_id}/transition"): Rule(
        COORDINATION, setup=_pledge, body=lambda p: {"to": "accepted"}
    ),
    ("GET", "/api/v1/allocations"): Rule(ALL),
    ("POST", "/api/v1/allocations"): Rule(
        COORDINATION,
        ok=(201,),
        setup=_to_allocate,
        body=lambda p: {"pledge": _made["pledge"], "requirement": _made["requirement"], "quantity": 10},
        denied=(403,),
    ),
    ("GET", "/api/v1/allocations/{allocation_id}"): Rule(
        SEES_USA_COORDINATION, setup=_allocation, denied=(404,)
    ),
    ("PATCH", "/api/v1/allocations/{allocation_id}"): Rule(
        COORDINATION, setup=_allocation, body=lambda p: {"quantity": 60}
    ),
    ("POST", "/api/v1/allocations/{allocation_id}/release"): Rule(
        COORDINATION,
        ok=(204,),
        setup=_allocation,
        body=lambda p: {"reason": "no longer needed"},
        denied=(403, 404),
    ),
    ("GET", "/api/v1/deliveries"): Rule(ALL, query="confirmed=false"),
    ("POST", "/api/v1/deliveries"): Rule(
        DELIVERERS,
        ok=(201,),
        setup=lambda p: _allocation(p) and {},
        body=lambda p: {"allocation": _made["allocation"], "quantity": 5, "delivered_on": "2024-03-01"},
    ),
    ("GET", "/api/v1/deliveries/{delivery_id}"): Rule(SEES_USA_COORDINATION, setup=_delivery, denied=(404,)),
    ("PATCH", "/api/v1/deliveries/{delivery_id}"): Rule(
        DELIVERERS, setup=_delivery, body=lambda p: {"notes": "on the road"}
    ),
    ("POST", "/api/v1/deliveries/{delivery_id}/confirm"): Rule(RECIPIENT, setup=_delivery),
}
PAGES: dict[str, Rule] = {}
