"""Make core_auditevent append-only in the database itself (triggers on SQLite and PostgreSQL)."""

from django.db import migrations


def install(apps, schema_editor):
    from clearinghouse.core.audit import install_append_only_guard

    install_append_only_guard(schema_editor.connection)


def remove(apps, schema_editor):
    from clearinghouse.core.audit import remove_append_only_guard

    remove_append_only_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(install, remove)]
