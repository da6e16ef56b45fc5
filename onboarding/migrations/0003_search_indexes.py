"""Trigram indexes on UPPER(name), which is what icontains compares, so name searches
stay fast at 100,000 exporters. PostgreSQL only: SQLite, the zero-setup default, scans."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS exporter_legal_name_trgm ON onboarding_exporter "
    "USING gin (upper(legal_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS exporter_trade_name_trgm ON onboarding_exporter "
    "USING gin (upper(trade_name) gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS exporter_trade_name_trgm",
    "DROP INDEX IF EXISTS exporter_legal_name_trgm",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0002_seed_stages_and_sectors")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
