"""An outbox row keeps the ids of the exporters it is about in a JSON array, in place of the
link table: a national sweep names 350,000 exporters, and their link rows cost seconds to
write and more to check at commit. The links move onto their rows here (and back on the way
down); on PostgreSQL a GIN index answers "which messages are about this exporter"."""

from django.db import migrations, models

LINKS = "onboarding_outboxmessage_exporters"
OUTBOX = "onboarding_outboxmessage"

TO_ROWS = {
    "postgresql": f"""
        UPDATE {OUTBOX} AS o SET exporter_ids = l.ids
        FROM (SELECT outboxmessage_id, jsonb_agg(exporter_id ORDER BY exporter_id) AS ids
              FROM {LINKS} GROUP BY outboxmessage_id) AS l
        WHERE o.id = l.outboxmessage_id""",
    "sqlite": f"""
        UPDATE {OUTBOX} SET exporter_ids = (
            SELECT json_group_array(exporter_id) FROM (
                SELECT exporter_id FROM {LINKS} WHERE outboxmessage_id = {OUTBOX}.id ORDER BY exporter_id))
        WHERE id IN (SELECT outboxmessage_id FROM {LINKS})""",
}
# Only ids of exporters that still exist: the link table's foreign key requires it.
TO_LINKS = {
    "postgresql": f"""
        INSERT INTO {LINKS} (outboxmessage_id, exporter_id)
        SELECT o.id, e.value::bigint FROM {OUTBOX} AS o, jsonb_array_elements_text(o.exporter_ids) AS e
        WHERE e.value::bigint IN (SELECT id FROM onboarding_exporter)""",
    "sqlite": f"""
        INSERT INTO {LINKS} (outboxmessage_id, exporter_id)
        SELECT o.id, e.value FROM {OUTBOX} AS o, json_each(o.exporter_ids) AS e
        WHERE e.value IN (SELECT id FROM onboarding_exporter)""",
}
INDEX = {"postgresql": f"CREATE INDEX outbox_exporter_ids ON {OUTBOX} USING gin (exporter_ids jsonb_path_ops)"}
NO_INDEX = {"postgresql": "DROP INDEX IF EXISTS outbox_exporter_ids"}


def run(statements: dict):
    """Run the statement written for this database, if there is one."""

    def apply(apps, schema_editor):
        if sql := statements.get(schema_editor.connection.vendor):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0045_stageevent_link_time_indexes")]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="exporter_ids",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(run(TO_ROWS), run(TO_LINKS)),
        migrations.RemoveField(model_name="outboxmessage", name="exporters"),
        migrations.RunPython(run(INDEX), run(NO_INDEX)),
    ]
