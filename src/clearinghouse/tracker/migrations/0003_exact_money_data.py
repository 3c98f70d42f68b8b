"""Data migration: on SQLite, money and figures move from NUMERIC affinity (a REAL, 15 significant
digits) to exact scaled integers (see core.fields.ExactDecimalField). PostgreSQL keeps numeric."""

from django.db import migrations

from clearinghouse.core.fields import rescale_sqlite_columns

COLUMNS = [
    ("ingest_kielflow", "value", 18, 9),
    ("ingest_kielgdp", "gdp_eur_bn", 18, 13),
    ("ingest_kieleushare", "bilateral_pct_gdp", 18, 12),
    ("ingest_kieleushare", "eu_share_pct_gdp", 18, 12),
    ("ingest_kieleushare", "total_pct_gdp", 18, 12),
    ("ingest_kieleushare", "eu_share_bn", 18, 9),
    ("ingest_kielprocurement", "stockpile", 18, 17),
    ("ingest_kielprocurement", "procurement", 18, 17),
    ("ingest_kielprocurement", "unspecified", 18, 17),
    ("ingest_kielprocurement", "nato_purl", 18, 17),
    ("ingest_kielweapons", "value_eur", 17, 2),
]


def forwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS)


def backwards(apps, schema_editor):
    rescale_sqlite_columns(schema_editor, COLUMNS, reverse=True)


class Migration(migrations.Migration):
    dependencies = [("ingest", "0002_exact_money")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
