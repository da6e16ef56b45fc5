"""Delivery staff can account for: an email that may not have arrived (unconfirmed) counts as
not delivered wherever staff look (the sweep command, the officers' report, the dashboard, the
outbox's filter), and staff can send it again under the same Message-ID. Startup users never can."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ..models import OutboxMessage
from ..models.outbox import UNDELIVERED_STATUSES, MessageKind, MessageStatus, daily_period
from ..services import outbox
from ..services.reminders import reminders_sweep
from .factories import ExporterFactory, assign


def settled(recipient, status, *, startup=None, kind=MessageKind.STALLED_DIGEST, period=None, ago=timedelta(hours=1)):
    """A message that reached `status` `ago`, as the outbox leaves it."""
    when = timezone.now() - ago
    return OutboxMessage.objects.create(
        kind=kind,
        recipient=recipient,
        startup=startup,
        period_key=period or daily_period(when),
        status=status,
        attempts=1,
        settled_at=when,
        sent_at=when if status == MessageStatus.UNCONFIRMED else None,
        last_error=outbox.UNCONFIRMED_NOTE if status == MessageStatus.UNCONFIRMED else "SMTP 550 no such user",
    )


def resend_url(message) -> str:
    return reverse("onboarding:outbox-resend", args=[message.pk])


def test_unconfirmed_counts_as_not_delivered():
    assert MessageStatus.UNCONFIRMED in UNDELIVERED_STATUSES
    assert set(UNDELIVERED_STATUSES) == {MessageStatus.UNCONFIRMED, MessageStatus.FAILED, MessageStatus.REJECTED}


# The command lists what failed in the periods it covers: today's, on the programme's calendar.
# On a ticking clock, a message from five minutes ago falls in yesterday's period for the first
# five minutes after midnight IST, so the clock stands still mid-afternoon.
@pytest.mark.time_machine("2026-12-02 15:00 +0530", tick=False)
@pytest.mark.django_db(transaction=True)
def test_the_sweep_command_lists_an_unconfirmed_message_as_not_delivered(startup_a, manager_a, capsys):
    settled(manager_a, MessageStatus.UNCONFIRMED, startup=startup_a, ago=timedelta(minutes=5))
    call_command("send_reminders", "--kind", "stalled_digest")
    out, err = capsys.readouterr()
    assert "; 1 not delivered." in out
    assert "Not delivered (not confirmed): Stalled exporters digest to manager@alpha.example" in err


def test_the_officers_report_names_an_unconfirmed_message(
    officer, manager_a, startup_a, django_capture_on_commit_callbacks
):
    settled(manager_a, MessageStatus.UNCONFIRMED, startup=startup_a, ago=timedelta(hours=2))
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        result = reminders_sweep(now=now, kinds=(MessageKind.UNDELIVERED,))
    assert [(p.kind, p.recipient_id) for p in result.created] == [(MessageKind.UNDELIVERED, officer.pk)]
    [report] = mail.outbox
    assert report.subject == "1 message could not be delivered"
    assert "manager@alpha.example: Stalled exporters digest" in report.body and "not confirmed" in report.body
    assert "/outbox/?status=undelivered" in report.body


def test_the_dashboard_counts_the_weeks_undelivered_emails_and_links_to_them(client_for, officer, manager_a):
    client = client_for(officer)
    assert "Every email of the last 7 days was delivered" in client.get("/").content.decode()
    settled(manager_a, MessageStatus.UNCONFIRMED, period="a")
    settled(manager_a, MessageStatus.REJECTED, period="b")
    settled(manager_a, MessageStatus.FAILED, period="c", ago=timedelta(days=8))  # older than the week
    settled(manager_a, MessageStatus.SENT, period="d")
    html = client.get("/").content.decode()
    assert "<strong>2 emails</strong> not delivered in the last 7 days" in html
    assert 'href="/outbox/?status=undelivered"' in html


def test_the_outbox_filter_not_delivered_shows_all_three_statuses(client_for, officer, manager_a):
    rows = {status: settled(manager_a, status, period=status) for status in MessageStatus.values}
    page = client_for(officer).get("/outbox/", {"status": "undelivered"}).context["page"]
    assert {m.status for m in page.object_list} == set(UNDELIVERED_STATUSES)
    assert len(page.object_list) == 3 and rows[MessageStatus.SENT] not in page.object_list


def test_staff_send_an_unconfirmed_message_again_under_the_same_message_id(
    client_for, officer, manager_a, startup_a, django_capture_on_commit_callbacks
):
    assign(ExporterFactory(), startup_a)
    message = settled(manager_a, MessageStatus.UNCONFIRMED, startup=startup_a, kind=MessageKind.WEEKLY_STARTUP)
    client = client_for(officer)
    html = client.get("/outbox/", {"status": "undelivered"}).content.decode()
    assert f'action="{resend_url(message)}"' in html and "Send again" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend_url(message), {"next": "/outbox/?status=undelivered"}, follow=True)
    assert response.redirect_chain[-1][0] == "/outbox/?status=undelivered"
    assert "is queued to be sent again, with the same Message-ID" in response.content.decode()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert message.last_error == ""
    [email] = mail.outbox
    assert email.extra_headers["Message-ID"] == f"<reminder-{message.pk}@127.0.0.1>"
    entry = LogEntry.objects.get(object_id=str(message.pk))
    assert entry.user == officer and entry.change_message == "Sent again (was not confirmed)."


def test_a_delivered_or_waiting_message_cannot_be_sent_again(client_for, officer, manager_a):
    for status in (MessageStatus.SENT, MessageStatus.PENDING, MessageStatus.SKIPPED):
        message = settled(manager_a, status, period=status)
        response = client_for(officer).post(resend_url(message), follow=True)
        assert "only one that was not delivered can be sent again" in response.content.decode()
        message.refresh_from_db()
        assert message.status == status and message.attempts == 1
    assert not mail.outbox and not LogEntry.objects.exists()


def test_startup_users_never_send_again_their_own_or_anyone_elses(
    client_for, manager_a, agent_a, manager_b, startup_a, startup_b
):
    own = settled(manager_a, MessageStatus.UNCONFIRMED, startup=startup_a, period="own")
    other = settled(manager_b, MessageStatus.UNCONFIRMED, startup=startup_b, period="other")
    html = client_for(manager_a).get("/outbox/").content.decode()
    assert "Send again" not in html and "outbox-resend" not in html
    assert client_for(manager_a).post(resend_url(own)).status_code == 403
    assert client_for(agent_a).post(resend_url(own)).status_code == 403
    assert client_for(manager_a).post(resend_url(other)).status_code == 404
    assert client_for(manager_a).post(reverse("onboarding:outbox-resend", args=[999999])).status_code == 404
    for message in (own, other):
        message.refresh_from_db()
        assert message.status == MessageStatus.UNCONFIRMED
    assert not mail.outbox


def test_sending_again_is_a_post_only_action(client_for, officer, manager_a):
    message = settled(manager_a, MessageStatus.UNCONFIRMED)
    assert client_for(officer).get(resend_url(message)).status_code == 405
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCONFIRMED
