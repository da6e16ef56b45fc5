"""Each startup's commission totals per status, kept by a trigger on the ledger (PostgreSQL
only: elsewhere the table stays empty and statements sum the ledger). Filled from the ledger
here, then every insert, update and delete of a commission moves its amount between rows."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

TRIGGER = [
    """
    CREATE FUNCTION onboarding_commission_totals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE onboarding_commissiontotal SET amount = amount - OLD.amount
            WHERE startup_id = OLD.startup_id AND status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO onboarding_commissiontotal (startup_id, status, amount)
            VALUES (NEW.startup_id, NEW.status, NEW.amount)
            ON CONFLICT (startup_id, status)
            DO UPDATE SET amount = onboarding_commissiontotal.amount + EXCLUDED.amount;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER commission_totals
    AFTER INSERT OR DELETE OR UPDATE OF startup_id, status, amount ON onboarding_commission
    FOR EACH ROW EXECUTE FUNCTION onboarding_commission_totals()
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
    "DROP TRIGGER IF EXISTS commission_totals_clear ON onboarding_commission",
    "DROP FUNCTION IF EXISTS onboarding_commission_totals_clear()",
    "DROP TRIGGER IF EXISTS commission_totals ON onboarding_commission",
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
