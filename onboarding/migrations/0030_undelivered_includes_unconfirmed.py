"""Emails that may not have arrived (unconfirmed) count as not delivered: the partial index
of undelivered messages covers them too."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0029_outbox_message"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="outboxmessage",
            name="outbox_undelivered",
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("unconfirmed", "Not confirmed"),
                    ("skipped", "Skipped (work moved on)"),
                    ("rejected", "Undeliverable"),
                    ("failed", "Failed"),
                ],
                default="pending",
                max_length=12,
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("status__in", ("rejected", "failed", "unconfirmed"))),
                fields=["settled_at"],
                name="outbox_undelivered",
            ),
        ),
    ]
