"""Disputes: an exporter's "No" (or "Nobody has contacted me") opens one, the officers are told
by notice and email, the dashboard, the scorecard and the review queue count it, and the
startup's claims for that exporter wait until an officer resolves it with a note the startup
sees. Adversaries: the disputed startup (cannot resolve it, nor approve around it), another
startup (never sees it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ..models import Dispute, Notification, StageEvent
from ..models.exporter_link import ConfirmationKind
from ..models.notifications import NotificationKind
from ..models.stages import StageEventStatus
from ..services.disputes import dispute_resolve
from ..services.exporter_link import confirmation_answer, exporter_link_get, exporter_report_no_contact
from ..services.outcomes import outcomes_refresh
from ..services.progress import activity_log, stage_event_approve, stage_events_approve_bulk
from .api_client import API, api_for
from .test_reviews import QUEUE, claim

pytestmark = pytest.mark.django_db


def denied_visit(exporter, agent):
    """The agent logs a visit; the exporter answers that it never happened."""
    activity = activity_log(
        actor=agent,
        exporter=exporter,
        kind="visit",
        occurred_at=timezone.now() - timedelta(hours=2),
        note="n",
        outcome="reached",
    )
    question = activity.confirmations.get()
    confirmation_answer(link=exporter_link_get(exporter=exporter), confirmation_id=question.pk, answer="no")
    return Dispute.objects.get(confirmation=question)


@pytest.fixture
def disputed(officer, agent_a, startup_a, django_capture_on_commit_callbacks):
    """A claim waiting for review whose exporter disputes the startup's visit."""
    event = claim(startup_a, agent_a, name="Kaveri Silks LLP")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dispute = denied_visit(event.exporter, agent_a)
    return event, dispute


def test_a_no_opens_a_dispute_and_tells_the_officers_by_notice_and_email(officer, disputed):
    _event, dispute = disputed
    assert dispute.is_open and dispute.startup_id == _event.startup_id
    [notice] = Notification.objects.filter(recipient=officer, kind=NotificationKind.DISPUTE_OPENED)
    assert "did not visit them" in notice.body
    assert [m.to for m in mail.outbox] == [[officer.email]]


def test_nobody_has_contacted_me_opens_a_dispute_in_staff_words(client_for, officer, exporter_a):
    flag = exporter_report_no_contact(link=exporter_link_get(exporter=exporter_a), comment="Nobody called")
    dispute = Dispute.objects.get(confirmation=flag)
    assert flag.kind == ConfirmationKind.NO_CONTACT
    assert dispute.staff_words().startswith("The exporter said on ")
    assert "nobody from" in dispute.staff_words() and "You told us" not in dispute.staff_words()
    page = client_for(officer).get(reverse("onboarding:dispute-list")).content.decode()
    assert "Nobody called" in page and "You told us" not in page


def test_changing_the_answer_to_yes_closes_the_dispute(agent_a, exporter_a):
    dispute = denied_visit(exporter_a, agent_a)
    link = exporter_link_get(exporter=exporter_a)
    confirmation_answer(link=link, confirmation_id=dispute.confirmation_id, answer="yes")
    dispute.refresh_from_db()
    assert not dispute.is_open and dispute.resolved_by is None and "changed their answer" in dispute.resolution


def test_an_open_dispute_holds_the_startups_claims_on_page_bulk_and_api(client_for, officer, disputed):
    event, _dispute = disputed
    with pytest.raises(ValidationError, match="resolve the dispute first"):
        stage_event_approve(actor=officer, event=event)
    assert stage_events_approve_bulk(actor=officer, event_ids=[event.pk]) == 0
    card = client_for(officer).post(
        reverse("onboarding:review-approve", args=[event.pk]), {"next": QUEUE}, headers={"X-Review-Card": "1"}
    )
    assert card.status_code == 409 and "resolve the dispute first" in card.content.decode()
    response = api_for(officer).post(f"{API}/stage-events/{event.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    event.refresh_from_db()
    assert event.status == StageEventStatus.SUBMITTED


def test_the_review_card_shows_the_dispute_and_disables_approve(client_for, officer, disputed):
    event, _dispute = disputed
    page = client_for(officer).get(QUEUE).content.decode()
    card = page.split(f'id="claim-{event.pk}"')[1].split("</article>")[0]
    assert "Disputed:" in card and "did not visit them" in card
    assert "data-review-approve disabled" in card


def test_an_officer_resolves_it_with_a_note_the_startup_sees_then_the_claim_can_be_approved(
    client_for, officer, manager_a, disputed, django_capture_on_commit_callbacks
):
    event, dispute = disputed
    url = reverse("onboarding:dispute-resolve", args=[dispute.pk])
    client = client_for(officer)
    response = client.post(url, {"note": ""}, follow=True)
    assert "the startup sees this note" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.is_open
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"note": "Called both: the visit was on the 3rd, not the 2nd."})
    dispute.refresh_from_db()
    assert not dispute.is_open and dispute.resolved_by == officer
    [notice] = Notification.objects.filter(recipient=manager_a, kind=NotificationKind.DISPUTE_RESOLVED)
    assert "the visit was on the 3rd" in notice.body
    own = client_for(manager_a).get(reverse("onboarding:dispute-list"), {"state": "resolved"}).content.decode()
    assert "the visit was on the 3rd" in own
    stage_event_approve(actor=officer, event=event)
    event.refresh_from_db()
    assert event.status == StageEventStatus.APPROVED


def test_the_disputed_startup_cannot_resolve_its_own_dispute(client_for, manager_a, agent_a, disputed):
    _event, dispute = disputed
    url = reverse("onboarding:dispute-resolve", args=[dispute.pk])
    for user in (manager_a, agent_a):
        assert client_for(user).post(url, {"note": "All fine, really"}).status_code == 403
        with pytest.raises(PermissionDenied):
            dispute_resolve(actor=user, dispute=dispute, note="All fine")
    dispute.refresh_from_db()
    assert dispute.is_open


def test_another_startup_never_sees_the_dispute(client_for, manager_b, disputed):
    _event, dispute = disputed
    page = client_for(manager_b).get(reverse("onboarding:dispute-list"), {"state": "all"}).content.decode()
    assert "Kaveri Silks" not in page and "No disputes to show" in page
    assert client_for(manager_b).post(reverse("onboarding:dispute-resolve", args=[dispute.pk])).status_code == 404


def test_a_second_resolution_is_refused(officer, disputed):
    _event, dispute = disputed
    dispute_resolve(actor=officer, dispute=dispute, note="Checked")
    with pytest.raises(ValidationError, match="already resolved"):
        dispute_resolve(actor=officer, dispute=dispute, note="Again")


def test_the_dashboard_and_the_scorecard_count_open_disputes(client_for, officer, manager_a, disputed):
    outcomes_refresh(full=True)  # the scorecards' other figures
    dashboard = client_for(officer).get(reverse("onboarding:home")).content.decode()
    assert "1 open dispute" in dashboard
    scorecards = client_for(officer).get(reverse("onboarding:analytics-scorecards"))
    assert "Open disputes" in scorecards.content.decode()
    [card] = [c for c in scorecards.context["cards"] if c["startup_id"] == disputed[0].startup_id]
    assert card["open_disputes"] == 1
    own = client_for(manager_a).get(reverse("onboarding:analytics-scorecards")).context["cards"]
    assert [c["open_disputes"] for c in own] == [1]


def test_the_dispute_list_has_a_constant_number_of_queries(
    client_for, officer, agent_a, startup_a, django_assert_num_queries
):
    for _ in range(4):
        denied_visit(claim(startup_a, agent_a).exporter, agent_a)
    client = client_for(officer)
    client.get(reverse("onboarding:dispute-list"))
    # session, user, count, page rows (with exporter, startup, confirmation, resolver), the
    # reviews badge, the bell
    with django_assert_num_queries(6):
        client.get(reverse("onboarding:dispute-list"))


def test_a_waiting_claim_is_not_approved_automatically_while_disputed(agent_a, exporter_a, settings):
    settings.REQUIRE_CONFIRMED_CONTACT = False
    exporter_report_no_contact(link=exporter_link_get(exporter=exporter_a))
    activity_log(
        actor=agent_a, exporter=exporter_a, kind="call", occurred_at=timezone.now(), note="Called", outcome="reached"
    )
    contacted = StageEvent.objects.get(exporter=exporter_a, stage__code="contacted")
    assert contacted.status == StageEventStatus.SUBMITTED


def test_the_exporters_timeline_tells_the_dispute_and_its_resolution_to_staff_and_that_startup_only(
    client_for, officer, manager_a, manager_b, disputed
):
    event, dispute = disputed
    dispute_resolve(actor=officer, dispute=dispute, note="Visit confirmed by phone")
    url = event.exporter.get_absolute_url()
    for user in (officer, manager_a):
        page = client_for(user).get(url).content.decode()
        assert "Dispute opened" in page and "Visit confirmed by phone" in page
    assert client_for(manager_b).get(url).status_code == 404
