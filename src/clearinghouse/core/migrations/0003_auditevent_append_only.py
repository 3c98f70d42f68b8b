"""Make core_auditevent append-only in the database itself (triggers on SQLite and PostgreSQL).

Self-contained: the SQL is copied here as it stood when this migration was written, so that later
changes to `core.audit` never change what an old migration does.
"""

from django.db import migrations

APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only'); END;",
]
APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'core_auditevent is append-only'; END; $$ LANGUAGE plpgsql;",
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;",
    "CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();",
    # Row triggers do not fire on TRUNCATE: a statement trigger refuses it.
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;",
    "CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();",
]
REMOVE_SQLITE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
]
REMOVE_POSTGRES = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;",
]


def _run(schema_editor, postgres, sqlite):
    statements = postgres if schema_editor.connection.vendor == "postgresql" else sqlite
    with schema_editor.connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def install(apps, schema_editor):
    _run(schema_editor, APPEND_ONLY_POSTGRES, APPEND_ONLY_SQLITE)


def remove(apps, schema_editor):
    _run(schema_editor, REMOVE_POSTGRES, REMOVE_SQLITE)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(install, remove)]
