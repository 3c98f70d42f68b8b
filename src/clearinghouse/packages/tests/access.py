"""Who may use the packages' API operations and pages (merged into tests/access.py).

Everyone signed in lists the packages they may see; a package marked `contact_group` is seen by the
contact group's members (not by a participant outside it). The coordination cell and the
implementer's officers (USA's donor officer for a package of US equipment) write.
"""

from __future__ import annotations

from typing import Any

from tests.access_rules import ALL, COORDINATION, NON_MEMBERS, Rule

BODY = {
    "title": "Matrix package",
    "implementer": "USA",
    "items": [{"item_type": "AMM-155-HE", "quantity": 10, "unit_value": "3000.00", "currency": "EUR"}],
    "funders": [{"participant": "NLD", "amount": "30000.00", "currency": "EUR"}],
    "releasability": "contact_group",
}
WRITERS = COORDINATION | {"donor_usa"}


def _catalog(p: dict[str, Any]) -> dict[str, Any]:
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    return {}


def _package(p: dict[str, Any], state: str = "proposed") -> dict[str, Any]:
    from clearinghouse.packages import services

    _catalog(p)
    package = services.create_package(actor=p["admin"], data=BODY)
    if state == "funded":
        services.transition_package(actor=p["admin"], package_id=package.pk, to="funded")
    return {"package_id": package.pk}


def _listed(p: dict[str, Any]) -> dict[str, Any]:
    """A package to list; the list page takes no path value."""
    _package(p)
    return {}


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/packages"): Rule(ALL, setup=_package),
    ("POST", "/api/v1/packages"): Rule(
        WRITERS, ok=(201,), setup=_catalog, body=lambda p: BODY, denied=(403,)
    ),
    ("GET", "/api/v1/packages/{package_id}"): Rule(ALL - NON_MEMBERS, setup=_package, denied=(404,)),
    ("POST", "/api/v1/packages/{package_id}/transition"): Rule(
        WRITERS,
        setup=_package,
        body=lambda p: {"to": "funded"},
        denied=(403,),
        expect={"nonmember": (404,)},
    ),
    ("POST", "/api/v1/packages/{package_id}/contracts"): Rule(
        WRITERS,
        ok=(201,),
        setup=lambda p: _package(p, "funded"),
        body=lambda p: {
            "supplier": "Nammo",
            "value": "29000.00",
            "currency": "EUR",
            "signed": "2026-01-15",
            "schedule": [{"month": "2027-01", "item_type": "AMM-155-HE", "quantity": 10}],
        },
        denied=(403,),
        expect={"nonmember": (404,)},
    ),
}

PAGES: dict[str, Rule] = {
    # The form: the cell and any officer (whose own participant must be the implementer to create).
    "package-create": Rule(COORDINATION | {"donor_usa", "donor_deu", "donor_pol", "recipient", "outsider"}),
    "package-list": Rule(ALL, setup=_listed),
    "package-detail": Rule(ALL - NON_MEMBERS, setup=_package, denied=(404,)),
}
