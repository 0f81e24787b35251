"""The audit ledger, step 3 of 3: the global sequence number and the chain head row go (events
are ordered by the ledger's leaves now); each record's chain is unique by its sequence number;
the ledger's leaves, nodes and checkpoints refuse UPDATE and DELETE on PostgreSQL."""

from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION workflows_append_only_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
"""
TABLES = ("workflows_ledgerleaf", "workflows_ledgernode", "workflows_ledgercheckpoint")


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGGER_SQL)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION workflows_append_only_refuse()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS workflows_append_only_refuse()")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0005_relink_audit_chain")]

    operations = [
        migrations.RemoveIndex(model_name="auditevent", name="workflows_a_record__c3185e_idx"),
        migrations.RemoveField(model_name="auditevent", name="seq"),
        migrations.AlterField(
            model_name="auditevent",
            name="record_seq",
            field=models.PositiveIntegerField(verbose_name="记录内序号"),
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["pk"], "verbose_name": "审计事件", "verbose_name_plural": "审计事件"},
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("record_type", "record_id", "record_seq"), name="one_event_per_record_seq"
            ),
        ),
        migrations.DeleteModel(name="AuditChainHead"),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
