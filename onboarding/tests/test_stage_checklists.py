"""Complete evidence, enforced by the service: a stage's document checklist is one typed upload
per document, approval is refused (page, bulk, API) while a required field or document is
missing, the review card says what is missing, and the exporter's page lists what was received."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ..models import Commission, EvidenceDocument, Stage, StageEvent
from ..models.stages import DocumentKind, StageEventStatus
from ..services.exporter_link import exporter_link_get
from ..services.progress import stage_event_approve, stage_event_submit
from .api_client import API, api_for
from .factories import ExporterFactory, assign, checklist_files, commission_rule, stage, upload

pytestmark = pytest.mark.django_db

QUEUE = reverse("onboarding:review-queue")
FOUR = ["gst_certificate", "iec_certificate", "bank_proof", "catalogue"]


@pytest.fixture
def exporter(startup_a):
    """Startup A's exporter, contacted: its next stage is "Documents collected"."""
    return assign(ExporterFactory(legal_name="Kaveri Silks LLP"), startup_a, stage_code="contacted")


def waiting_claim(exporter, agent, code: str, *, kinds=(), status=StageEventStatus.SUBMITTED, **fields) -> StageEvent:
    """A claim written as a row (as one sent before checklists, or by hand), with documents of `kinds`."""
    event = StageEvent.objects.create(
        exporter=exporter,
        startup_id=exporter.startup_id,
        stage=stage(code),
        submitted_by=agent,
        submitted_at=timezone.now(),
        status=status,
        **fields,
    )
    for position, kind in enumerate(kinds, start=2):
        EvidenceDocument.objects.create(
            event=event, kind=kind, file=f"evidence/{kind}.pdf", file_name_kept=f"{kind}.pdf", position=position
        )
    return event


def slots(**files) -> dict:
    """The submit form's document inputs: every document of "Documents collected", some replaced by `files`."""
    chosen = {kind: upload(f"{kind}.pdf") for kind in FOUR} | files
    return {f"document_{kind}": file for kind, file in chosen.items()}


def submit_page(exporter) -> str:
    return reverse("onboarding:exporter-submit-stage", args=[exporter.pk])


# --- The checklist on the stage ---------------------------------------------------------


def test_documents_collected_asks_for_its_four_documents_in_order():
    assert stage("documents_collected").required_documents == [DocumentKind(k) for k in FOUR]
    assert stage("account_created").required_documents == []


@pytest.mark.parametrize(
    ("documents", "problem"),
    [("gst_certificate", "as a list"), (["passport"], "Unknown document: passport"), (FOUR + FOUR[:1], "once")],
)
def test_a_stage_checklist_of_unknown_or_repeated_documents_is_refused(documents, problem):
    documents_stage = stage("documents_collected")
    documents_stage.documents = documents
    with pytest.raises(ValidationError) as refusal:
        documents_stage.clean()
    assert problem in refusal.value.message_dict["documents"][0]


# --- Submitting: one typed upload per document -----------------------------------------------


def test_the_form_shows_one_labelled_file_input_per_document(client_for, agent_a, exporter):
    html = client_for(agent_a).get(submit_page(exporter)).content.decode()
    for kind in FOUR:
        assert f'for="id_document_{kind}"' in html and f'name="document_{kind}"' in html
    assert "GST certificate" in html and "Bank proof (cancelled cheque or bank letter)" in html
    assert "PDF, JPEG, PNG or Excel (.xlsx), up to 5 MB." in html  # the catalogue's slot
    assert "Other files (optional)" in html


def test_each_document_is_stored_with_its_kind_and_a_catalogue_may_be_a_spreadsheet(client_for, agent_a, exporter):
    response = client_for(agent_a).post(
        submit_page(exporter), {"note": "All four", **slots(catalogue=upload("price-list.xlsx"))}
    )
    assert response.status_code == 302
    event = StageEvent.objects.get()
    stored = [(d.kind, d.file_name) for d in event.documents.all()]
    assert stored == [
        ("gst_certificate", "gst_certificate.pdf"),
        ("iec_certificate", "iec_certificate.pdf"),
        ("bank_proof", "bank_proof.pdf"),
        ("catalogue", "price-list.xlsx"),
    ]
    assert event.missing_evidence() == []


@pytest.mark.parametrize(
    ("file", "error"),
    [
        (upload("gst.xlsx"), "Upload the GST certificate as a PDF, JPEG or PNG file; “gst.xlsx” is not one."),
        (upload("gst.pdf", b"MZ not a pdf"), "not a real .pdf"),
        (None, "Upload the GST certificate."),
    ],
)
def test_a_wrong_or_missing_file_in_a_slot_is_an_error_on_that_slot_and_nothing_is_written(
    client_for, agent_a, exporter, file, error
):
    body = {"note": "All four", **slots()}
    if file is None:
        del body["document_gst_certificate"]
    else:
        body["document_gst_certificate"] = file
    response = client_for(agent_a).post(submit_page(exporter), body)
    assert response.status_code == 200
    form = response.context["form"]
    assert error in form.errors["document_gst_certificate"][0]
    assert set(form.errors) == {"document_gst_certificate"}
    assert not StageEvent.objects.exists() and not EvidenceDocument.objects.exists()


def test_the_api_takes_the_documents_as_multipart_fields_and_refuses_a_wrong_kind_of_file(agent_a, exporter):
    api = api_for(agent_a)
    wrong = {"exporter": exporter.pk, "note": "All four", **slots(bank_proof=upload("bank.docx"))}
    refused = api.post(f"{API}/stage-events/", wrong)
    assert refused.status_code == 400
    assert "as a PDF, JPEG or PNG file" in refused.json()["errors"]["document_bank_proof"][0]
    assert not StageEvent.objects.exists() and not EvidenceDocument.objects.exists()
    accepted = api.post(f"{API}/stage-events/", {"exporter": exporter.pk, "note": "All four", **slots()})
    assert accepted.status_code == 201, accepted.json()
    assert sorted(EvidenceDocument.objects.values_list("kind", flat=True)) == sorted(FOUR)


def test_the_service_refuses_a_claim_missing_a_document_and_writes_nothing(agent_a, exporter):
    checklist = checklist_files("documents_collected")
    del checklist[DocumentKind.CATALOGUE]
    with pytest.raises(ValidationError, match="Missing evidence: Product catalogue"):
        stage_event_submit(
            actor=agent_a,
            exporter=exporter,
            stage=stage("documents_collected"),
            evidence={"note": "x"},
            checklist=checklist,
        )
    assert not StageEvent.objects.exists() and not EvidenceDocument.objects.exists()


def test_a_bare_note_no_longer_collects_documents(agent_a, exporter):
    """The forgery of the issue: "Documents collected" claimed with a note and no file."""
    with pytest.raises(ValidationError, match="GST certificate, IEC certificate"):
        stage_event_submit(
            actor=agent_a, exporter=exporter, stage=stage("documents_collected"), evidence={"note": "All received"}
        )
    assert not StageEvent.objects.exists()


def test_a_resubmission_must_upload_a_document_the_rejected_claim_lacked(client_for, agent_a, officer, exporter):
    previous = waiting_claim(
        exporter, agent_a, "documents_collected", kinds=FOUR[:3], status=StageEventStatus.REJECTED, note="x"
    )
    client = client_for(agent_a)
    form = client.get(submit_page(exporter)).context["form"]
    assert form.fields["document_gst_certificate"].required is False  # sent again unless replaced
    assert form.fields["document_catalogue"].required is True
    refused = client.post(submit_page(exporter), {"note": "Again", "reuse_files": "on"})
    assert list(refused.context["form"].errors) == ["document_catalogue"]
    client.post(submit_page(exporter), {"note": "Again", "reuse_files": "on", "document_catalogue": upload("c.png")})
    new = StageEvent.objects.exclude(pk=previous.pk).get()
    assert [d.kind for d in new.documents.all()] == FOUR and new.missing_evidence() == []


def test_another_startup_cannot_send_documents_for_an_exporter_it_does_not_hold(client_for, manager_b, exporter):
    """The adversary: startup B's manager posting a complete checklist for startup A's exporter."""
    response = client_for(manager_b).post(submit_page(exporter), {"note": "All four", **slots()})
    assert response.status_code == 404
    refused = api_for(manager_b).post(f"{API}/stage-events/", {"exporter": exporter.pk, "note": "x", **slots()})
    assert refused.status_code == 400 and "exporter" in refused.json()["errors"]
    assert not StageEvent.objects.exists() and not EvidenceDocument.objects.exists()


# --- Approving: refused while anything is missing ------------------------------------------------


@pytest.fixture
def incomplete(startup_a, agent_a):
    """A "Membership active" claim with its reference but no date (as one sent through the old form)."""
    commission_rule("membership_active", "3000.00")
    exporter = assign(ExporterFactory(), startup_a, stage_code="account_created")
    return waiting_claim(exporter, agent_a, "membership_active", evidence_reference="MEM-1")


def assert_still_waiting(event: StageEvent) -> None:
    event.refresh_from_db()
    event.exporter.refresh_from_db()
    assert event.status == StageEventStatus.SUBMITTED and event.exporter.current_stage.code == "account_created"
    assert not Commission.objects.exists()


def test_approving_a_claim_missing_a_field_is_refused_on_the_page(client_for, officer, incomplete):
    response = client_for(officer).post(reverse("onboarding:review-approve", args=[incomplete.pk]), follow=True)
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith("Missing: Date. Nothing was approved")
    assert_still_waiting(incomplete)


def test_approving_a_claim_missing_a_field_is_refused_in_bulk(client_for, officer, incomplete):
    response = client_for(officer).post(QUEUE, {"event": [incomplete.pk], "decision": "approve"}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert "Approved 0 submissions." in texts and any("evidence missing" in t for t in texts)
    assert_still_waiting(incomplete)


def test_approving_a_claim_missing_a_field_is_a_400_in_the_api(officer, incomplete):
    response = api_for(officer).post(f"{API}/stage-events/{incomplete.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Missing: Date.")
    assert_still_waiting(incomplete)


def test_approving_a_claim_missing_a_document_is_refused_and_complete_ones_are_approved(officer, agent_a, exporter):
    event = waiting_claim(exporter, agent_a, "documents_collected", kinds=FOUR[:2], note="Two of four")
    assert event.missing_evidence() == ["Bank proof (cancelled cheque or bank letter)", "Product catalogue"]
    with pytest.raises(ValidationError, match=r"Missing: Bank proof .*, Product catalogue"):
        stage_event_approve(actor=officer, event=event)
    for position, kind in enumerate(FOUR[2:], start=4):
        EvidenceDocument.objects.create(event=event, kind=kind, file=f"evidence/{kind}.pdf", position=position)
    assert stage_event_approve(actor=officer, event=event).status == StageEventStatus.APPROVED


def test_an_unlabelled_file_does_not_stand_for_a_checklist_document(officer, agent_a, exporter):
    """Files sent before checklists (no kind) prove nothing the checklist names."""
    event = waiting_claim(exporter, agent_a, "documents_collected", kinds=["", "", "", ""], note="Four files")
    assert len(event.missing_evidence()) == 4
    with pytest.raises(ValidationError):
        stage_event_approve(actor=officer, event=event)


# --- The review card -----------------------------------------------------------------------


def test_the_card_says_what_is_missing_and_names_each_document_by_its_kind(client_for, officer, agent_a, exporter):
    event = waiting_claim(exporter, agent_a, "documents_collected", kinds=["gst_certificate", ""], note="Some")
    html = client_for(officer).get(QUEUE).content.decode()
    assert f'id="claim-{event.pk}-missing"' in html
    assert "Missing:</strong> IEC certificate, Bank proof (cancelled cheque or bank letter), Product catalogue." in html
    assert "GST certificate:</span>" in html and "gst_certificate.pdf" in html
    assert 'Product catalogue<span class="visually-hidden"> (missing)' in html
    assert 'GST certificate<span class="visually-hidden"> (sent)' in html


def test_a_complete_card_says_nothing_is_missing(client_for, officer, agent_a, exporter):
    waiting_claim(exporter, agent_a, "documents_collected", kinds=FOUR, note="All four")
    html = client_for(officer).get(QUEUE).content.decode()
    assert "Missing:" not in html and "Product catalogue:</span>" in html


@pytest.mark.parametrize("claims", [1, 4])
def test_the_queue_reads_checklists_in_constant_queries(
    client_for, officer, agent_a, startup_a, django_assert_max_num_queries, claims
):
    for _ in range(claims):
        made = assign(ExporterFactory(), startup_a, stage_code="contacted")
        waiting_claim(made, agent_a, "documents_collected", kinds=FOUR[:3], note="Three")
    client = client_for(officer)
    client.get(QUEUE)  # warm the session
    # What test_progress_pages counts, which this page's claims all use.
    with django_assert_max_num_queries(20):
        response = client.get(QUEUE)
    assert response.content.decode().count("data-review-missing") == claims


# --- The exporter's status page ---------------------------------------------------------------------


def status_of(client, exporter, lang: str = "en") -> str:
    token = exporter_link_get(exporter=exporter).token()
    return client.get(reverse("onboarding:exporter-status", args=[token]), {"lang": lang}).content.decode()


def test_the_status_page_lists_only_the_documents_received(client, agent_a, exporter):
    waiting_claim(exporter, agent_a, "documents_collected", kinds=["gst_certificate", "iec_certificate"], note="x")
    rejected = waiting_claim(exporter, agent_a, "documents_collected", kinds=["bank_proof"], note="x")
    StageEvent.objects.filter(pk=rejected.pk).update(status=StageEventStatus.REJECTED)
    html = status_of(client, exporter)
    received, needed = html.split("Still needed")
    assert "GST certificate" in received and "IEC (Import Export Code) certificate" in received
    assert "Bank proof" not in received  # its claim was rejected: not received
    assert "Bank proof (a cancelled cheque or a letter from your bank)" in needed and "Product catalogue" in needed
    assert "All documents are received" not in html


def test_the_status_page_says_nothing_is_received_when_a_note_alone_moved_the_stage(client, agent_a, startup_a):
    """An exporter past "Documents collected" on a note sent before checklists: nothing is claimed as received."""
    exporter = assign(ExporterFactory(), startup_a, stage_code="documents_collected")
    waiting_claim(exporter, agent_a, "documents_collected", status=StageEventStatus.APPROVED, note="All four")
    html = status_of(client, exporter)
    assert "No documents are needed from you right now." in html and "Received" not in html


def test_the_status_page_names_received_documents_in_hindi(client, agent_a, exporter):
    waiting_claim(exporter, agent_a, "documents_collected", kinds=["catalogue"], note="x")
    html = status_of(client, exporter, "hi")
    assert "मिल गए" in html and "उत्पादों की सूची (कैटलॉग)" in html and "जीएसटी प्रमाणपत्र" in html


# --- The stages' admin ---------------------------------------------------------------------------


def test_an_admin_edits_a_stages_checklist_and_its_order_is_kept(admin_user, client_for):
    documents_stage = stage("documents_collected")
    url = reverse("admin:onboarding_stage_change", args=[documents_stage.pk])
    data = {
        "name": documents_stage.name,
        "order": documents_stage.order,
        "sla_days": documents_stage.sla_days,
        "description": documents_stage.description,
        "evidence_fields": documents_stage.evidence_fields,
        "documents": ["catalogue", "gst_certificate", "membership_contract"],
    }
    response = client_for(admin_user).post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    documents_stage.refresh_from_db()
    assert documents_stage.documents == ["gst_certificate", "catalogue", "membership_contract"]
    assert Stage.objects.get(pk=documents_stage.pk).history.count() >= 1


def test_the_date_of_a_claim_counts_as_given(agent_a, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="account_created")
    event = waiting_claim(
        exporter, agent_a, "membership_active", evidence_reference="M", evidence_date=date(2026, 1, 5)
    )
    assert event.missing_evidence() == []
