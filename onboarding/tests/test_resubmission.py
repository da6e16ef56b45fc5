"""The rejection loop: submitting again shows the officer's note and what was sent, keeps what
was valid (fields and files), takes several files, and a refused file keeps the other fields."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from ..models import EvidenceDocument, Stage, StageEvent
from ..models.stages import StageEventStatus
from ..services.assignments import exporter_reassign
from ..services.progress import stage_event_reject, stage_event_submit
from .factories import ExporterFactory, assign, stage

# The "Documents collected" checklist: kind -> the name of the file uploaded in its slot.
CHECKLIST = {"gst_certificate": "gst", "iec_certificate": "iec", "bank_proof": "bank", "catalogue": "catalogue"}


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7 a real enough pdf", content_type="application/pdf")


@pytest.fixture
def exporter(startup_a):
    return assign(ExporterFactory(legal_name="Kaveri Silks"), startup_a, stage_code="contacted")


@pytest.fixture
def rejected(client_for, agent_a, officer, exporter):
    """A "Documents collected" claim with its four documents and two other files, rejected with a note."""
    client_for(agent_a).post(
        reverse("onboarding:exporter-submit-stage", args=[exporter.pk]),
        {
            "note": "GST, IEC, bank proof and catalogue",
            **{f"document_{kind}": pdf(f"{name}.pdf") for kind, name in CHECKLIST.items()},
            "evidence_file": [pdf("shop.pdf"), pdf("visit.pdf")],
        },
    )
    event = StageEvent.objects.get()
    return stage_event_reject(actor=officer, event=event, note="The bank proof is unreadable")


def test_several_files_are_kept_each_behind_the_protected_route(rejected):
    files = rejected.all_files()
    assert [f.file_name for f in files] == ["shop.pdf", "gst.pdf", "iec.pdf", "bank.pdf", "catalogue.pdf", "visit.pdf"]
    assert files[0].download_url == reverse("onboarding:file-evidence", args=[rejected.pk])
    assert files[1].download_url == reverse("onboarding:file-evidence-document", args=[files[1].pk])


def test_the_form_shows_the_note_and_the_previous_claim_prefilled(client_for, agent_a, rejected, exporter):
    response = client_for(agent_a).get(reverse("onboarding:exporter-submit-stage", args=[exporter.pk]))
    html = response.content.decode()
    assert "The bank proof is unreadable" in html
    for f in rejected.all_files():
        assert f'href="{f.download_url}"' in html and f.file_name in html
    form = response.context["form"]
    assert form["note"].value() == "GST, IEC, bank proof and catalogue"
    assert form["reuse_files"].value() is True


def test_resubmitting_reuses_the_previous_files_without_uploading_again(client_for, agent_a, rejected, exporter):
    response = client_for(agent_a).post(
        reverse("onboarding:exporter-submit-stage", args=[exporter.pk]),
        {
            "note": "A clearer bank letter",
            "reuse_files": "on",
            "document_bank_proof": pdf("bank-letter.pdf"),
            "evidence_file": [pdf("shop-again.pdf")],
        },
    )
    assert response.status_code == 302
    new = StageEvent.objects.get(status=StageEventStatus.SUBMITTED)
    assert new.note == "A clearer bank letter"
    # New files replace the old ones rather than being mixed with them: the other files as a
    # whole, a checklist document one by one (the three not sent again are the previous ones).
    names = ["shop-again.pdf", "gst.pdf", "iec.pdf", "bank-letter.pdf", "catalogue.pdf"]
    assert [f.file_name for f in new.all_files()] == names
    assert [d.kind for d in new.documents.all()] == list(CHECKLIST)


def test_resubmitting_without_new_files_sends_the_previous_ones_again(client_for, agent_a, rejected, exporter):
    client_for(agent_a).post(
        reverse("onboarding:exporter-submit-stage", args=[exporter.pk]),
        {"note": "Catalogue attached by mail", "reuse_files": "on"},
    )
    new = StageEvent.objects.get(status=StageEventStatus.SUBMITTED)
    assert [f.file_name for f in new.all_files()] == [f.file_name for f in rejected.all_files()]
    assert new.missing_evidence() == []
    assert new.evidence_file.name == rejected.evidence_file.name
    assert client_for(agent_a).get(new.all_files()[2].download_url).status_code == 200


def test_a_refused_file_keeps_the_other_fields_and_saves_nothing(client_for, agent_a, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="documents_collected")  # next: account created
    response = client_for(agent_a).post(
        reverse("onboarding:exporter-submit-stage", args=[exporter.pk]),
        {
            "evidence_reference": "IN12345678",
            "note": "Member ID from the welcome email",
            "evidence_file": [pdf("ok.pdf"), SimpleUploadedFile("fake.pdf", b"MZ not a pdf")],
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "fake.pdf" in form.errors["evidence_file"][0] and "not a real .pdf" in form.errors["evidence_file"][0]
    assert form["evidence_reference"].value() == "IN12345678"
    assert form["note"].value() == "Member ID from the welcome email"
    assert not StageEvent.objects.exists() and not EvidenceDocument.objects.exists()


def test_too_many_files_are_refused_with_a_message(client_for, agent_a, exporter):
    response = client_for(agent_a).post(
        reverse("onboarding:exporter-submit-stage", args=[exporter.pk]),
        {"note": "x", "evidence_file": [pdf(f"f{i}.pdf") for i in range(7)]},
    )
    assert "at most 6 files" in response.context["form"].errors["evidence_file"][0]
    assert not StageEvent.objects.exists()


def test_only_this_exporters_rejected_claim_can_lend_its_files(agent_a, rejected, startup_a):
    other = assign(ExporterFactory(), startup_a, stage_code="contacted")
    with pytest.raises(ValidationError):
        stage_event_submit(
            actor=agent_a,
            exporter=other,
            stage=stage("documents_collected"),
            evidence={"note": "x"},
            reuse_from=rejected,
        )
    assert StageEvent.objects.count() == 1


def test_it_checks_ownership(client_for, manager_b, rejected, exporter):
    """Another startup: no form for the exporter, and the claim's further documents are a 404."""
    client = client_for(manager_b)
    assert client.get(reverse("onboarding:exporter-submit-stage", args=[exporter.pk])).status_code == 404
    document = rejected.documents.first()
    assert client.get(reverse("onboarding:file-evidence-document", args=[document.pk])).status_code == 404


def test_a_claims_documents_stay_with_the_startup_that_made_it_after_a_reassignment(
    client_for, admin_user, manager_a, manager_b, rejected, exporter, startup_b
):
    exporter_reassign(actor=admin_user, exporter=exporter, startup=startup_b, reason="Moved to a closer startup")
    url = reverse("onboarding:file-evidence-document", args=[rejected.documents.first().pk])
    assert client_for(manager_b).get(url).status_code == 404
    assert client_for(manager_a).get(url).status_code == 200


def test_a_first_submission_has_no_previous_claim(client_for, agent_a, exporter):
    response = client_for(agent_a).get(reverse("onboarding:exporter-submit-stage", args=[exporter.pk]))
    assert response.context["previous"] is None and "reuse_files" not in response.context["form"].fields


def test_the_homes_unanswered_rejections_are_the_newest_whatever_the_window(startup_a, manager_a):
    now = timezone.now()
    documents = stage("documents_collected")
    exporters = [assign(ExporterFactory(), startup_a, stage_code="contacted") for _ in range(4)]
    for n, exporter in enumerate(exporters):
        at = now - timedelta(days=10 - n)
        StageEvent.objects.create(
            exporter=exporter,
            startup=startup_a,
            stage=documents,
            status=StageEventStatus.REJECTED,
            submitted_at=at,
            reviewed_at=at + timedelta(hours=1),
            review_note="no",
        )
    for exporter in exporters[2:]:  # the two newest rejections were answered by a newer claim
        StageEvent.objects.create(
            exporter=exporter, startup=startup_a, stage=documents, submitted_at=now - timedelta(days=1)
        )
    events = StageEvent.objects.visible_to(manager_a)
    expected = list(
        events.filter(exporter__in=exporters[:2], status=StageEventStatus.REJECTED).order_by("-reviewed_at")
    )
    assert [e.exporter for e in expected] == [exporters[1], exporters[0]]
    assert events.rejected_open_newest(limit=2, window=2) == expected  # nothing open in the window: all read
    assert events.rejected_open_newest(limit=2, window=10) == expected
    assert events.rejected_open_newest(limit=1, window=3) == expected[:1]


def test_a_rejection_is_unanswered_while_its_stage_is_ahead_of_the_exporters_in_the_stages_order(
    startup_a, manager_a, django_assert_num_queries
):
    """The order compared is the stages' `order` (admins may change it), not their ids; each
    rejection comes with its exporter and stage in the one query."""
    now = timezone.now()
    documents = stage("documents_collected")

    def rejected_at(stage_code: str) -> StageEvent:
        exporter = assign(ExporterFactory(), startup_a, stage_code=stage_code)
        return StageEvent.objects.create(
            exporter=exporter,
            startup=startup_a,
            stage=documents,
            status=StageEventStatus.REJECTED,
            submitted_at=now - timedelta(days=2),
            reviewed_at=now - timedelta(days=1),
            review_note="no",
        )

    ahead, reached, passed = (
        rejected_at("contacted"),
        rejected_at("documents_collected"),
        rejected_at("membership_active"),
    )
    stageless = rejected_at("contacted")
    type(stageless.exporter).objects.filter(pk=stageless.exporter_id).update(current_stage=None)
    events = StageEvent.objects.visible_to(manager_a)
    # The stages, the rejections with their exporters, and whether any is older than the window.
    with django_assert_num_queries(3):
        found = events.rejected_open_newest()
        assert [(e.pk, e.stage.name, e.exporter.legal_name) for e in found] == [
            (ahead.pk, documents.name, ahead.exporter.legal_name)
        ]
    # An admin moves "Documents collected" to the end of the path: the exporter past it in the
    # old order is now before it, and the one at "Contacted" still is.
    Stage.objects.filter(pk=documents.pk).update(order=Stage.objects.aggregate(last=Max("order"))["last"] + 1)
    stages = list(Stage.objects.ordered())
    with django_assert_num_queries(2):
        found = events.rejected_open_newest(stages=stages)
    assert sorted(e.pk for e in found) == sorted([ahead.pk, passed.pk])
    assert reached.pk not in {e.pk for e in found}
