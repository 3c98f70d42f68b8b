"""Capability areas the coalitions work in (issue 14), and air-defence munitions under air defence.

Adds air force, maritime, electronic warfare, counter-drone, and IT and communications (as in
catalog/data/capabilities.csv), moves the interceptors and anti-aircraft rounds from ammunition to
air defence (as in catalog/data/item_types.csv), and moves every requirement filed under ammunition
whose acceptable item types are now all air-defence items with them. Requirements and pledges keep
their item types; only the area changes. A database without a catalog yet (a fresh one, loaded
afterwards from the CSV files) has nothing to move.
"""

from typing import Any

from django.db import migrations

NEW_AREAS = [
    ("air-force", "Air force", 130),
    ("maritime", "Maritime", 140),
    ("electronic-warfare", "Electronic warfare", 150),
    ("counter-drone", "Counter-drone", 160),
    ("it-communications", "IT and communications", 170),
]
AIR_DEFENCE_MUNITIONS = ["AMM-PATRIOT", "AMM-AMRAAM", "AMM-IRIST", "AMM-35-AA"]


def forward(apps: Any, schema_editor: Any) -> None:
    area = apps.get_model("catalog", "CapabilityArea")
    item_type = apps.get_model("catalog", "ItemType")
    requirement = apps.get_model("requirements", "Requirement")
    air_defence = area.objects.filter(code="air-defence").first()
    if air_defence is None:
        return  # no catalog loaded yet: load_catalog creates everything from the CSV files
    for code, name, order in NEW_AREAS:
        area.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})
    item_type.objects.filter(code__in=AIR_DEFENCE_MUNITIONS, capability__code="ammunition").update(
        capability=air_defence
    )
    for r in requirement.objects.filter(capability__code="ammunition").prefetch_related(
        "item_types__capability"
    ):
        types = list(r.item_types.all())
        if types and all(t.capability_id == air_defence.pk for t in types):
            requirement.objects.filter(pk=r.pk).update(capability=air_defence)


def backward(apps: Any, schema_editor: Any) -> None:
    area = apps.get_model("catalog", "CapabilityArea")
    item_type = apps.get_model("catalog", "ItemType")
    requirement = apps.get_model("requirements", "Requirement")
    ammunition = area.objects.filter(code="ammunition").first()
    if ammunition is None:
        return
    item_type.objects.filter(code__in=AIR_DEFENCE_MUNITIONS).update(capability=ammunition)
    for r in requirement.objects.filter(capability__code="air-defence").prefetch_related("item_types"):
        codes = {t.code for t in r.item_types.all()}
        if codes and codes <= set(AIR_DEFENCE_MUNITIONS):
            requirement.objects.filter(pk=r.pk).update(capability=ammunition)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_equivalence_factors"),
        ("requirements", "0005_requirement_provides"),
    ]

    operations = [migrations.RunPython(forward, backward)]
