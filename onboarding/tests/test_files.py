"""Protected downloads: who may open an uploaded file, and how it is sent."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ..services.progress import activity_log, stage_event_submit
from .api_client import api_for
from .factories import ExporterFactory, assign, checklist_files, stage

PDF = b"%PDF-1.4 evidence of an order"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
DOCX = b"PK\x03\x04" + b"\x00" * 32


@pytest.fixture
def exporter_a(startup_a):
    """Startup A's exporter, contacted: its next stage waits for an officer's review."""
    return assign(ExporterFactory(legal_name="Alpha Garments LLP"), startup_a, stage_code="contacted")


@pytest.fixture
def evidence(agent_a, exporter_a):
    """A waiting claim of startup A with a PDF, as its agent uploaded it."""
    return stage_event_submit(
        actor=agent_a,
        exporter=exporter_a,
        stage=stage("documents_collected"),
        evidence={"note": "Called", "evidence_file": SimpleUploadedFile("Order 17 (Alpha).pdf", PDF)},
        checklist=checklist_files("documents_collected"),
    )


@pytest.fixture
def work(agent_a, exporter_a):
    """A work-log entry of startup A with a Word document attached."""
    return activity_log(
        actor=agent_a,
        exporter=exporter_a,
        kind="documents",
        occurred_at=timezone.now(),
        attachment=SimpleUploadedFile("checklist.docx", DOCX),
    )


def test_stored_names_cannot_be_guessed_and_the_original_is_kept(evidence, work):
    assert re.fullmatch(r"evidence/[0-9a-f]{32}\.pdf", evidence.evidence_file.name)
    assert re.fullmatch(r"activities/[0-9a-f]{32}\.docx", work.attachment.name)
    assert (evidence.file_name, work.file_name) == ("Order 17 (Alpha).pdf", "checklist.docx")


@pytest.mark.parametrize("who", ["agent_a", "manager_a", "officer", "admin_user"])
def test_the_owner_and_staff_open_a_pdf_in_the_browser_safely(request, client_for, evidence, who):
    response = client_for(request.getfixturevalue(who)).get(evidence.download_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("inline;")
        and "Order 17 (Alpha).pdf" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        "sandbox" in response["Content-Security-Policy"] and "default-src 'none'" in response["Content-Security-Policy"]
    )
    assert "no-store" in response["Cache-Control"]


def test_an_office_file_is_downloaded_never_shown(client_for, manager_a, work):
    response = client_for(manager_a).get(work.download_url)
    assert response.status_code == 200
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "checklist.docx" in response["Content-Disposition"]
    )


def test_another_startup_gets_404(client_for, manager_b, evidence, work):
    client = client_for(manager_b)
    assert client.get(evidence.download_url).status_code == 404
    assert client.get(work.download_url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, evidence, work):
    for url in (evidence.download_url, work.download_url):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_ids_and_records_without_a_file_are_404(client_for, officer, agent_a, exporter_a, evidence):
    client = client_for(officer)
    assert client.get(reverse("onboarding:file-evidence", args=[evidence.pk + 1000])).status_code == 404
    plain = activity_log(actor=agent_a, exporter=exporter_a, kind="call", occurred_at=timezone.now(), outcome="reached")
    assert client.get(reverse("onboarding:file-activity", args=[plain.pk])).status_code == 404


def test_the_raw_media_folder_is_not_served(client_for, officer, evidence):
    assert client_for(officer).get("/media/" + evidence.evidence_file.name).status_code == 404


def test_behind_nginx_the_bytes_are_handed_to_the_web_server(settings, client_for, officer, evidence):
    settings.PROTECTED_MEDIA_ACCEL = "/protected-media/"
    response = client_for(officer).get(evidence.download_url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{evidence.evidence_file.name}"
    assert response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"


def test_files_show_where_people_need_them(client_for, officer, manager_a, evidence, work, exporter_a):
    queue = client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    assert evidence.download_url in queue and "Order 17 (Alpha).pdf" in queue
    page = client_for(manager_a).get(exporter_a.get_absolute_url()).content.decode()
    assert evidence.download_url in page and work.download_url in page
    log = client_for(manager_a).get(reverse("onboarding:activity-list")).content.decode()
    assert work.download_url in log


def test_an_image_is_shown_as_a_thumbnail_on_the_review_card(client_for, officer, agent_a, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="contacted")
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("documents_collected"),
        evidence={"note": "Photo of the shop", "evidence_file": SimpleUploadedFile("shop.png", PNG)},
        checklist=checklist_files("documents_collected"),
    )
    queue = client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    assert f'<img src="{event.download_url}"' in queue


def test_the_api_gives_a_download_url_with_the_same_rules(evidence, work, manager_a, manager_b):
    events = api_for(manager_a).get("/api/v1/stage-events/").json()["results"]
    url = events[0]["download_url"]
    assert url.endswith(evidence.download_url) and events[0]["file_name"] == "Order 17 (Alpha).pdf"
    activities = api_for(manager_a).get("/api/v1/activities/").json()["results"]
    assert activities[0]["download_url"].endswith(work.download_url)
    other = api_for(manager_b)
    assert other.get(url).status_code in (302, 401, 403, 404)  # a token is no session: never the file
    assert other.get(f"/api/v1/stage-events/{evidence.pk}/").status_code == 404
