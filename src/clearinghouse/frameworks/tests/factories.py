"""A hand-built world for the frameworks tests: a group of four, a fixed key, FRA exempt."""

from __future__ import annotations

from typing import Any

QUAD = ("DEU", "FRA", "POL", "USA")


def quad_framework(admin: Any, *, slug: str = "quad", **data: Any) -> Any:
    """1,000,000.00 EUR a year over 2024, shared by DEU 50, FRA 10, POL 30, USA 20 with FRA exempt:
    the participants' shares are DEU 0.5, POL 0.3, USA 0.2."""
    from clearinghouse.frameworks import services
    from clearinghouse.funds import services as funds_services
    from clearinghouse.funds.models import BurdenKey
    from clearinghouse.participants.models import Participant, ParticipantGroup

    group, _ = ParticipantGroup.objects.get_or_create(code="quad", defaults={"name": "Quad"})
    group.members.set(Participant.objects.filter(code__in=QUAD))
    if not BurdenKey.objects.filter(code="quad-key").exists():
        funds_services.create_key_version(
            actor=admin,
            key="quad-key",
            name="Quad key",
            effective_year=2020,
            kind="fixed",
            weights={"DEU": "50", "FRA": "10", "POL": "30", "USA": "20"},
            source="test formula",
        )
    values = {
        "slug": slug,
        "title": f"Framework {slug}",
        "start": "2024-01-01",
        "end": "2024-12-31",
        "target_amount": "1000000.00",
        "currency": "EUR",
        "group": "quad",
        "burden_key": "quad-key",
        "exempt": ["FRA"],
        "default_source": "records",
    }
    values.update(data)
    return services.create_framework(actor=admin, data=values)


def records(personas: dict[str, Any]) -> dict[str, Any]:
    """Pledges of the quad's members: what counts toward a framework over 2024 and what does not."""
    from clearinghouse.funds.tests.factories import committed_pledge
    from clearinghouse.pledges import services as pledge_services
    from clearinghouse.pledges.tests.factories import ensure_catalog

    ensure_catalog()
    out = {
        # Money earmarked for military procurement: military aid.
        "deu": committed_pledge(
            personas, "DEU", amount="200000.00", available_from="2024-03-04", earmark="military_procurement"
        ),
        # Money not earmarked: financial aid, not counted.
        "deu_financial": committed_pledge(personas, "DEU", amount="70000.00", available_from="2024-04-02"),
        # Dated after the period: not counted in 2024.
        "deu_2025": committed_pledge(
            personas, "DEU", amount="50000.00", available_from="2025-01-10", earmark="military_procurement"
        ),
        "pol": committed_pledge(
            personas,
            "POL",
            amount="100000.00",
            currency="USD",
            available_from="2024-05-02",
            earmark="military_procurement",
        ),
        # Items in kind: 10 rounds at the catalog's 3,000.00 EUR.
        "usa": committed_pledge(
            personas,
            "USA",
            kind="in_kind",
            amount=None,
            currency=None,
            item_type="AMM-155-HE",
            quantity=10,
            available_from="2024-06-03",
        ),
    }
    # Offered only (not firm): not counted.
    out["usa_offered"] = pledge_services.create_pledge(
        actor=personas["donor_usa"],
        data={
            "donor": "USA",
            "kind": "financial",
            "amount": "999999.00",
            "currency": "EUR",
            "available_from": "2024-02-01",
            "earmark": "military_procurement",
        },
    )
    return out
