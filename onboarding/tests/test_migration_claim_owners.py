"""Migrations 0007–0008 give claims made before them the startup that made them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from .migrating import migrate_to

BEFORE = [("onboarding", "0006_board_index")]
AFTER = [("onboarding", "0008_claim_owners_backfill")]


def _startup(apps, n: int):
    return apps.get_model("onboarding", "Startup").objects.create(
        legal_name=f"Startup {n} Private Limited",
        dpiit_number=f"DIPP{n}",
        state="27",
        city="Pune",
        contact_name="Contact",
        contact_email=f"s{n}@example.com",
        contact_mobile="+919812345678",
        status="active",
    )


@pytest.mark.django_db(transaction=True)
def test_claims_made_before_the_migration_get_the_startup_that_made_them():
    apps = migrate_to(BEFORE)
    try:
        stage = apps.get_model("onboarding", "Stage").objects.order_by("order").last()
        beta, alpha = _startup(apps, 101), _startup(apps, 102)
        exporter = apps.get_model("onboarding", "Exporter").objects.create(
            legal_name="Old Records LLP", gstin="27AAPFU0939F1ZV", pan="AAPFU0939F", state="27", startup=alpha
        )
        Assignment = apps.get_model("onboarding", "Assignment")
        t0 = timezone.now() - timedelta(days=30)
        with_beta = Assignment.objects.create(
            exporter=exporter, startup=beta, assigned_at=t0, ended_at=t0 + timedelta(days=10), end_reason="reassigned"
        )
        Assignment.objects.create(exporter=exporter, startup=alpha, assigned_at=t0 + timedelta(days=10))
        Event = apps.get_model("onboarding", "StageEvent")

        def claim(days: int, status: str, assignment=None):
            return Event.objects.create(
                exporter=exporter,
                stage=stage,
                assignment=assignment,
                submitted_at=t0 + timedelta(days=days),
                status=status,
            ).pk

        by_assignment = claim(2, "approved", with_beta)
        beta_waiting = claim(5, "submitted")  # no assignment recorded: found by its time
        alpha_waiting = claim(15, "submitted")

        apps = migrate_to(AFTER)
        Event = apps.get_model("onboarding", "StageEvent")
        rows = {e.pk: e for e in Event.objects.all()}
        assert (rows[by_assignment].startup_id, rows[by_assignment].status) == (beta.pk, "approved")
        assert (rows[beta_waiting].startup_id, rows[beta_waiting].status) == (beta.pk, "withdrawn")
        assert "moved to another startup" in rows[beta_waiting].review_note
        assert (rows[alpha_waiting].startup_id, rows[alpha_waiting].status) == (alpha.pk, "submitted")
    finally:
        call_command("migrate", "onboarding", verbosity=0)
