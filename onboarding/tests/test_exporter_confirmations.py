"""The exporter's answers: one tap per question, idempotent, changeable for a week, withdrawn
work shown as such; "nobody has contacted me"; and what programme staff do with the answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ..models import Activity, ConfirmationRequest, LinkUse
from ..models.activities import ActivityKind
from ..models.exporter_link import Answer, ConfirmationKind
from ..models.stages import StageEventStatus
from ..services.exporter_link import exporter_link_get
from ..services.progress import activity_log, stage_event_approve, stage_event_submit
from .factories import ExporterFactory, assign, checklist_files, reached_if_contact, stage

pytestmark = pytest.mark.django_db


def url_of(exporter) -> str:
    return reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter).token()])


def visit(exporter, user, kind=ActivityKind.VISIT) -> ConfirmationRequest:
    activity = activity_log(
        actor=user,
        exporter=exporter,
        kind=kind,
        occurred_at=timezone.now() - timedelta(hours=3),
        note="n",
        outcome=reached_if_contact(kind),
    )
    return activity.confirmations.get()


def tap(client, exporter, question, answer, comment=""):
    data = {"action": "answer", "question": question.pk, "answer": answer, "comment": comment}
    return client.post(url_of(exporter), data, follow=True)


def test_a_yes_is_saved_and_a_second_tap_changes_nothing(client, exporter_a, agent_a):
    question = visit(exporter_a, agent_a)
    response = tap(client, exporter_a, question, "yes")
    assert "your answer is saved" in response.content.decode()
    question.refresh_from_db()
    assert question.answer == Answer.YES
    first = question.answered_at
    response = tap(client, exporter_a, question, "yes")
    assert "already saved" in response.content.decode()
    question.refresh_from_db()
    assert question.answered_at == first and question.history.count() == 2  # asked, answered


def test_a_no_with_a_comment_opens_a_dispute_for_officers_and_flags_the_startups_home(
    client, client_for, exporter_a, agent_a, officer, manager_a, django_assert_num_queries
):
    question = visit(exporter_a, agent_a)
    tap(client, exporter_a, question, "no", "Nobody came that day")
    queue = client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    assert "1 open dispute" in queue
    disputes = client_for(officer).get(reverse("onboarding:dispute-list")).content.decode()
    assert "did not visit them" in disputes and "Nobody came that day" in disputes
    client = client_for(manager_a)
    with django_assert_num_queries(13):  # as without a flag (test_progress_pages): the flag reads what it shows
        home = client.get(reverse("onboarding:home")).content.decode()
    assert "Flagged by exporters" in home and "Nobody came that day" in home
    question.refresh_from_db()
    assert escape(question.question_en) in home and escape(str(exporter_a)) in home
    assert exporter_a.get_absolute_url() in home


def test_another_startup_never_sees_the_flag(client, client_for, exporter_a, agent_a, manager_b):
    tap(client, exporter_a, visit(exporter_a, agent_a), "no", "Nobody came that day")
    home = client_for(manager_b).get(reverse("onboarding:home")).content.decode()
    assert "Nobody came that day" not in home and "Flagged by exporters" not in home


def test_an_answer_can_be_changed_for_seven_days_then_not(client, exporter_a, agent_a):
    question = visit(exporter_a, agent_a)
    tap(client, exporter_a, question, "yes")
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        tap(client, exporter_a, question, "no")
    question.refresh_from_db()
    assert question.answer == Answer.NO
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = tap(client, exporter_a, question, "yes")
    assert "7 days only" in response.content.decode()
    question.refresh_from_db()
    assert question.answer == Answer.NO


def test_a_question_for_deleted_work_shows_as_withdrawn_and_cannot_be_answered(client, exporter_a, agent_a):
    question = visit(exporter_a, agent_a)
    Activity.objects.filter(pk=question.activity_id).delete()
    body = client.get(url_of(exporter_a)).content.decode()
    assert "The startup removed this record" in body
    tap(client, exporter_a, question, "yes")
    question.refresh_from_db()
    assert question.answer == ""


def test_a_withdrawn_storefront_claim_shows_as_withdrawn(client, exporter_a, agent_a):
    assign_stage = stage("storefront_live")
    exporter_a.__class__.objects.filter(pk=exporter_a.pk).update(current_stage=stage("membership_active"))
    exporter_a.refresh_from_db()
    event = stage_event_submit(
        actor=agent_a, exporter=exporter_a, stage=assign_stage, evidence={"evidence_url": "https://x.example/s"}
    )
    question = event.confirmations.get()
    assert question.kind == ConfirmationKind.MILESTONE
    assert "says your shop (storefront) on Alibaba.com went live" in client.get(url_of(exporter_a)).content.decode()
    event.__class__.objects.filter(pk=event.pk).update(status=StageEventStatus.WITHDRAWN)
    assert "The startup removed this record" in client.get(url_of(exporter_a)).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "answer", "question": "abc", "answer": "yes"}, "not on your page"),
        ({"action": "answer", "question": "²", "answer": "yes"}, "not on your page"),
        ({"action": "answer", "question": str(10**30), "answer": "yes"}, "not on your page"),
        ({"action": "answer", "question": "1", "answer": "maybe"}, "Tap Yes or No"),
        ({"action": "answer", "answer": "yes"}, "not on your page"),
        ({"action": "delete-everything"}, "did not work"),
        ({"action": "no_contact", "comment": "x" * 501}, "under 500 letters"),
    ],
)
def test_bad_taps_get_a_clear_message_and_change_nothing(client, exporter_a, agent_a, data, message):
    question = visit(exporter_a, agent_a)
    if data.get("question") == "1":
        data = {**data, "question": question.pk}
    response = client.post(url_of(exporter_a), data, follow=True)
    assert response.status_code == 200 and message in response.content.decode()
    question.refresh_from_db()
    assert question.answer == "" and ConfirmationRequest.objects.count() == 1
    assert LinkUse.objects.filter(exporter=exporter_a, action__startswith="tap refused").count() == 1


def test_another_exporters_question_cannot_be_answered_with_my_link(client, exporter_a, exporter_b, agent_a):
    question = visit(exporter_a, agent_a)
    response = client.post(
        url_of(exporter_b), {"action": "answer", "question": question.pk, "answer": "no"}, follow=True
    )
    assert "not on your page" in response.content.decode()
    question.refresh_from_db()
    assert question.answer == ""


def test_nobody_has_contacted_me_raises_one_flag_however_often_it_is_tapped(client, exporter_a, officer, client_for):
    for _ in range(3):
        client.post(url_of(exporter_a), {"action": "no_contact", "comment": "No call yet"})
    flag = ConfirmationRequest.objects.get(kind=ConfirmationKind.NO_CONTACT)
    assert flag.answer == Answer.NO and flag.startup_id == exporter_a.startup_id
    assert "No call yet" in client_for(officer).get(reverse("onboarding:dispute-list")).content.decode()


def test_a_pool_exporter_cannot_raise_a_flag(client):
    exporter = ExporterFactory()
    response = client.post(url_of(exporter), {"action": "no_contact"}, follow=True)
    assert "No startup is helping you yet" in response.content.decode()
    assert not ConfirmationRequest.objects.exists()


def test_each_tap_is_logged_for_the_timeline(client, client_for, exporter_a, agent_a, officer, manager_a):
    tap(client, exporter_a, visit(exporter_a, agent_a), "no", "never came")
    assert LinkUse.objects.filter(exporter=exporter_a, action__startswith="answered no").exists()
    staff_page = client_for(officer).get(exporter_a.get_absolute_url()).content.decode()
    assert "Status link used: answered no" in staff_page and "Exporter answered “No”" in staff_page
    startup_page = client_for(manager_a).get(exporter_a.get_absolute_url()).content.decode()
    assert "Status link used" not in startup_page  # the exporter's network is for staff only
    assert "Exporter answered “No”" in startup_page


def test_review_cards_say_whether_the_exporter_confirmed_the_work(client, client_for, exporter_a, agent_a, officer):
    question = visit(exporter_a, agent_a, kind=ActivityKind.TRAINING)
    exporter_a.__class__.objects.filter(pk=exporter_a.pk).update(current_stage=stage("contacted"))
    exporter_a.refresh_from_db()
    stage_event_submit(
        actor=agent_a,
        exporter=exporter_a,
        stage=stage("documents_collected"),
        evidence={"note": "all four"},
        checklist=checklist_files("documents_collected"),
    )
    queue = client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    assert "Exporter: no answer yet" in queue
    tap(client, exporter_a, question, "yes")
    assert "Confirmed by exporter" in client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    tap(client, exporter_a, question, "no")
    assert "Denied by exporter" in client_for(officer).get(reverse("onboarding:review-queue")).content.decode()


def test_the_dashboard_and_startup_list_show_each_startups_confirmation_rate(
    client, client_for, exporter_a, agent_a, officer, django_assert_max_num_queries
):
    first, second, _third = (visit(exporter_a, agent_a, kind=k) for k in ("call", "visit", "training"))
    tap(client, exporter_a, first, "yes")
    tap(client, exporter_a, second, "no")
    rates = client_for(officer).get(reverse("onboarding:home")).context["confirmation_rates"]
    assert [(r["asked"], r["answered"], r["yes"], r["no"], r["percent"]) for r in rates] == [(3, 2, 1, 1, 50)]
    listing = client_for(officer).get(reverse("onboarding:startup-list")).content.decode()
    assert "1/2" in listing and "1 no" in listing


def test_old_answers_leave_the_rate_after_ninety_days(client, client_for, exporter_a, agent_a, officer):
    tap(client, exporter_a, visit(exporter_a, agent_a), "yes")
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert ConfirmationRequest.objects.rate_table(timezone.now()) == []


def test_with_the_setting_contacted_needs_a_confirmed_call_or_visit(settings, client, exporter_a, agent_a, officer):
    settings.REQUIRE_CONFIRMED_CONTACT = True
    question = visit(exporter_a, agent_a, kind=ActivityKind.CALL)
    event = exporter_a.stage_events.get(stage__code="contacted")
    assert event.status == StageEventStatus.SUBMITTED  # not approved automatically any more
    with pytest.raises(ValidationError, match="not confirmed a call or visit"):
        stage_event_approve(actor=officer, event=event)
    tap(client, exporter_a, question, "yes")
    assert stage_event_approve(actor=officer, event=event).status == StageEventStatus.APPROVED


def test_without_the_setting_a_reached_call_still_approves_contacted_at_once(settings, exporter_a, agent_a):
    settings.REQUIRE_CONFIRMED_CONTACT = False
    visit(exporter_a, agent_a, kind=ActivityKind.CALL)
    assert exporter_a.stage_events.get(stage__code="contacted").status == StageEventStatus.APPROVED


def test_the_review_queue_refuses_an_unconfirmed_contact_with_a_message(
    settings, client_for, exporter_a, agent_a, officer
):
    settings.REQUIRE_CONFIRMED_CONTACT = True
    visit(exporter_a, agent_a, kind=ActivityKind.CALL)
    event = exporter_a.stage_events.get(stage__code="contacted")
    response = client_for(officer).post(reverse("onboarding:review-approve", args=[event.pk]), follow=True)
    assert "not confirmed a call or visit" in response.content.decode()
    event.refresh_from_db()
    assert event.status == StageEventStatus.SUBMITTED


def test_assign_gives_news_for_the_next_message(startup_a):
    exporter = assign(ExporterFactory(), startup_a)
    assert exporter.link.news_at is not None
