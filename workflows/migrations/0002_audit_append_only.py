"""The audit table refuses UPDATE and DELETE at the database on PostgreSQL, and the chain
head row exists from the start."""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION workflows_auditevent_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS workflows_auditevent_append_only ON workflows_auditevent;
CREATE TRIGGER workflows_auditevent_append_only
    BEFORE UPDATE OR DELETE ON workflows_auditevent
    FOR EACH ROW EXECUTE FUNCTION workflows_auditevent_refuse();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS workflows_auditevent_append_only ON workflows_auditevent;
DROP FUNCTION IF EXISTS workflows_auditevent_refuse();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


def create_head(apps, schema_editor):
    apps.get_model("workflows", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [
        migrations.RunPython(add_trigger, drop_trigger),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
