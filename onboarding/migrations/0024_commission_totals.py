"""Each startup's commission totals per status, kept by a trigger on the ledger (PostgreSQL
only: elsewhere the table stays empty and statements sum the ledger). Filled from the ledger
here, then every insert, update and delete of a commission moves its amount between rows."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

TRIGGERS = ("insert", "update", "delete", "clear")
# One upsert of per-startup, per-status sums per statement (transition tables), not one per
# row: approving a thousand commissions, or seeding a quarter of a million, moves each total once.
UPSERT = """
    INSERT INTO onboarding_commissiontotal (startup_id, status, amount)
    SELECT startup_id, status, {sign}SUM(amount) FROM {rows} GROUP BY startup_id, status
    ON CONFLICT (startup_id, status) DO UPDATE SET amount = onboarding_commissiontotal.amount + EXCLUDED.amount;
"""
TRIGGER = [
    f"""
    CREATE FUNCTION onboarding_commission_totals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {UPSERT.format(sign="-", rows="old_rows")} END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {UPSERT.format(sign="", rows="new_rows")} END IF;
        RETURN NULL;
    END $$
    """,
    # A trigger with transition tables answers one kind of statement.
    """
    CREATE TRIGGER commission_totals_insert AFTER INSERT ON onboarding_commission
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onboarding_commission_totals()
    """,
    """
    CREATE TRIGGER commission_totals_update AFTER UPDATE ON onboarding_commission
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onboarding_commission_totals()
    """,
    """
    CREATE TRIGGER commission_totals_delete AFTER DELETE ON onboarding_commission
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION onboarding_commission_totals()
    """,
    # A truncated ledger (tests' flush) leaves no totals behind.
    """
    CREATE FUNCTION onboarding_commission_totals_clear() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM onboarding_commissiontotal;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER commission_totals_clear AFTER TRUNCATE ON onboarding_commission
    FOR EACH STATEMENT EXECUTE FUNCTION onboarding_commission_totals_clear()
    """,
    """
    INSERT INTO onboarding_commissiontotal (startup_id, status, amount)
    SELECT startup_id, status, SUM(amount) FROM onboarding_commission GROUP BY startup_id, status
    """,
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS commission_totals_{kind} ON onboarding_commission" for kind in TRIGGERS),
    "DROP FUNCTION IF EXISTS onboarding_commission_totals_clear()",
    "DROP FUNCTION IF EXISTS onboarding_commission_totals()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0023_exporter_board_of_startup"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommissionTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("accrued", "Accrued"), ("approved", "Approved"), ("paid", "Paid")], max_length=10
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=16)),
                (
                    "startup",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="onboarding.startup",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("startup", "status"), name="one_total_per_startup_status")
                ],
            },
        ),
        migrations.RunPython(run(TRIGGER), run(DROP)),
    ]
