"""Migration 0033 opens a dispute for each "No" of the last 90 days (what staff saw as flags),
and none for older ones or for answers that were yes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from .migrating import migrate_to

BEFORE = [("onboarding", "0032_outcomerefresh_version")]
AFTER = [("onboarding", "0033_disputes_and_undo")]


@pytest.mark.django_db(transaction=True)
def test_recent_noes_become_open_disputes():
    apps = migrate_to(BEFORE)
    try:
        startup = apps.get_model("onboarding", "Startup").objects.create(
            legal_name="Old Startup Private Limited", state="27", capacity=10
        )
        exporter = apps.get_model("onboarding", "Exporter").objects.create(
            legal_name="Old Records LLP", gstin="27AAPFU0939F1ZV", pan="AAPFU0939F", state="27"
        )
        Confirmation = apps.get_model("onboarding", "ConfirmationRequest")
        now = timezone.now()

        def asked(answer: str, days: int):
            when = now - timedelta(days=days)
            return Confirmation.objects.create(
                exporter=exporter, startup=startup, kind="no_contact", answer=answer, occurred_at=when, created_at=when
            )

        recent_no, _old_no, _yes = asked("no", 3), asked("no", 200), asked("yes", 3)

        apps = migrate_to(AFTER)
        Dispute = apps.get_model("onboarding", "Dispute")
        [dispute] = Dispute.objects.all()
        assert dispute.confirmation_id == recent_no.pk and dispute.resolved_at is None
        assert dispute.startup_id == startup.pk and dispute.exporter_id == exporter.pk
    finally:
        call_command("migrate", "onboarding", verbosity=0)
