"""Who may use this app's API operations and pages (merged into tests/access.py).

Shipments are seen as their allocation is (a USA pledge marked `coordination`: the USA, the
coordinating body's users and the recipient); the pledge's donor officers and the cell ship and
record events, the recipient's officers record receipts; end-use checks are the donor's.
"""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, Rule

SEES_USA_COORDINATION = frozenset(
    {"coordinator", "donor_usa", "recipient", "finance", "analyst", "auditor", "admin"}
)
DELIVERERS = frozenset({"donor_usa", "coordinator", "admin"})
RECIPIENT = frozenset({"recipient", "admin"})
USA = frozenset({"donor_usa", "admin"})
SITE_MAKERS = frozenset(
    {"coordinator", "donor_usa", "donor_deu", "donor_pol", "recipient", "admin", "outsider"}
)

_made: dict[str, int] = {}


def _today() -> str:
    from clearinghouse.core import clock

    return clock.today().isoformat()


def _allocation(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.logistics.tests import factories

    factories.sites(personas)
    _made["allocation"] = factories.allocation(personas).pk
    return {}


def _shipment(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.logistics.tests import factories

    return {"shipment_id": factories.shipment(personas).pk}


def _dispatched(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.logistics.tests import factories

    return {"shipment_id": factories.dispatched(personas).pk}


def _short(personas: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.logistics import services
    from clearinghouse.logistics.tests import factories

    s = factories.dispatched(personas)
    services.record_receipt(actor=personas["recipient"], shipment_id=s.pk, received=28, damaged=2)
    _made["delivery"] = s.__class__.objects.get(pk=s.pk).delivery_id or 0
    return {"shipment_id": s.pk}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/sites"): Rule(ALL, query="kind=hub"),
    ("POST", "/api/v1/sites"): Rule(
        SITE_MAKERS,
        ok=(201,),
        body=lambda p: {"code": "PL-HUB-9", "name": "Hub", "kind": "hub", "country": "POL"},
        denied=(403,),
    ),
    ("GET", "/api/v1/shipments"): Rule(ALL, query="state=in_transit"),
    ("POST", "/api/v1/shipments"): Rule(
        DELIVERERS,
        ok=(201,),
        setup=_allocation,
        body=lambda p: {
            "allocation": _made["allocation"],
            "quantity": 10,
            "from_site": "USA-DEPOT",
            "to_site": "UKR-HANDOVER",
        },
    ),
    ("GET", "/api/v1/shipments/{shipment_id}"): Rule(SEES_USA_COORDINATION, setup=_shipment, denied=(404,)),
    ("POST", "/api/v1/shipments/{shipment_id}/events"): Rule(
        DELIVERERS, setup=_shipment, body=lambda p: {"state": "dispatched"}
    ),
    ("POST", "/api/v1/shipments/{shipment_id}/receipt"): Rule(
        RECIPIENT, setup=_dispatched, body=lambda p: {"received": 30, "damaged": 1}
    ),
    ("POST", "/api/v1/shipments/{shipment_id}/resolution"): Rule(
        DELIVERERS, setup=_short, body=lambda p: {"resolution": "write_off", "reason": "lost in transit"}
    ),
    ("GET", "/api/v1/discrepancies"): Rule(ALL),
    ("GET", "/api/v1/end-use-checks"): Rule(ALL),
    ("POST", "/api/v1/end-use-checks"): Rule(
        USA,
        ok=(201,),
        setup=lambda p: _short(p) and {},
        body=lambda p: {
            "delivery": _made["delivery"],
            "checked_on": _today(),
            "units_verified": 20,
            "finding": "all in service",
        },
    ),
}

PAGES: dict[str, Rule] = {
    "shipment-list": Rule(ALL, query="overdue=1"),
    "shipment-detail": Rule(SEES_USA_COORDINATION, setup=_shipment, denied=(404,)),
    "site-list": Rule(ALL),
}
