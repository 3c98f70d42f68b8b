"""Data migration: on SQLite, money and figures move from NUMERIC affinity (a REAL, 15 significant
digits) to exact scaled integers (see core.fields.ExactDecimalField). PostgreSQL keeps numeric."""

from django.db import migrations

from clearinghouse.core.fields import rescale_sqlite_columns

COLUMNS = [
    ("catalog_itemprice", "unit_value", 17, 2),
]


def forwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS)


def backwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS, reverse=True)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_exact_money")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
