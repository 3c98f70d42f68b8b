"""An allocation records the equivalence factor it was made at (what one unit provides of the
requirement's unit). Every allocation before factors counted 1 (the default)."""

from decimal import Decimal

import clearinghouse.core.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0007_pledge_meeting"),
    ]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="factor",
            field=clearinghouse.core.fields.ExactDecimalField(
                decimal_places=3,
                default=Decimal("1"),
                help_text="Requirement units one unit of the pledge provides (the requirement's equivalence "
                "factor for the pledge's item type when the allocation was made).",
                max_digits=6,
            ),
        ),
        migrations.AlterField(
            model_name="allocation",
            name="quantity",
            field=models.PositiveIntegerField(help_text="Whole units of the pledge's item type."),
        ),
    ]
