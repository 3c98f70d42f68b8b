"""Reads of packages, filtered by the reader's releasability, and their one JSON shape (API and CLI)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from clearinghouse.core.actors import Actor
from clearinghouse.core.errors import NotFound
from clearinghouse.core.money import money_text
from clearinghouse.packages.models import Package, ScheduleLine
from clearinghouse.packages.services import may_write, shortfall


def package_list(*, user: Actor | None, state: str | None = None) -> QuerySet[Package]:
    """Packages the user may see, oldest first."""
    qs = Package.objects.restrict(user, "view").select_related("owner")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("pk")


def get_package(*, user: Actor | None, package_id: int) -> Package:
    """One package, or NotFound."""
    package = package_list(user=user).filter(pk=package_id).first()
    if package is None:
        raise NotFound("Package not found.")
    return package


def packages_of_pledges(pledge_ids: Iterable[int]) -> dict[int, int]:
    """The package whose schedule each of these pledges backs (pledges of no package are left out)."""
    return dict(
        ScheduleLine.objects.filter(pledge_id__in=list(pledge_ids)).values_list(
            "pledge_id", "contract__package_id"
        )
    )


def package_dict(package: Package, *, user: Actor | None = None) -> dict[str, Any]:
    """A package as the API and the CLI show it: money as decimal strings."""
    contracts = [
        {
            "id": c.pk,
            "supplier": c.supplier,
            "value": money_text(c.value, c.currency),
            "currency": c.currency,
            "value_eur": money_text(c.value_eur),
            "signed": c.signed.isoformat(),
            "schedule": [
                {
                    "month": f"{line.month:%Y-%m}",
                    "item_type": line.item_type.code,
                    "quantity": line.quantity,
                    "pledge": line.pledge_id,
                    "delivered": line.pledge.delivered_quantity if line.pledge else 0,
                }
                for line in c.schedule.all()
            ],
        }
        for c in package.contracts.prefetch_related("schedule__item_type", "schedule__pledge")
    ]
    return {
        "id": package.pk,
        "title": package.title,
        "implementer": package.implementer,
        "acting_participant": package.owner.code,
        "state": package.state,
        "releasability": package.releasability,
        "value_date": package.value_date.isoformat(),
        "price_eur": money_text(package.price_eur),
        "funded_amount_eur": money_text(package.funded_eur),
        "shortfall_eur": money_text(shortfall(package)),
        "cancel_reason": package.cancel_reason,
        "items": [
            {
                "item_type": i.item_type.code,
                "quantity": i.quantity,
                "unit_value": money_text(i.unit_value, i.currency),
                "currency": i.currency,
                "value_eur": money_text(i.value_eur),
            }
            for i in package.items.select_related("item_type")
        ],
        "funders": [
            {
                "participant": f.participant.code if f.participant else None,
                "fund": f.fund or None,
                "amount": money_text(f.amount, f.currency),
                "currency": f.currency,
                "amount_eur": money_text(f.amount_eur),
                "pledge": f.pledge_id,
            }
            for f in package.funders.select_related("participant")
        ],
        "contracts": contracts,
        "may_write": may_write(user, package.owner_id) if user is not None else False,
    }
