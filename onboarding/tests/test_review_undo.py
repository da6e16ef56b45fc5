"""Decisions with a safety catch: a form sent without its Approve button rejects (or asks for a
note), never approves; each decision can be undone for ten minutes by the officer who made it,
putting back the stage, the marketplace fields and the commission; the startup hears of a
decision only once it can no longer be undone. Adversaries: another officer, a startup user,
anyone late."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ..models import Commission, Notification, StageEvent
from ..models.stages import UNDO_WINDOW, StageEventStatus
from ..services.assignments import exporter_unassign
from ..services.notifications import notifications_claims_decided
from ..services.progress import stage_event_approve, stage_event_reject, stage_event_undo, stage_events_undo_bulk
from .api_client import API, api_for
from .factories import StaffFactory, commission_rule
from .test_reviews import QUEUE, claim

pytestmark = pytest.mark.django_db


def announce_later(capture) -> int:
    with capture(execute=True):
        return notifications_claims_decided(now=timezone.now() + UNDO_WINDOW + timedelta(seconds=1))


def test_an_undone_approval_puts_back_stage_storefront_and_commission_and_is_never_announced(
    officer, agent_a, startup_a, django_capture_on_commit_callbacks
):
    commission_rule("storefront_live", "3000.00")
    event = claim(startup_a, agent_a)
    exporter = event.exporter
    before = (exporter.current_stage_id, exporter.stage_entered_at, exporter.storefront_url)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stage_event_approve(actor=officer, event=event, note="Fine")
    exporter.refresh_from_db()
    assert exporter.current_stage.code == "storefront_live" and exporter.storefront_url == "https://a.example/"
    assert Commission.objects.filter(exporter=exporter).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        stage_event_undo(actor=officer, event=event)
    exporter.refresh_from_db()
    event.refresh_from_db()
    assert (exporter.current_stage_id, exporter.stage_entered_at, exporter.storefront_url) == before
    assert event.status == StageEventStatus.SUBMITTED and event.reviewed_by is None and event.review_note == ""
    assert not Commission.objects.filter(exporter=exporter).exists()
    assert announce_later(django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.exists() and mail.outbox == []
    [entry] = LogEntry.objects.filter(object_id=str(exporter.pk))
    assert entry.user == officer and "Undid the decision (approved)" in entry.change_message


def test_an_undone_claim_can_be_decided_again_and_accrues_once(officer, agent_a, startup_a):
    commission_rule("storefront_live", "3000.00")
    event = claim(startup_a, agent_a)
    stage_event_approve(actor=officer, event=event)
    stage_event_undo(actor=officer, event=event)
    stage_event_approve(actor=officer, event=event)
    assert Commission.objects.filter(exporter=event.exporter).count() == 1
    event.refresh_from_db()
    assert event.status == StageEventStatus.APPROVED


def test_an_undone_rejection_waits_again_without_its_note(officer, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    stage_event_reject(actor=officer, event=event, note="Link broken")
    stage_event_undo(actor=officer, event=event)
    event.refresh_from_db()
    assert event.status == StageEventStatus.SUBMITTED and event.review_note == ""


def test_undo_is_refused_after_ten_minutes_and_the_decision_is_then_announced(
    client_for, officer, agent_a, startup_a, django_capture_on_commit_callbacks
):
    event = claim(startup_a, agent_a)
    stage_event_approve(actor=officer, event=event)
    with time_machine.travel(timezone.now() + UNDO_WINDOW + timedelta(seconds=5)):
        response = client_for(officer).post(reverse("onboarding:review-undo", args=[event.pk]), {"next": QUEUE})
        assert response.status_code == 302
        [message] = [m.message for m in response.wsgi_request._messages]
        assert "can be undone for 10 minutes only" in message
    event.refresh_from_db()
    assert event.status == StageEventStatus.APPROVED
    assert announce_later(django_capture_on_commit_callbacks) == 1
    assert Notification.objects.filter(recipient=agent_a, kind="evidence_approved").count() == 1


def test_another_officer_cannot_undo_my_decision(client_for, officer, agent_a, startup_a):
    other = StaffFactory(email="other.officer@programme.example")
    event = claim(startup_a, agent_a)
    stage_event_approve(actor=officer, event=event)
    url = reverse("onboarding:review-undo", args=[event.pk])
    assert client_for(other).post(url, headers={"X-Review-Card": "1"}).status_code == 403
    assert stage_events_undo_bulk(actor=other, event_ids=[event.pk]) == 0
    event.refresh_from_db()
    assert event.status == StageEventStatus.APPROVED


def test_startup_users_cannot_undo_a_decision(client_for, officer, agent_a, manager_b, startup_a):
    event = claim(startup_a, agent_a)
    stage_event_reject(actor=officer, event=event, note="No")
    assert client_for(agent_a).post(reverse("onboarding:review-undo", args=[event.pk])).status_code == 403
    assert client_for(manager_b).post(reverse("onboarding:review-undo", args=[event.pk])).status_code == 404
    assert client_for(agent_a).post(reverse("onboarding:review-undo-bulk"), {"event": [event.pk]}).status_code == 403
    event.refresh_from_db()
    assert event.status == StageEventStatus.REJECTED


def test_a_bulk_decision_is_undone_from_the_queues_panel(client_for, officer, agent_a, startup_a):
    events = [claim(startup_a, agent_a) for _ in range(3)]
    client = client_for(officer)
    client.post(QUEUE, {"event": [e.pk for e in events], "decision": "approve"})
    page = client.get(QUEUE).content.decode()
    assert "Your decisions of the last 10 minutes" in page and page.count("data-undo-tick>") == 3
    response = client.post(reverse("onboarding:review-undo-bulk"), {"event": [e.pk for e in events]}, follow=True)
    assert "Undid 3 decisions" in response.content.decode()
    assert set(StageEvent.objects.values_list("status", flat=True)) == {StageEventStatus.SUBMITTED}


def test_the_card_posts_to_reject_by_default_so_enter_in_the_note_never_approves(
    client_for, officer, agent_a, startup_a
):
    event = claim(startup_a, agent_a)
    page = client_for(officer).get(QUEUE).content.decode()
    form = page.split(f'id="claim-{event.pk}"')[1].split("</form>")[0]
    assert f'action="{reverse("onboarding:review-reject", args=[event.pk])}"' in form
    assert form.index("data-review-reject") < form.index("data-review-approve")  # Reject is the first button


def test_a_bulk_form_sent_without_a_button_rejects_and_asks_for_a_note(client_for, officer, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    response = client_for(officer).post(QUEUE, {"event": [event.pk], "note": ""}, follow=True)
    assert "Nothing was rejected" in response.content.decode()
    event.refresh_from_db()
    assert event.status == StageEventStatus.SUBMITTED


def test_the_api_undoes_my_own_decision_and_refuses_others_and_late_ones(officer, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    api_for(officer).post(f"{API}/stage-events/{event.pk}/approve/", {}, format="json")
    undo = f"{API}/stage-events/{event.pk}/undo/"
    assert api_for(StaffFactory(email="x@programme.example")).post(undo).status_code == 403
    assert api_for(agent_a).post(undo).status_code == 403
    refused = api_for(officer).post(undo, {"note": "why not"}, format="json")
    assert refused.status_code == 400 and "note" in refused.json()["errors"]
    response = api_for(officer).post(undo)
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    api_for(officer).post(f"{API}/stage-events/{event.pk}/reject/", {"note": "Broken link"}, format="json")
    with time_machine.travel(timezone.now() + UNDO_WINDOW + timedelta(seconds=5)):
        assert api_for(officer).post(undo).status_code == 409
    event.refresh_from_db()
    assert event.status == StageEventStatus.REJECTED


def test_a_decision_on_an_exporter_moved_since_stands(officer, admin_user, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    stage_event_reject(actor=officer, event=event, note="Link broken")
    exporter_unassign(actor=admin_user, exporter=event.exporter, reason="Startup asked")
    with pytest.raises(ValidationError, match="no longer works this exporter"):
        stage_event_undo(actor=officer, event=event)
    event.refresh_from_db()
    assert event.status == StageEventStatus.REJECTED
