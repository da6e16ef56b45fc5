"""Migration 0029 renames the Reminder table to OutboxMessage: every row keeps its id (a send
queued before the upgrade finds its row), its exporters and its status, and a notification
email gets a real link to its notice instead of the "n<pk>" in its period key."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from .migrating import migrate_to

BEFORE = [("onboarding", "0028_stageevent_withdrawn_index")]
AFTER = [("onboarding", "0029_outbox_message")]


@pytest.mark.django_db(transaction=True)
def test_rows_keep_their_ids_and_exporters_and_notification_emails_find_their_notice():
    apps = migrate_to(BEFORE)
    try:
        user = apps.get_model("onboarding", "User").objects.create(email="officer@example.in")
        exporter = apps.get_model("onboarding", "Exporter").objects.create(
            legal_name="Old Records LLP", gstin="27AAPFU0939F1ZV", pan="AAPFU0939F", state="27"
        )
        notice = apps.get_model("onboarding", "Notification").objects.create(
            recipient=user, kind="evidence_waiting", title="Evidence waiting", event_key="waiting-1"
        )
        Reminder = apps.get_model("onboarding", "Reminder")
        digest = Reminder.objects.create(kind="stalled_digest", recipient=user, period_key="2026-11-30", status="sent")
        digest.exporters.add(exporter)
        email = Reminder.objects.create(kind="notification", recipient=user, period_key=f"n{notice.pk}")
        orphan = Reminder.objects.create(kind="notification", recipient=user, period_key="n999999")

        apps = migrate_to(AFTER)
        OutboxMessage = apps.get_model("onboarding", "OutboxMessage")
        moved = OutboxMessage.objects.get(pk=digest.pk)
        assert (moved.kind, moved.status, list(moved.exporters.values_list("pk", flat=True))) == (
            "stalled_digest",
            "sent",
            [exporter.pk],
        )
        assert OutboxMessage.objects.get(pk=email.pk).notification_id == notice.pk
        assert OutboxMessage.objects.get(pk=orphan.pk).notification_id is None  # its notice is gone
    finally:
        call_command("migrate", "onboarding", verbosity=0)
