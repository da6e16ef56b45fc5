"""The REST API's progress: the stages, logged work (activities) with attachments, and stage
evidence (stage-events) submitted by a startup and reviewed by staff."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ..models import Activity, Commission, StageEvent
from ..models.stages import StageEventStatus
from .api_client import API, api_for, snapshot
from .factories import checklist_files, commission_rule, documents_claim, stage


@pytest.mark.parametrize("resource", ["activities", "stage-events"])
def test_it_checks_ownership(manager_b, api_objects, startup_a, exporter_a, resource):
    api = api_for(manager_b)
    before = snapshot()
    assert api.get(f"{API}/{resource}/{api_objects[startup_a.pk][resource]}/").status_code == 404
    assert api.get(f"{API}/{resource}/", {"exporter": exporter_a.pk}).json()["results"] == []
    if resource == "stage-events":
        event = api_objects[startup_a.pk]["stage-events"]
        for decision in ("approve", "reject"):
            response = api.post(f"{API}/stage-events/{event}/{decision}/", {"note": "x"}, format="json")
            assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("resource", ["activities", "stage-events"])
def test_work_on_another_startups_exporter_is_refused_like_an_unknown_one(manager_b, exporter_a, resource):
    api = api_for(manager_b)
    body = {"kind": "call", "outcome": "reached", "occurred_at": "2026-01-05T10:00", "note": "sneaky"}
    other = api.post(f"{API}/{resource}/", {**body, "exporter": exporter_a.pk}, format="json")
    unknown = api.post(f"{API}/{resource}/", {**body, "exporter": 987654}, format="json")
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()
    assert not Activity.objects.exists() and not StageEvent.objects.exists()


def test_stages_are_listed_in_order_with_their_evidence(agent_a):
    stages = api_for(agent_a).get(f"{API}/stages/").json()
    assert [s["code"] for s in stages][:3] == ["assigned", "contacted", "documents_collected"]
    products = next(s for s in stages if s["code"] == "products_listed")
    assert products["evidence_fields"] == ["number", "url"]


def test_agent_logs_work_on_their_exporter_and_a_reached_call_marks_it_contacted(auto_contact, agent_a, exporter_a):
    response = api_for(agent_a).post(
        f"{API}/activities/",
        {
            "exporter": exporter_a.pk,
            "kind": "call",
            "outcome": "reached",
            "occurred_at": "2026-01-05T10:30:00+05:30",
            "duration_minutes": 20,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"]["id"] == agent_a.pk
    activity = Activity.objects.get()
    assert activity.startup_id == exporter_a.startup_id and activity.duration_minutes == 20
    exporter_a.refresh_from_db()
    assert exporter_a.current_stage.code == "contacted"


def test_work_and_evidence_files_are_uploaded_as_multipart_and_checked(agent_a, exporter_a):
    api = api_for(agent_a)
    body = {"exporter": exporter_a.pk, "kind": "documents", "occurred_at": "2026-01-05 10:30"}
    fake = api.post(f"{API}/activities/", {**body, "attachment": SimpleUploadedFile("gst.pdf", b"MZ not a pdf")})
    assert fake.status_code == 400 and "not a real .pdf" in fake.json()["attachment"][0]
    assert not Activity.objects.exists()

    pdf = SimpleUploadedFile("gst.pdf", b"%PDF-1.7\n1 0 obj\n")
    response = api.post(f"{API}/activities/", {**body, "attachment": pdf})
    assert response.status_code == 201, response.json()
    assert Activity.objects.get().attachment.name.endswith(".pdf")


def test_agent_submits_evidence_and_only_staff_review_it(agent_a, manager_a, officer, exporter_a):
    commission_rule("documents_collected", "1200.00")
    exporter_a.current_stage = stage("contacted")
    exporter_a.save()
    # The stage's checklist documents go in a multipart body, one `document_<kind>` each.
    documents = {f"document_{kind}": file for kind, file in checklist_files("documents_collected").items()}
    response = api_for(agent_a).post(
        f"{API}/stage-events/", {"exporter": exporter_a.pk, "note": "All four documents received", **documents}
    )
    assert response.status_code == 201, response.json()
    event = response.json()
    assert event["stage"]["code"] == "documents_collected" and event["status"] == "submitted"

    approve = f"{API}/stage-events/{event['id']}/approve/"
    assert api_for(manager_a).post(approve, {}, format="json").status_code == 403
    assert StageEvent.objects.get().status == StageEventStatus.SUBMITTED

    response = api_for(officer).post(approve, {"note": "Looks right"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    exporter_a.refresh_from_db()
    assert exporter_a.current_stage.code == "documents_collected"
    assert Commission.objects.get(exporter=exporter_a).amount == 1200

    again = api_for(officer).post(f"{API}/stage-events/{event['id']}/reject/", {"note": "x"}, format="json")
    assert again.status_code == 409
    assert StageEvent.objects.get().status == StageEventStatus.APPROVED


def test_rejection_needs_a_note_and_the_startup_sees_it(agent_a, officer, exporter_a):
    event = documents_claim(exporter_a, agent_a)
    url = f"{API}/stage-events/{event.pk}/reject/"
    missing = api_for(officer).post(url, {}, format="json")
    # The note is a required field of the body (the schema says so), so its refusal names it.
    assert missing.status_code == 400 and "Say why" in missing.json()["errors"]["note"][0]
    response = api_for(officer).post(url, {"note": "The IEC is unreadable."}, format="json")
    assert response.status_code == 200
    seen = api_for(agent_a).get(f"{API}/stage-events/{event.pk}/").json()
    assert seen["status"] == "rejected" and seen["review_note"] == "The IEC is unreadable."


def test_evidence_is_checked_by_the_stage_form(agent_a, exporter_a):
    exporter_a.current_stage = stage("storefront_live")
    exporter_a.save()
    api = api_for(agent_a)
    missing = api.post(f"{API}/stage-events/", {"exporter": exporter_a.pk}, format="json")
    assert missing.status_code == 400 and "evidence_number" in missing.json()
    too_few = api.post(
        f"{API}/stage-events/",
        {"exporter": exporter_a.pk, "evidence_number": 3, "evidence_url": "https://shop.example/p/1"},
        format="json",
    )
    assert too_few.status_code == 400 and "at least 10" in too_few.json()["evidence_number"][0]
    assert not StageEvent.objects.exists()


def test_evidence_already_waiting_is_a_400_not_a_second_claim(agent_a, exporter_a):
    exporter_a.current_stage = stage("contacted")
    exporter_a.save()
    api = api_for(agent_a)

    def body():
        documents = checklist_files("documents_collected").items()
        return {"exporter": exporter_a.pk, "note": "docs", **{f"document_{k}": file for k, file in documents}}

    assert api.post(f"{API}/stage-events/", body()).status_code == 201
    second = api.post(f"{API}/stage-events/", body())
    assert second.status_code == 400 and "already waiting" in second.json()["non_field_errors"][0]
    assert StageEvent.objects.count() == 1
