"""Data migration: on SQLite, money and figures move from NUMERIC affinity (a REAL, 15 significant
digits) to exact scaled integers (see core.fields.ExactDecimalField). PostgreSQL keeps numeric."""

from django.db import migrations

from clearinghouse.core.fields import rescale_sqlite_columns

COLUMNS = [
    ("pledges_pledge", "unit_value", 17, 2),
    ("pledges_pledge", "amount", 17, 2),
    ("pledges_pledge", "value_amount", 18, 2),
    ("pledges_pledge", "value_eur", 18, 2),
    ("pledges_pledge", "fx_rate", 18, 10),
    ("pledges_pledgetranche", "amount", 17, 2),
]


def forwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS)


def backwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS, reverse=True)


class Migration(migrations.Migration):
    dependencies = [("pledges", "0004_exact_money")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
