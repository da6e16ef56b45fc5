"""The outbox gets its own name: the Reminder table becomes OutboxMessage (ids kept, so a
send task queued before the upgrade finds its row; the task's old name is still served),
with its constraints and indexes renamed, and a real foreign key to the notice a
notification email is about (filled from its period key "n<pk>")."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Q


def link_notifications(apps, schema_editor):
    OutboxMessage = apps.get_model("onboarding", "OutboxMessage")
    Notification = apps.get_model("onboarding", "Notification")
    rows = OutboxMessage.objects.filter(kind="notification", notification__isnull=True).only("pk", "period_key")
    batch = []
    for row in rows.iterator(chunk_size=2000):
        pk = row.period_key[1:]  # "n<pk>": the last reader of the old key
        if row.period_key.startswith("n") and pk.isdigit():
            row.notification_id = int(pk)
            batch.append(row)
    existing = set(Notification.objects.filter(pk__in=[r.notification_id for r in batch]).values_list("pk", flat=True))
    OutboxMessage.objects.bulk_update([r for r in batch if r.notification_id in existing], ["notification"], 2000)


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("onboarding", "0028_stageevent_withdrawn_index"),
    ]

    operations = [
        migrations.RenameModel("Reminder", "OutboxMessage"),
        migrations.AlterField(
            model_name="outboxmessage",
            name="recipient",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbox_messages",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="startup",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbox_messages",
                to="onboarding.startup",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="to_exporter",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbox_messages_to",
                to="onboarding.exporter",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="exporters",
            field=models.ManyToManyField(blank=True, related_name="outbox_messages", to="onboarding.exporter"),
        ),
        migrations.RemoveConstraint(model_name="outboxmessage", name="one_reminder_per_period"),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.UniqueConstraint(
                fields=("kind", "recipient", "period_key"), name="one_outbox_message_per_period"
            ),
        ),
        migrations.RemoveConstraint(model_name="outboxmessage", name="reminder_has_recipient"),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.CheckConstraint(
                condition=Q(recipient__isnull=False) | Q(to_exporter__isnull=False),
                name="outbox_message_has_recipient",
            ),
        ),
        migrations.RenameIndex(model_name="outboxmessage", new_name="outbox_open", old_name="reminder_open"),
        migrations.RenameIndex(
            model_name="outboxmessage", new_name="outbox_undelivered", old_name="reminder_undelivered"
        ),
        # Unnamed indexes are named after their model.
        migrations.RenameIndex(
            model_name="outboxmessage",
            new_name="onboarding__startup_fae679_idx",
            old_name="onboarding__startup_1d7dc7_idx",
        ),
        migrations.RenameIndex(
            model_name="outboxmessage",
            new_name="onboarding__created_4c30e6_idx",
            old_name="onboarding__created_164323_idx",
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="notification",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="emails",
                to="onboarding.notification",
            ),
        ),
        migrations.RunPython(link_notifications, migrations.RunPython.noop, elidable=True),
    ]
