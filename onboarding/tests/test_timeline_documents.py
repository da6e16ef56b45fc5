"""A claim's entry on the exporter's timeline lists every file it carries (the first, then its
further documents), each through the protected file route, scoped like the claim: a document is
the startup's that made the claim, even after the exporter moves to another startup."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ..models import EvidenceDocument, Exporter, StageEvent
from ..reports.timeline import exporter_rows
from ..services.assignments import exporter_reassign
from ..services.contact_changes import contact_change_propose
from ..services.exporter_link import confirmation_answer, exporter_link_get, exporter_link_rotate, link_use_record
from ..services.progress import activity_log, stage_event_submit
from .factories import ExporterFactory, assign, checklist_files, stage


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7 a real enough pdf", content_type="application/pdf")


def claim(actor, exporter, code: str, *names: str) -> StageEvent:
    first, *further = (pdf(name) for name in names)
    evidence = {"note": f"{code} proven", "evidence_file": first}
    checklist = checklist_files(code)  # the stage's own documents, beside the named files
    return stage_event_submit(
        actor=actor, exporter=exporter, stage=stage(code), evidence=evidence, documents=further, checklist=checklist
    )


def page_of(client, exporter) -> str:
    response = client.get(reverse("onboarding:exporter-detail", args=[exporter.pk]))
    assert response.status_code == 200
    return response.content.decode()


def links(event: StageEvent) -> list[str]:
    return [f'href="{f.download_url}"' for f in event.all_files()]


@pytest.fixture
def exporter(startup_a):
    return assign(ExporterFactory(legal_name="Kaveri Silks"), startup_a, stage_code="contacted")


@pytest.fixture
def claimed(agent_a, exporter):
    """Startup A's "Documents collected" claim with three files."""
    return claim(agent_a, exporter, "documents_collected", "gst.pdf", "iec.pdf", "bank.pdf")


def test_the_claims_startup_and_staff_see_every_document_with_its_link(
    client_for, manager_a, officer, claimed, exporter
):
    for viewer in (manager_a, officer):
        html = page_of(client_for(viewer), exporter)
        files = claimed.all_files()
        assert {"gst.pdf", "iec.pdf", "bank.pdf", "catalogue.pdf"} <= {f.file_name for f in files}
        for file, link in zip(files, links(claimed), strict=True):
            assert file.file_name in html and link in html
    further = claimed.documents.order_by("position")
    assert [reverse("onboarding:file-evidence-document", args=[d.pk]) for d in further] == [
        f.download_url for f in claimed.all_files()[1:]
    ]


def test_the_startup_holding_the_exporter_after_a_reassignment_sees_none_of_them(
    client_for, admin_user, manager_b, officer, claimed, exporter, startup_b
):
    exporter_reassign(actor=admin_user, exporter=exporter, startup=startup_b, reason="Moved to a closer startup")
    html = page_of(client_for(manager_b), exporter)
    for link in links(claimed):
        assert link not in html
    assert not any(f.file_name in html for f in claimed.all_files())
    staff = page_of(client_for(officer), exporter)
    assert all(link in staff for link in links(claimed))


def test_each_startup_sees_only_its_own_claims_documents_as_the_exporter_moves(
    client_for, admin_user, manager_a, manager_b, claimed, exporter, startup_a, startup_b
):
    exporter_reassign(actor=admin_user, exporter=exporter, startup=startup_b, reason="Moved to a closer startup")
    Exporter.objects.filter(pk=exporter.pk).update(current_stage=stage("contacted"))  # setup: B made its call
    exporter.refresh_from_db()
    theirs = claim(manager_b, exporter, "documents_collected", "b-gst.pdf", "b-catalogue.pdf")
    html = page_of(client_for(manager_b), exporter)
    assert all(link in html for link in links(theirs)) and not any(link in html for link in links(claimed))
    exporter_reassign(actor=admin_user, exporter=exporter, startup=startup_a, reason="Back where it started")
    html = page_of(client_for(manager_a), exporter)
    assert all(link in html for link in links(claimed)) and not any(link in html for link in links(theirs))


def make_claims(exporter, startup, user, claims: int, documents: int, reviewer=None) -> None:
    """Claims written as rows (the service allows one waiting claim per stage), each with a first
    file and `documents` further ones, rejected by `reviewer` when given."""
    for index in range(claims):
        event = StageEvent.objects.create(
            exporter=exporter,
            startup=startup,
            stage=stage("documents_collected"),
            submitted_by=user,
            submitted_at=timezone.now(),
            status="rejected",
            evidence_file=f"evidence/first-{index}.pdf",
            evidence_file_name=f"first-{index}.pdf",
            reviewed_by=reviewer,
            reviewed_at=timezone.now() if reviewer else None,
            review_note=f"Scan {index} is blurred" if reviewer else "",
        )
        for position in range(2, documents + 2):
            EvidenceDocument.objects.create(
                event=event, file=f"evidence/more-{index}-{position}.pdf", file_name_kept=f"more-{index}-{position}.pdf"
            )


def exporter_voices(exporter, agent, officer) -> None:
    """A row in each timeline source most exporters have none of: the exporter answers "no" to a
    visit (an answer and a dispute), uses the status link, staff replace the link, and the
    startup proposes a contact change."""
    activity = activity_log(
        actor=agent, exporter=exporter, kind="visit", occurred_at=timezone.now(), note="n", outcome="reached"
    )
    link = exporter_link_get(exporter=exporter)
    confirmation_answer(link=link, confirmation_id=activity.confirmations.get().pk, answer="no")
    link_use_record(link=link, address="203.0.113.9", action="answered")
    exporter_link_rotate(actor=officer, exporter=exporter)
    contact_change_propose(
        actor=agent,
        exporter=exporter,
        contact_name="Meena Iyer",
        contact_email="meena@example.in",
        contact_mobile=exporter.contact_mobile,
    )


@pytest.mark.parametrize("voiced", [False, True])
@pytest.mark.parametrize(("claims", "documents"), [(1, 1), (8, 4)])
@pytest.mark.parametrize("persona", ["officer", "manager_a"])
def test_the_exporter_page_query_count_does_not_grow_with_claims_and_documents(
    request,
    client_for,
    agent_a,
    startup_a,
    officer,
    exporter,
    django_assert_num_queries,
    persona,
    claims,
    documents,
    voiced,
):
    make_claims(exporter, startup_a, agent_a, claims, documents, reviewer=officer)
    if voiced:
        exporter_voices(exporter, agent_a, officer)
    client = client_for(request.getfixturevalue(persona))
    # session, user, (the membership), the exporter (with whether it has answers, link uses,
    # disputes, contact changes and replaced links), stages, stages reached, the assignments and
    # the contact changes (read once for the panels and the timeline, when it has any), the
    # waiting claim; one query a further timeline source (work, claims, the claims' further
    # documents, reminders, and when it has any: answers, (staff: link uses), disputes, (staff:
    # links replaced)), record history and the names its changes mention (for the manager only
    # when they name any: the visit's new stage); (staff: the status link), the bell's unread
    # count, (staff: the review badge)
    expected = {"officer": 22, "manager_a": 19}[persona] if voiced else {"officer": 17, "manager_a": 15}[persona]
    with django_assert_num_queries(expected):
        html = page_of(client, exporter)
    assert html.count("bi-paperclip") == claims * (documents + 1)
    assert html.count("Scan 0 is blurred") == 1 and html.count("“Documents collected” rejected") == claims
    assert ("Dispute opened" in html) is voiced and ("Contact change proposed" in html) is voiced


def test_an_exporters_assignments_are_read_with_all_their_panel_and_timeline_show(
    client_for, admin_user, officer, exporter, startup_a, startup_b, django_assert_num_queries
):
    """for_page() reads only what the page shows of an assignment (its PAGE_FIELDS): each of it,
    for a current and two ended ones, is there without a further query, and on the page."""
    exporter_reassign(actor=admin_user, exporter=exporter, startup=startup_b, reason="Moved to a closer startup")
    exporter_reassign(actor=admin_user, exporter=exporter, startup=startup_a, reason="Back where it started")
    assignments, _changes = exporter_rows(exporter, officer)
    with django_assert_num_queries(0):
        began = [(str(a.startup), a.assigned_at, a.get_how_display(), a.why, str(a.assigned_by)) for a in assignments]
        ended = [(a.ended_at, a.get_end_reason_display(), a.end_note, str(a.ended_by or "")) for a in assignments]
    assert [startup for startup, *_ in began] == [str(startup_a), str(startup_b), str(startup_a)]
    assert [note for _at, _reason, note, _by in ended] == ["", "Back where it started", "Moved to a closer startup"]
    assert [by for *_, by in ended] == ["", str(admin_user), str(admin_user)]
    html = page_of(client_for(officer), exporter)
    assert "Earlier assignments" in html and "Moved to a closer startup" in html
    assert escape(str(startup_b)) in html and escape(str(admin_user)) in html
