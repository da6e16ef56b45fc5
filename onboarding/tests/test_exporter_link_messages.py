"""The exporter's messages: one a day at most, through the outbox, honouring the opt-out;
and the link's panel for staff (copy, QR code, resend, revoke), which startups never see."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ..models import ExporterLink, OutboxMessage
from ..models.activities import ActivityKind
from ..models.outbox import MessageKind, MessageStatus
from ..services.auto_assign import auto_assignment_apply, propose
from ..services.exporter_link import exporter_digests_plan, exporter_link_get
from ..services.outbox import outbox_send
from ..services.progress import activity_log, exporter_set_stage
from ..tasks import send_exporter_digests_task
from .factories import ExporterFactory, assign, stage

IST = ZoneInfo("Asia/Kolkata")
EVENING = datetime(2026, 11, 30, 17, 30, tzinfo=IST)
# The whole test runs on a frozen clock, the sends queued on commit included.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(EVENING, tick=False)]


@pytest.fixture
def plan(time_machine):
    """`plan(when)`: the clock moves to `when`, and stays there for what runs on commit; the
    day's exporter messages are planned."""

    def plan_at(when=EVENING) -> int:
        time_machine.move_to(when, tick=False)
        return exporter_digests_plan(now=when)

    return plan_at


def test_assignment_news_goes_out_once_that_day_with_the_link(startup_a, plan, django_capture_on_commit_callbacks):
    exporter = assign(ExporterFactory(contact_email="owner@moradabad.example"), startup_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert plan() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert plan(EVENING + timedelta(hours=2)) == 0
    [message] = mail.outbox
    assert message.to == ["owner@moradabad.example"]
    assert reverse("onboarding:exporter-status", args=[exporter.link.token()]).split(":")[0] in message.body
    reminder = OutboxMessage.objects.get(kind=MessageKind.EXPORTER_DIGEST)
    assert reminder.status == MessageStatus.SENT and reminder.to_exporter_id == exporter.pk


def test_news_after_the_days_message_waits_for_the_next_day(
    startup_a, admin_user, plan, time_machine, django_capture_on_commit_callbacks
):
    exporter = assign(ExporterFactory(contact_email="owner@tiruppur.example"), startup_a)
    with django_capture_on_commit_callbacks(execute=True):
        plan()
    time_machine.move_to(EVENING + timedelta(minutes=30), tick=False)
    exporter_set_stage(actor=admin_user, exporter=exporter, stage=stage("contacted"), reason="checked by phone")
    with django_capture_on_commit_callbacks(execute=True):
        assert plan(EVENING + timedelta(hours=2)) == 0
        assert plan(EVENING + timedelta(days=1)) == 1
    assert len(mail.outbox) == 2


def test_the_message_lists_the_open_questions(startup_a, agent_a, plan, django_capture_on_commit_callbacks):
    exporter = assign(ExporterFactory(contact_email="owner@surat.example"), startup_a)
    agent_a.first_name, agent_a.last_name = "Priya", "Shah"
    agent_a.save()
    occurred = datetime(2026, 11, 20, 11, 0, tzinfo=IST)
    activity_log(actor=agent_a, exporter=exporter, kind=ActivityKind.VISIT, occurred_at=occurred, outcome="reached")
    with django_capture_on_commit_callbacks(execute=True):
        plan()
    [message] = mail.outbox
    assert f"Did Priya Shah of {startup_a} visit you on 20 Nov? Yes / No" in message.body


def test_an_opted_out_exporter_gets_nothing_even_if_planned_before(
    startup_a, plan, time_machine, django_capture_on_commit_callbacks
):
    exporter = assign(ExporterFactory(contact_email="owner@jaipur.example"), startup_a)
    with django_capture_on_commit_callbacks(execute=False):
        plan()
    ExporterLink.objects.filter(exporter=exporter).update(opted_out_at=timezone.now())
    reminder = OutboxMessage.objects.get(kind=MessageKind.EXPORTER_DIGEST)
    time_machine.move_to(EVENING + timedelta(minutes=1), tick=False)
    assert outbox_send(outbox_message_id=reminder.pk) == MessageStatus.SKIPPED
    assert mail.outbox == []
    ExporterLink.objects.filter(exporter=exporter).update(news_at=EVENING + timedelta(days=1))
    assert plan(EVENING + timedelta(days=1, hours=1)) == 0  # not even planned any more


def test_opting_out_is_one_tap_on_the_page_and_can_be_undone(client, exporter_a):
    url = reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter_a).token()])
    response = client.post(url, {"action": "opt_out"}, follow=True)
    assert "no more messages" in response.content.decode()
    assert ExporterLink.objects.get(exporter=exporter_a).opted_out
    client.post(url, {"action": "opt_in"})
    assert not ExporterLink.objects.get(exporter=exporter_a).opted_out


def test_an_exporter_without_email_is_not_planned(startup_a, plan):
    assign(ExporterFactory(contact_email=""), startup_a)
    assert plan() == 0


def test_the_beat_task_plans_the_digests(startup_a, django_capture_on_commit_callbacks):
    assign(ExporterFactory(contact_email="owner@ludhiana.example"), startup_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_exporter_digests_task() == {"planned": 1}
    assert len(mail.outbox) == 1


# --- The panel on the exporter page ------------------------------------------------------


def test_staff_see_the_link_with_a_qr_code_and_the_assigned_startup_does_not(client_for, officer, agent_a, exporter_a):
    response = client_for(officer).get(exporter_a.get_absolute_url())
    body = response.content.decode()
    assert response.context["status_link"]["url"] in body and "<svg" in body
    assert "Revoke and make a new link" in body and "Email it again" in body
    body = client_for(agent_a).get(exporter_a.get_absolute_url()).content.decode()
    token = exporter_link_get(exporter=exporter_a).token()
    assert token not in body and "<svg" not in body and "Email it again" not in body
    assert "The programme sends the exporter their own status link" in body


def test_resend_emails_the_link_and_is_throttled_to_once_a_day(
    client_for, officer, exporter_a, django_capture_on_commit_callbacks
):
    exporter_a.__class__.objects.filter(pk=exporter_a.pk).update(contact_email="owner@kanpur.example")
    client = client_for(officer)
    url = reverse("onboarding:exporter-link-resend", args=[exporter_a.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "on its way" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "already sent again today" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@kanpur.example"]


def test_resend_to_an_exporter_without_email_says_what_to_do(client_for, officer, startup_a):
    exporter = assign(ExporterFactory(contact_email=""), startup_a)
    response = client_for(officer).post(reverse("onboarding:exporter-link-resend", args=[exporter.pk]), follow=True)
    assert "no email address" in response.content.decode() and not OutboxMessage.objects.exists()


def test_only_staff_can_revoke_the_link(client_for, officer, manager_a, exporter_a):
    url = reverse("onboarding:exporter-link-rotate", args=[exporter_a.pk])
    key = exporter_link_get(exporter=exporter_a).key
    assert client_for(manager_a).post(url).status_code == 403
    assert ExporterLink.objects.get(exporter=exporter_a).key == key
    response = client_for(officer).post(url, follow=True)
    assert "no longer works" in response.content.decode()
    link = ExporterLink.objects.get(exporter=exporter_a)
    assert link.key != key and link.history.first().history_user == officer


@pytest.mark.parametrize("name", ["exporter-link-resend", "exporter-link-rotate"])
def test_another_startups_exporter_is_a_404(client_for, manager_b, exporter_a, name):
    response = client_for(manager_b).post(reverse(f"onboarding:{name}", args=[exporter_a.pk]))
    assert response.status_code == 404
    assert not OutboxMessage.objects.exists()


def test_the_actions_refuse_get(client_for, officer, exporter_a):
    assert client_for(officer).get(reverse("onboarding:exporter-link-resend", args=[exporter_a.pk])).status_code == 405


def test_auto_assignment_gives_every_assigned_exporter_news_for_the_next_message(startup_a, plan):
    already = ExporterFactory(contact_email="a@x.example")
    exporter_link_get(exporter=already)  # one with a link, one without
    fresh = ExporterFactory(contact_email="b@x.example")
    plan_ = propose()
    assert {p.exporter.pk for p in plan_.proposals} == {already.pk, fresh.pk}
    auto_assignment_apply(actor=None, plan=plan_)
    assert ExporterLink.objects.filter(exporter__in=[already, fresh], news_at__isnull=False).count() == 2
    assert plan() == 2
