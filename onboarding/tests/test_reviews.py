"""The review queue: filters and search, deciding in place without losing the page, per-card
errors, bulk decisions over every match, and the "already decided" refusal on page and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import WARNING, get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ..models import Stage, StageEvent
from ..models.stages import StageEventStatus
from ..services.progress import stage_event_approve, stage_event_submit
from .api_client import api_for
from .factories import ExporterFactory, MemberFactory, StartupFactory, assign, checklist_files, stage

QUEUE = reverse("onboarding:review-queue")


def claim(startup, agent, *, name: str = "", days: int = 0, code: str = "membership_active", **exporter) -> StageEvent:
    """A claim for the stage after `code`, waiting `days` days."""
    if name:
        exporter["legal_name"] = name
    made = assign(ExporterFactory(**exporter), startup, stage_code=code)
    evidence = {"evidence_url": "https://a.example/"} if code == "membership_active" else {"note": "Documents in"}
    nxt = made.next_stage(list(Stage.objects.ordered()))
    checklist = checklist_files(nxt.code)  # every document the stage asks for
    event = stage_event_submit(actor=agent, exporter=made, stage=nxt, evidence=evidence, checklist=checklist)
    if days:
        StageEvent.objects.filter(pk=event.pk).update(submitted_at=timezone.now() - timedelta(days=days, hours=19))
    return event


def names(response) -> list[str]:
    return [e.exporter.legal_name for e in response.context["events"]]


def test_the_queue_filters_by_stage_startup_state_age_and_file(client_for, officer, agent_a, startup_a):
    other = StartupFactory(legal_name="Gamma Exim Private Limited", brand_name="Gamma")
    gamma_agent = MemberFactory(startup=other, role="agent").user
    claim(startup_a, agent_a, name="Storefront LLP", days=8, state="27")
    claim(startup_a, agent_a, name="Documents LLP", code="contacted", state="24")
    claim(other, gamma_agent, name="Gamma Storefront LLP", days=2, state="27")
    StageEvent.objects.filter(exporter__legal_name="Documents LLP").update(
        evidence_file="evidence/x.pdf", evidence_file_name="x.pdf"
    )
    client = client_for(officer)
    by_stage = client.get(QUEUE, {"stage": stage("documents_collected").pk})
    assert names(by_stage) == ["Documents LLP"]
    assert names(client.get(QUEUE, {"startup_name": "gamma"})) == ["Gamma Storefront LLP"]
    assert names(client.get(QUEUE, {"state": "24"})) == ["Documents LLP"]
    assert names(client.get(QUEUE, {"age": "3"})) == ["Storefront LLP"]
    assert names(client.get(QUEUE, {"age": "1"})) == ["Storefront LLP", "Gamma Storefront LLP"]
    assert names(client.get(QUEUE, {"has_file": "true"})) == ["Documents LLP"]
    assert "Documents LLP" not in names(client.get(QUEUE, {"has_file": "false"}))


def test_the_queue_searches_by_exporter_name_or_gstin_and_sorts_oldest_first_by_default(
    client_for, officer, agent_a, startup_a
):
    old = claim(startup_a, agent_a, name="Kaveri Silks LLP", days=5)
    claim(startup_a, agent_a, name="Narmada Spices LLP", days=1)
    client = client_for(officer)
    assert names(client.get(QUEUE)) == ["Kaveri Silks LLP", "Narmada Spices LLP"]
    assert names(client.get(QUEUE, {"sort": "newest"})) == ["Narmada Spices LLP", "Kaveri Silks LLP"]
    assert names(client.get(QUEUE, {"q": "narmada"})) == ["Narmada Spices LLP"]
    assert names(client.get(QUEUE, {"q": old.exporter.gstin})) == ["Kaveri Silks LLP"]


@pytest.mark.parametrize(
    "junk",
    [{"stage": "x"}, {"stage": "99999999999999999999"}, {"age": "900"}, {"sort": "pk; drop"}, {"has_file": "maybe"}],
)
def test_junk_filters_are_ignored_with_a_field_error_never_a_500(client_for, officer, agent_a, startup_a, junk):
    claim(startup_a, agent_a, name="Kaveri Silks LLP")
    response = client_for(officer).get(QUEUE, junk)
    assert response.status_code == 200 and names(response) == ["Kaveri Silks LLP"]


def test_a_card_says_what_the_stage_asks_for_and_waits_in_plain_days(client_for, officer, agent_a, startup_a):
    claim(startup_a, agent_a, name="Kaveri Silks LLP", days=5)
    body = client_for(officer).get(QUEUE).content.decode()
    assert "The stage asks for" in body and 'URL<span class="visually-hidden"> (sent)' in body
    assert "waiting 5 days" in body and "hours" not in body


def test_approving_returns_to_the_same_filtered_page(client_for, officer, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    here = f"/reviews/?stage={event.stage_id}&page=2"
    response = client_for(officer).post(reverse("onboarding:review-approve", args=[event.pk]), {"next": here})
    assert response.url == here
    event.refresh_from_db()
    assert event.status == StageEventStatus.APPROVED


def test_a_next_to_another_site_is_not_followed(client_for, officer, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    url = reverse("onboarding:review-approve", args=[event.pk])
    assert client_for(officer).post(url, {"next": "https://evil.example/"}).url == QUEUE


def test_rejecting_without_a_note_is_an_error_on_that_cards_note(client_for, officer, agent_a, startup_a):
    first, second = claim(startup_a, agent_a), claim(startup_a, agent_a)
    client = client_for(officer)
    response = client.post(reverse("onboarding:review-reject", args=[second.pk]), {"note": " ", "next": QUEUE})
    page = client.get(response.url).content.decode()
    assert f'aria-describedby="note-{second.pk}-error"' in page and "Say why the evidence is rejected" in page
    assert f'aria-describedby="note-{first.pk}-error"' not in page and 'class="alert alert-danger' not in page
    assert set(StageEvent.objects.values_list("status", flat=True)) == {StageEventStatus.SUBMITTED}


def test_with_javascript_a_decision_answers_with_the_card_alone(client_for, officer, agent_a, startup_a):
    event = claim(startup_a, agent_a, name="Kaveri Silks LLP")
    client = client_for(officer)
    headers = {"X-Review-Card": "1"}
    refused = client.post(reverse("onboarding:review-reject", args=[event.pk]), {"note": ""}, headers=headers)
    assert refused.status_code == 400 and f'id="note-{event.pk}-error"' in refused.content.decode()
    done = client.post(reverse("onboarding:review-approve", args=[event.pk]), {"next": QUEUE}, headers=headers)
    body = done.content.decode()
    assert done.status_code == 200 and body.lstrip().startswith("<article") and "Approved “Storefront live”" in body
    assert done["X-Review-Card"] == "1"  # what reviews.js checks before swapping the card in
    assert not list(get_messages(done.wsgi_request))


def test_a_decided_claim_is_refused_with_a_warning_on_the_page(client_for, officer, admin_user, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    stage_event_approve(actor=admin_user, event=event)
    response = client_for(officer).post(reverse("onboarding:review-approve", args=[event.pk]), follow=True)
    (message,) = list(response.context["messages"])
    assert message.level == WARNING and message.message == "This claim is already approved: nothing was changed."
    assert StageEvent.objects.get().reviewed_by == admin_user


def test_a_decided_claim_is_a_409_with_the_same_message_in_the_api(officer, admin_user, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    stage_event_approve(actor=admin_user, event=event)
    response = api_for(officer).post(f"/api/v1/stage-events/{event.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "This claim is already approved: nothing was changed."
    assert body["code"] == "conflict"


def test_a_decided_claim_in_place_is_a_409_card_with_the_warning(client_for, officer, admin_user, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    stage_event_approve(actor=admin_user, event=event)
    url = reverse("onboarding:review-reject", args=[event.pk])
    response = client_for(officer).post(url, {"note": "No"}, headers={"X-Review-Card": "1"})
    assert response.status_code == 409 and "already approved" in response.content.decode()
    assert StageEvent.objects.get().status == StageEventStatus.APPROVED


def test_approve_all_matching_acts_on_the_filter_not_only_the_page(client_for, officer, agent_a, startup_a):
    for _ in range(27):
        claim(startup_a, agent_a)
    other = claim(startup_a, agent_a, code="contacted")
    client = client_for(officer)
    filtered = f"?stage={stage('storefront_live').pk}"
    assert client.get(QUEUE + filtered).context["page"].paginator.count == 27
    response = client.post(
        QUEUE + filtered, {"scope": "matching", "expected": "27", "decision": "approve", "next": QUEUE + filtered}
    )
    assert response.url == QUEUE + filtered
    assert StageEvent.objects.filter(status=StageEventStatus.APPROVED).count() == 27
    other.refresh_from_db()
    assert other.status == StageEventStatus.SUBMITTED


def test_approve_all_matching_with_a_stale_count_changes_nothing(client_for, officer, agent_a, startup_a):
    for _ in range(3):
        claim(startup_a, agent_a)
    response = client_for(officer).post(
        QUEUE, {"scope": "matching", "expected": "2", "decision": "approve"}, follow=True
    )
    assert "3 claims match now" in response.content.decode()
    assert not StageEvent.objects.exclude(status=StageEventStatus.SUBMITTED).exists()


def test_bulk_reject_needs_a_note_then_rejects_the_ticked(client_for, officer, agent_a, startup_a):
    first, second, _third = (claim(startup_a, agent_a) for _ in range(3))
    client = client_for(officer)
    ticked = {"event": [first.pk, second.pk], "decision": "reject"}
    client.post(QUEUE, ticked)
    assert not StageEvent.objects.exclude(status=StageEventStatus.SUBMITTED).exists()
    client.post(QUEUE, {**ticked, "note": "Storefront link is broken"})
    rejected = StageEvent.objects.filter(status=StageEventStatus.REJECTED)
    assert sorted(rejected.values_list("pk", flat=True)) == [first.pk, second.pk]
    assert set(rejected.values_list("review_note", flat=True)) == {"Storefront link is broken"}


def test_startup_users_cannot_use_the_queue_or_its_bulk_actions(client_for, manager_b, agent_a, startup_a):
    event = claim(startup_a, agent_a)
    client = client_for(manager_b)
    assert client.post(QUEUE, {"event": [event.pk], "decision": "approve"}).status_code == 403
    url = reverse("onboarding:review-approve", args=[event.pk])
    assert client.post(url, headers={"X-Review-Card": "1"}).status_code == 404
    assert StageEvent.objects.get().status == StageEventStatus.SUBMITTED


@pytest.mark.parametrize("rows", [3, 28])
def test_the_filtered_queue_has_a_constant_number_of_queries(
    client_for, officer, agent_a, startup_a, django_assert_num_queries, rows
):
    for _ in range(rows):
        claim(startup_a, agent_a)
    client = client_for(officer)
    # session, user, the chosen stage (validated), the stage filter's choices, count, page rows,
    # the badge, the open disputes' count, the officer's decisions still undoable, the bell (no
    # claim on the page: no answers or disputes to look up)
    with django_assert_num_queries(10):
        client.get(QUEUE, {"stage": stage("storefront_live").pk, "age": "1", "q": "LLP", "sort": "newest"})


@pytest.mark.parametrize("rows", [3, 28])
def test_the_unfiltered_queue_asks_nothing_twice_and_its_badge_counts_every_waiting_claim(
    client_for, officer, agent_a, startup_a, rows
):
    for _ in range(rows):
        claim(startup_a, agent_a)
    client = client_for(officer)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(QUEUE).content.decode()
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == len(set(statements))  # the badge's count is the page's; disputes read once
    badge = f'text-bg-warning">{rows}</span>'
    assert badge in html
    assert badge in client.get(QUEUE, {"q": "No such exporter", "sort": "newest"}).content.decode()


def test_deciding_the_pages_last_card_in_place_keeps_the_outcome_for_the_reloaded_page(
    client_for, officer, agent_a, startup_a
):
    event = claim(startup_a, agent_a, name="Kaveri Silks LLP")
    client = client_for(officer)
    headers = {"X-Review-Card": "1", "X-Review-Last": "1"}
    client.post(reverse("onboarding:review-approve", args=[event.pk]), {"next": QUEUE}, headers=headers)
    page = client.get(QUEUE)
    [message] = [m.message for m in page.context["messages"]]
    assert message.startswith("Approved “Storefront live” for Kaveri Silks LLP. You can undo it for 10 minutes")
    assert "Nothing is waiting for review" in page.content.decode()
