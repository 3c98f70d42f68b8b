"""Data migration: on SQLite, money and figures move from NUMERIC affinity (a REAL, 15 significant
digits) to exact scaled integers (see core.fields.ExactDecimalField). PostgreSQL keeps numeric."""

from django.db import migrations

from clearinghouse.core.fields import rescale_sqlite_columns

COLUMNS = [
    ("funds_gdpfigure", "gdp_eur_bn", 18, 6),
    ("funds_burdenkeyweight", "weight", 18, 10),
    ("funds_fund", "target_amount", 17, 2),
    ("funds_fundyear", "target", 17, 2),
    ("funds_contribution", "amount", 17, 2),
    ("funds_contribution", "converted_amount", 18, 2),
    ("funds_contribution", "fx_rate", 18, 10),
]


def forwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS)


def backwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS, reverse=True)


class Migration(migrations.Migration):
    dependencies = [("funds", "0002_exact_money")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
