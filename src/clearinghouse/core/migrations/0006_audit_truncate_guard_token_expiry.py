"""Refuse TRUNCATE of the audit table on PostgreSQL too; give tokens made before expiry existed one."""

import datetime as dt

from django.db import migrations


def install(apps, schema_editor):
    from clearinghouse.core.audit import install_append_only_guard

    install_append_only_guard(schema_editor.connection)


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
