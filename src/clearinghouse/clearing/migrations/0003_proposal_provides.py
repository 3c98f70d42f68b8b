"""A proposal records what it provides in the requirement's units (quantity × factor). Every
proposal before factors counted 1: it provides its quantity."""

from decimal import Decimal
from typing import Any

import clearinghouse.core.fields
from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    proposal = apps.get_model("clearing", "Proposal")
    rows = list(proposal.objects.only("pk", "quantity"))
    for p in rows:
        p.provides = Decimal(p.quantity)
    proposal.objects.bulk_update(rows, ["provides"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("clearing", "0002_roadmap_target"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposal",
            name="provides",
            field=clearinghouse.core.fields.ExactDecimalField(
                decimal_places=3,
                default=Decimal("0"),
                help_text="What the quantity provides, in the requirement's units (quantity × factor).",
                max_digits=16,
            ),
        ),
        migrations.AlterField(
            model_name="proposal",
            name="quantity",
            field=models.PositiveIntegerField(help_text="Whole units of the pledge's item type."),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
