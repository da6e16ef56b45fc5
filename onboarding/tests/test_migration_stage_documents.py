"""Migration 0034 gives "Documents collected" its checklist of four documents (other stages none);
documents sent before it keep no kind ("Other file"), so they stand for no checklist document."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from .migrating import migrate_to

BEFORE = [("onboarding", "0033_disputes_and_undo")]
AFTER = [("onboarding", "0034_stage_documents")]
FOUR = ["gst_certificate", "iec_certificate", "bank_proof", "catalogue"]


@pytest.mark.django_db(transaction=True)
def test_documents_collected_gets_its_four_documents_and_older_files_stay_unlabelled():
    apps = migrate_to(BEFORE)
    try:
        documents_stage = apps.get_model("onboarding", "Stage").objects.get(code="documents_collected")
        exporter = apps.get_model("onboarding", "Exporter").objects.create(
            legal_name="Old Records LLP", gstin="27AAPFU0939F1ZV", pan="AAPFU0939F", state="27"
        )
        event = apps.get_model("onboarding", "StageEvent").objects.create(
            exporter=exporter, stage=documents_stage, submitted_at="2026-01-05T10:00:00Z"
        )
        old = apps.get_model("onboarding", "EvidenceDocument").objects.create(
            event=event, file="evidence/old.pdf", file_name_kept="old.pdf", position=2
        )

        apps = migrate_to(AFTER)
        Stage = apps.get_model("onboarding", "Stage")
        assert Stage.objects.get(code="documents_collected").documents == FOUR
        assert all(s.documents == [] for s in Stage.objects.exclude(code="documents_collected"))
        assert apps.get_model("onboarding", "EvidenceDocument").objects.get(pk=old.pk).kind == ""

        apps = migrate_to(BEFORE)  # and back: the checklist goes with its column, the files stay
        assert apps.get_model("onboarding", "EvidenceDocument").objects.filter(pk=old.pk).exists()
    finally:
        call_command("migrate", "onboarding", verbosity=0)
