"""Demo data of packages: two jointly funded packages, each funded, contracted and delivering on a
monthly schedule (so their schedules are offers of the clearing house).

* US equipment from a prioritised requirements list, about 500 m USD, implemented by the United
  States and paid for by the Netherlands, Germany, Canada and Denmark/Norway/Sweden together.
* The Czech-led ammunition initiative: 155 mm rounds bought by Czechia with money of twenty countries.

Illustrative figures, not the real packages' terms. Idempotent: a package with the title is kept.
"""

from __future__ import annotations

from typing import Any

from clearinghouse.packages import services
from clearinghouse.packages.models import Package

# title, implementer, value date, items (item type, quantity, unit value, currency),
# funders (participant, amount, currency), contract (supplier, value, currency, signed),
# schedule (month, item type, quantity)
PACKAGES: list[dict[str, Any]] = [
    {
        "title": "Air defence and rocket munitions from US stocks (allied-funded)",
        "implementer": "USA",
        "value_date": "2025-08-05",
        "items": [("AMM-PATRIOT", 100, "4000000.00", "USD"), ("AMM-GMLRS", 600, "160000.00", "USD")],
        "funders": [
            ("NLD", "180000000.00", "EUR"),
            ("DEU", "140000000.00", "EUR"),
            ("CAN", "100000000.00", "CAD"),
            ("DNK", "300000000.00", "DKK"),
            ("NOR", "300000000.00", "NOK"),
            ("SWE", "300000000.00", "SEK"),
        ],
        "contract": (
            "US Department of Defense (foreign military sales case)",
            "490000000.00",
            "USD",
            "2025-09-15",
        ),
        "schedule": [
            *[(f"2026-{m:02d}", "AMM-PATRIOT", 25) for m in (1, 2, 3, 4)],
            *[(f"2026-{m:02d}", "AMM-GMLRS", 150) for m in (1, 2, 3, 4)],
        ],
    },
    {
        "title": "155 mm ammunition initiative (Czech-led)",
        "implementer": "CZE",
        "value_date": "2025-02-20",
        "items": [("AMM-155-HE", 200000, "8000.00", "EUR")],
        "funders": [
            (code, f"{amount}000000.00", "EUR")
            for code, amount in (
                ("NLD", 250),
                ("DEU", 300),
                ("DNK", 200),
                ("GBR", 170),
                ("NOR", 120),
                ("SWE", 100),
                ("CAN", 90),
                ("BEL", 80),
                ("FIN", 60),
                ("POL", 50),
                ("FRA", 40),
                ("CZE", 40),
                ("ESP", 30),
                ("LTU", 20),
                ("PRT", 10),
                ("LVA", 10),
                ("EST", 10),
                ("LUX", 10),
                ("SVN", 5),
                ("ISL", 5),
            )
        ],
        "contract": ("Czechoslovak Group and partner producers", "1580000000.00", "EUR", "2025-03-01"),
        "schedule": [
            *[(f"2025-{m:02d}", "AMM-155-HE", 20000) for m in range(4, 13)],
            ("2026-01", "AMM-155-HE", 20000),
        ],
    },
]


def seed(admin: Any) -> None:
    """Create, fund and contract the demo packages (idempotent)."""
    for spec in PACKAGES:
        if Package.objects.filter(title=spec["title"]).exists():
            continue
        package = services.create_package(
            actor=admin,
            data={
                "title": spec["title"],
                "implementer": spec["implementer"],
                "value_date": spec["value_date"],
                "releasability": "contact_group",
                "items": [
                    {"item_type": t, "quantity": q, "unit_value": v, "currency": c}
                    for t, q, v, c in spec["items"]
                ],
                "funders": [{"participant": p, "amount": a, "currency": c} for p, a, c in spec["funders"]],
            },
        )
        services.transition_package(actor=admin, package_id=package.pk, to="funded")
        supplier, value, currency, signed = spec["contract"]
        services.add_contract(
            actor=admin,
            package_id=package.pk,
            data={
                "supplier": supplier,
                "value": value,
                "currency": currency,
                "signed": signed,
                "schedule": [{"month": m, "item_type": t, "quantity": q} for m, t, q in spec["schedule"]],
            },
        )
        services.transition_package(actor=admin, package_id=package.pk, to="contracted")
        services.transition_package(actor=admin, package_id=package.pk, to="delivering")
