"""Refuse TRUNCATE of the audit table on PostgreSQL too; give tokens made before expiry existed one."""

import datetime as dt
import importlib

from django.db import migrations


# The same guard as 0003 (self-contained: its SQL is copied there), installed again for databases
# migrated before the TRUNCATE trigger was part of it.
_guard = importlib.import_module("clearinghouse.core.migrations.0003_auditevent_append_only")


def install(apps, schema_editor):
    _guard.install(apps, schema_editor)


def backfill_expiry(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    for token in ApiToken.objects.filter(expires_at__isnull=True):
        token.expires_at = token.created_at + dt.timedelta(days=90)
        token.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [("core", "0005_security_anchors_sessions")]
    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
        migrations.RunPython(backfill_expiry, migrations.RunPython.noop),
    ]
