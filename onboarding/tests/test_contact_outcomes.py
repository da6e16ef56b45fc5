"""Outcomes on contact: a call or visit says how it went, only a reached one claims "Contacted"
and asks the exporter, and with REQUIRE_CONFIRMED_CONTACT (the default) an officer approves
"Contacted" after the exporter's yes, or without it by giving a reason that is kept and shown."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from ..models import Activity, Commission, ConfirmationRequest, StageEvent
from ..models.activities import ActivityKind, ContactOutcome
from ..models.exporter_link import Answer
from ..models.stages import StageEventStatus
from ..reports.timeline import exporter_timeline
from ..services.exporter_link import confirmation_answer, exporter_link_get
from ..services.monthly_reports import monthly_report_build, pack_contents
from ..services.progress import activity_log, stage_event_approve, stage_events_approve_bulk
from .api_client import API, api_for, snapshot
from .downloads import csv_lines
from .factories import ExporterFactory, assign, commission_rule

NOT_REACHED = [o for o in ContactOutcome if o != ContactOutcome.REACHED]
REASON = "Owner confirmed on a call with the officer; he cannot use the link"


def log(exporter, user, kind=ActivityKind.CALL, outcome=ContactOutcome.REACHED, **more) -> Activity:
    occurred_at = more.pop("occurred_at", timezone.now() - timedelta(hours=1))
    return activity_log(actor=user, exporter=exporter, kind=kind, occurred_at=occurred_at, outcome=outcome, **more)


def contacted_claim(exporter) -> StageEvent:
    return exporter.stage_events.get(stage__code="contacted")


def exporter_says_yes(activity: Activity) -> None:
    asked = activity.confirmations.get()
    confirmation_answer(link=exporter_link_get(exporter=activity.exporter), confirmation_id=asked.pk, answer=Answer.YES)


# --- The outcome rules ---------------------------------------------------------------------


def test_confirmation_is_required_unless_an_install_turns_it_off():
    assert django_settings.REQUIRE_CONFIRMED_CONTACT is True


@pytest.mark.parametrize("kind", [ActivityKind.CALL, ActivityKind.VISIT])
@pytest.mark.parametrize("outcome", NOT_REACHED)
def test_a_call_or_visit_that_did_not_reach_the_exporter_claims_nothing_and_asks_nothing(
    agent_a, exporter_a, kind, outcome
):
    activity = log(exporter_a, agent_a, kind=kind, outcome=outcome)
    assert activity.outcome == outcome and not activity.reached
    assert not exporter_a.stage_events.exists()
    assert not ConfirmationRequest.objects.exists()
    exporter_a.refresh_from_db()
    assert exporter_a.current_stage.code == "assigned"
    assert exporter_a.last_activity_at == activity.occurred_at  # still work: the exporter is not stalled


@pytest.mark.parametrize("kind", [ActivityKind.CALL, ActivityKind.VISIT])
def test_a_reached_call_or_visit_claims_contacted_for_review_and_asks_the_exporter(agent_a, exporter_a, kind):
    activity = log(exporter_a, agent_a, kind=kind)
    assert activity.reached
    assert contacted_claim(exporter_a).status == StageEventStatus.SUBMITTED  # waits for the exporter's yes
    asked = activity.confirmations.get()
    assert asked.kind == kind and asked.answer == ""


def test_with_confirmation_off_a_reached_call_approves_contacted_and_an_unanswered_one_does_not(
    auto_contact, agent_a, exporter_a, startup_a
):
    other = assign(ExporterFactory(), startup_a)
    log(other, agent_a, outcome=ContactOutcome.NO_ANSWER)
    assert not other.stage_events.exists()
    log(exporter_a, agent_a)
    assert contacted_claim(exporter_a).status == StageEventStatus.APPROVED


def test_a_training_needs_no_outcome_and_is_still_asked_about(agent_a, exporter_a):
    activity = log(exporter_a, agent_a, kind=ActivityKind.TRAINING, outcome="")
    assert activity.outcome == "" and activity.outcome_words == ""
    assert activity.confirmations.get().kind == ActivityKind.TRAINING
    assert not exporter_a.stage_events.exists()  # a training is no first contact


def test_a_yes_to_a_call_logged_before_outcomes_does_not_confirm_contact(officer, agent_a, exporter_a):
    old = Activity.objects.create(
        startup=exporter_a.startup,
        exporter=exporter_a,
        user=agent_a,
        kind=ActivityKind.CALL,
        occurred_at=timezone.now(),
    )
    ConfirmationRequest.objects.create(
        exporter=exporter_a, startup=exporter_a.startup, activity=old, kind="call", answer=Answer.YES,
        occurred_at=old.occurred_at, created_at=old.occurred_at, answered_at=old.occurred_at,
    )  # fmt: skip
    assert old.outcome_words == "outcome not recorded" and not old.reached
    log(exporter_a, agent_a)  # the claim, not yet confirmed
    with pytest.raises(ValidationError, match="not confirmed a call or visit"):
        stage_event_approve(actor=officer, event=contacted_claim(exporter_a))


# --- A required outcome, refused field-level with nothing written -------------------------


@pytest.mark.parametrize("kind", [ActivityKind.CALL, ActivityKind.VISIT])
def test_the_service_refuses_a_call_or_visit_without_an_outcome_on_the_outcome_field(agent_a, exporter_a, kind):
    for outcome in ("", "maybe"):
        with pytest.raises(ValidationError) as refused:
            log(exporter_a, agent_a, kind=kind, outcome=outcome)
        assert "outcome" in refused.value.message_dict
    assert not Activity.objects.exists() and not StageEvent.objects.exists()
    assert not ConfirmationRequest.objects.exists()


def test_the_service_refuses_an_outcome_on_other_work(agent_a, exporter_a):
    with pytest.raises(ValidationError) as refused:
        log(exporter_a, agent_a, kind=ActivityKind.TRAINING, outcome=ContactOutcome.REACHED)
    assert "outcome" in refused.value.message_dict
    assert not Activity.objects.exists()


def test_the_log_work_page_asks_how_a_call_went_and_writes_nothing_without_it(client_for, agent_a, exporter_a):
    url = reverse("onboarding:exporter-log-work", args=[exporter_a.pk])
    client = client_for(agent_a)
    page = client.get(url).content.decode()
    assert "How did it go?" in page and "js/activity-outcome.js" in page
    data = {"kind": "call", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "note": "Rang twice"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Say how the call or visit went" in response.context["form"].errors["outcome"][0]
    assert not Activity.objects.exists() and not StageEvent.objects.exists()
    response = client.post(url, {**data, "outcome": "no_answer"})
    assert response.status_code == 302
    assert Activity.objects.get().outcome == "no_answer" and not StageEvent.objects.exists()


def test_the_page_drops_an_outcome_left_over_on_other_work(client_for, agent_a, exporter_a):
    url = reverse("onboarding:exporter-log-work", args=[exporter_a.pk])
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    client_for(agent_a).post(url, {"kind": "training", "outcome": "reached", "occurred_at": when})
    assert Activity.objects.get().outcome == ""


def test_the_api_refuses_a_call_without_an_outcome_as_a_field_error_and_writes_nothing(agent_a, exporter_a):
    api = api_for(agent_a)
    before = snapshot()
    body = {"exporter": exporter_a.pk, "kind": "call", "occurred_at": "2026-01-05T10:30:00+05:30"}
    response = api.post(f"{API}/activities/", body, format="json")
    assert response.status_code == 400
    assert "outcome" in response.json()["errors"]
    assert snapshot() == before and not ConfirmationRequest.objects.exists()
    done = api.post(f"{API}/activities/", {**body, "outcome": "wrong_number"}, format="json")
    assert done.status_code == 201 and done.json()["outcome"] == "wrong_number"


def test_another_startup_cannot_log_an_outcome_on_an_exporter_it_does_not_hold(client_for, manager_b, exporter_a):
    """The adversary: startup B's manager, on startup A's exporter, by page and by API."""
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    url = reverse("onboarding:exporter-log-work", args=[exporter_a.pk])
    data = {"kind": "call", "outcome": "reached", "occurred_at": when}
    assert client_for(manager_b).post(url, data).status_code == 404
    body = {**data, "exporter": exporter_a.pk}
    assert api_for(manager_b).post(f"{API}/activities/", body, format="json").status_code == 400
    assert not Activity.objects.exists() and not StageEvent.objects.exists()


# --- Approving "Contacted" without the exporter's confirmation ----------------------------


def test_approving_unconfirmed_contact_without_a_reason_is_refused_and_changes_nothing(officer, agent_a, exporter_a):
    commission_rule("contacted", "500.00")
    log(exporter_a, agent_a)
    for reason in ("", "   "):
        with pytest.raises(ValidationError, match="your reason for approving without their confirmation"):
            stage_event_approve(actor=officer, event=contacted_claim(exporter_a), unconfirmed_reason=reason)
    claim = contacted_claim(exporter_a)
    assert claim.status == StageEventStatus.SUBMITTED and claim.unconfirmed_reason == ""
    assert not Commission.objects.exists() and not LogEntry.objects.exists()


def test_an_officer_approves_unconfirmed_contact_with_a_reason_kept_on_the_claim_and_audited(
    officer, agent_a, exporter_a
):
    commission_rule("contacted", "500.00")
    log(exporter_a, agent_a)
    approved = stage_event_approve(actor=officer, event=contacted_claim(exporter_a), unconfirmed_reason=f" {REASON} ")
    assert approved.status == StageEventStatus.APPROVED and approved.reviewed_by == officer
    assert contacted_claim(exporter_a).unconfirmed_reason == REASON
    assert Commission.objects.get().stage_event_id == approved.pk  # accrued once, as any approval
    entry = LogEntry.objects.get(object_id=str(approved.pk))
    assert (
        entry.user == officer
        and REASON in entry.change_message
        and "without the exporter's confirmation" in (entry.change_message)
    )
    exporter_a.refresh_from_db()
    assert exporter_a.current_stage.code == "contacted"


def test_after_the_exporters_yes_no_reason_is_needed_and_none_is_kept(client, officer, agent_a, exporter_a):
    activity = log(exporter_a, agent_a)
    exporter_says_yes(activity)
    approved = stage_event_approve(actor=officer, event=contacted_claim(exporter_a), unconfirmed_reason="ignored")
    assert approved.status == StageEventStatus.APPROVED
    assert contacted_claim(exporter_a).unconfirmed_reason == ""
    assert not LogEntry.objects.exists()


def test_a_startup_user_cannot_approve_with_a_reason(client_for, agent_a, manager_a, exporter_a):
    """The adversary: the startup's own manager, who would approve its own claim."""
    log(exporter_a, agent_a)
    claim = contacted_claim(exporter_a)
    with pytest.raises(PermissionDenied):
        stage_event_approve(actor=manager_a, event=claim, unconfirmed_reason=REASON)
    url = reverse("onboarding:review-approve", args=[claim.pk])
    assert client_for(manager_a).post(url, {"unconfirmed_reason": REASON}).status_code in (403, 404)
    response = api_for(manager_a).post(
        f"{API}/stage-events/{claim.pk}/approve/", {"unconfirmed_reason": REASON}, format="json"
    )
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == StageEventStatus.SUBMITTED and claim.unconfirmed_reason == ""


def test_the_review_card_asks_for_a_reason_only_while_the_confirmation_is_missing(
    client_for, officer, agent_a, exporter_a, startup_a
):
    log(exporter_a, agent_a)
    confirmed = assign(ExporterFactory(legal_name="Confirmed Crafts LLP"), startup_a)
    exporter_says_yes(log(confirmed, agent_a))
    page = client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    assert page.count('name="unconfirmed_reason"') == 1
    assert f'id="unconfirmed-{contacted_claim(exporter_a).pk}"' in page
    assert "Approve without the exporter's confirmation because" in page


def test_the_review_card_approves_with_the_reason_and_says_so(client_for, officer, agent_a, exporter_a):
    log(exporter_a, agent_a)
    claim = contacted_claim(exporter_a)
    client = client_for(officer)
    url = reverse("onboarding:review-approve", args=[claim.pk])
    refused = client.post(url, {"note": ""}, headers={"X-Review-Card": "1"})
    assert refused.status_code == 400 and "not confirmed a call or visit" in refused.content.decode()
    card = client.post(url, {"note": "", "unconfirmed_reason": REASON}, headers={"X-Review-Card": "1"})
    assert card.status_code == 200
    assert escape(f"without the exporter's confirmation: {REASON}") in card.content.decode()
    claim.refresh_from_db()
    assert claim.status == StageEventStatus.APPROVED and claim.unconfirmed_reason == REASON


def test_the_review_queue_with_unconfirmed_contacts_has_a_constant_number_of_queries(
    client_for, officer, agent_a, startup_a, django_assert_num_queries
):
    for _ in range(2):
        log(assign(ExporterFactory(), startup_a), agent_a)
    client = client_for(officer)
    client.get(reverse("onboarding:review-queue"))  # warm the session
    # The queue's questions (test_progress_pages) with the exporters' confirmed contacts.
    with django_assert_num_queries(16) as two:
        client.get(reverse("onboarding:review-queue"))
    for _ in range(6):
        log(assign(ExporterFactory(), startup_a), agent_a)
    with django_assert_num_queries(len(two.captured_queries)):
        client.get(reverse("onboarding:review-queue"))


def test_bulk_approval_leaves_an_unconfirmed_contact_waiting(officer, agent_a, exporter_a):
    log(exporter_a, agent_a)
    claim = contacted_claim(exporter_a)
    assert stage_events_approve_bulk(actor=officer, event_ids=[claim.pk]) == 0
    claim.refresh_from_db()
    assert claim.status == StageEventStatus.SUBMITTED


def test_the_api_approves_unconfirmed_contact_only_with_a_reason(officer, agent_a, exporter_a):
    log(exporter_a, agent_a)
    claim = contacted_claim(exporter_a)
    api = api_for(officer)
    url = f"{API}/stage-events/{claim.pk}/approve/"
    refused = api.post(url, {"note": "ok"}, format="json")
    assert refused.status_code == 400 and "not confirmed a call or visit" in refused.json()["detail"]
    assert contacted_claim(exporter_a).status == StageEventStatus.SUBMITTED
    approved = api.post(url, {"note": "ok", "unconfirmed_reason": REASON}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["unconfirmed_reason"] == REASON


# --- Where outcomes and unconfirmed approvals are shown ------------------------------------


def test_the_timeline_shows_each_outcome_and_the_approval_without_confirmation(officer, agent_a, exporter_a):
    log(exporter_a, agent_a, outcome=ContactOutcome.NO_ANSWER, note="Rang at noon")
    log(exporter_a, agent_a, kind=ActivityKind.VISIT)
    stage_event_approve(actor=officer, event=contacted_claim(exporter_a), unconfirmed_reason=REASON)
    entries = exporter_timeline(exporter_a, officer)
    titles = [e.title for e in entries]
    assert "Call · No answer" in titles and "Visit · Reached: we spoke" in titles
    approval = next(e for e in entries if "approved" in e.title)
    assert approval.title == "“Contacted” approved without the exporter's confirmation"
    assert approval.detail.startswith(f"Reason: {REASON}") and approval.tone == "warning"


def test_the_work_log_and_its_download_show_the_outcome_or_that_it_was_not_recorded(
    client_for, officer, agent_a, exporter_a
):
    log(exporter_a, agent_a, outcome=ContactOutcome.UNREACHABLE, note="switched off")
    log(exporter_a, agent_a, kind=ActivityKind.TRAINING, outcome="", note="training")
    Activity.objects.create(
        startup=exporter_a.startup, exporter=exporter_a, user=agent_a, kind=ActivityKind.VISIT,
        occurred_at=timezone.now() - timedelta(days=30), note="old visit",
    )  # fmt: skip
    client = client_for(officer)
    page = client.get(reverse("onboarding:activity-list")).content.decode()
    assert "Switched off or unreachable" in page and "Outcome not recorded" in page
    lines = csv_lines(client.get(reverse("onboarding:activity-list"), {"format": "csv"}))
    header, *rows = lines
    outcomes = {row[header.index("Note")]: row[header.index("Outcome")] for row in rows}
    assert outcomes == {
        "switched off": "Switched off or unreachable",
        "training": "",
        "old visit": "outcome not recorded",
    }


@time_machine.travel("2026-12-01 06:00 +0530", tick=False)
def test_the_monthly_pack_counts_and_lists_the_months_approvals_without_confirmation(officer, agent_a, startup_a):
    def unconfirmed_approval(when: str, reason: str) -> None:
        with time_machine.travel(when, tick=False):
            exporter = assign(ExporterFactory(legal_name=f"{reason} LLP"), startup_a)
            log(exporter, agent_a)
            stage_event_approve(actor=officer, event=contacted_claim(exporter), unconfirmed_reason=reason)

    unconfirmed_approval("2026-11-10 11:00 +0530", "Phone confirmed by officer")
    unconfirmed_approval("2026-11-20 11:00 +0530", "Exporter has no smartphone")
    unconfirmed_approval("2026-10-20 11:00 +0530", "October approval")
    with time_machine.travel("2026-11-25 11:00 +0530", tick=False):  # confirmed: not listed
        exporter = assign(ExporterFactory(legal_name="Confirmed LLP"), startup_a)
        exporter_says_yes(log(exporter, agent_a))
        stage_event_approve(actor=officer, event=contacted_claim(exporter))
    report = monthly_report_build(month=date(2026, 11, 1), version=1)
    rows = list(load_workbook(io.BytesIO(report.xlsx.read()), read_only=True)["unconfirmed"].values)
    header, *listed = rows
    assert header[-1] == "Reason" and len(listed) == 2
    assert [row[-1] for row in listed] == ["Phone confirmed by officer", "Exporter has no smartphone"]
    assert {row[1] for row in listed} == {"Phone confirmed by officer LLP", "Exporter has no smartphone LLP"}
    tables, _context = pack_contents(month=date(2026, 11, 1))
    table = next(t for t in tables if t.slug == "unconfirmed")
    assert table.title == "Approved without the exporter's confirmation: 2 claims"
