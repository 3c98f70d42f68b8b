"""Coverage in the requirement's units: what allocations provide (units × equivalence factor), kept
in thousandths. Every allocation made before factors counted 1, so what is provided is what was
allocated."""

from typing import Any

from django.db import migrations, models
from django.db.models import F


def fill(apps: Any, schema_editor: Any) -> None:
    requirement = apps.get_model("requirements", "Requirement")
    requirement.objects.update(
        allocated_milli=F("allocated_quantity") * 1000, delivered_milli=F("delivered_quantity") * 1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("requirements", "0004_requirement_item_factors"),
    ]

    operations = [
        migrations.AlterField(
            model_name="requirement",
            name="allocated_quantity",
            field=models.PositiveIntegerField(
                default=0, help_text="Offer units allocated to it, of whatever acceptable item type."
            ),
        ),
        migrations.AlterField(
            model_name="requirement",
            name="delivered_quantity",
            field=models.PositiveIntegerField(default=0, help_text="Offer units delivered against it."),
        ),
        migrations.AddField(
            model_name="requirement",
            name="allocated_milli",
            field=models.PositiveBigIntegerField(
                default=0,
                help_text="What its allocations provide (Σ units × factor), in thousandths of the "
                "requirement's unit: the coverage. Integer thousandths compare with quantity × 1000 in SQL "
                "on every database.",
            ),
        ),
        migrations.AddField(
            model_name="requirement",
            name="delivered_milli",
            field=models.PositiveBigIntegerField(
                default=0, help_text="What its deliveries provide, in thousandths of the requirement's unit."
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="requirement",
            name="requirements_requirement_allocated_lte_quantity",
        ),
        migrations.AddConstraint(
            model_name="requirement",
            constraint=models.CheckConstraint(
                condition=models.Q(("allocated_milli__lte", models.F("quantity") * 1000)),
                name="requirements_requirement_provided_lte_quantity",
                violation_error_message="More is allocated than the requirement asks for.",
            ),
        ),
        migrations.AddConstraint(
            model_name="requirement",
            constraint=models.CheckConstraint(
                condition=models.Q(("delivered_milli__lte", models.F("allocated_milli"))),
                name="requirements_requirement_delivered_lte_allocated_provides",
                violation_error_message="More is delivered than was allocated.",
            ),
        ),
    ]
