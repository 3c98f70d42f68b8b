"""Test factory: a package taken through funding and a contract to `contracted` (its schedule then
stands behind in-kind pledges of the implementer)."""

from __future__ import annotations

from typing import Any

from clearinghouse.packages import services
from clearinghouse.packages.models import Package


def contracted(
    actor: Any,
    *,
    items: list[dict[str, Any]],
    funders: list[dict[str, Any]],
    schedule: list[dict[str, Any]],
    signed: Any,
    value: str,
    title: str = "Shells for the winter",
    implementer: str = "USA",
    **data: Any,
) -> Package:
    package = services.create_package(
        actor=actor,
        data={
            "title": title,
            "implementer": implementer,
            "items": items,
            "funders": funders,
            "releasability": "contact_group",
            **data,
        },
    )
    services.transition_package(actor=actor, package_id=package.pk, to="funded")
    services.add_contract(
        actor=actor,
        package_id=package.pk,
        data={
            "supplier": "Ammunition works",
            "value": value,
            "currency": "EUR",
            "signed": signed,
            "schedule": schedule,
        },
    )
    services.transition_package(actor=actor, package_id=package.pk, to="contracted")
    return package
