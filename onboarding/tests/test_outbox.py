"""The outbox every email goes through: what counts as sent, what is retried, what is given
up, what can be sent twice (only the accepted-but-unmarked window), and the Message-ID that
lets mail systems collapse such a copy. SMTP answers are staged by a scripted server on
loopback; the fault drills with the real worker are in test_mail_faults.py."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import InterfaceError, connection
from django.db import OperationalError as DatabaseOperationalError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from ..models import Exporter, Reminder
from ..models.reminders import ReminderKind, ReminderStatus
from ..services import outbox
from ..services.outbox import outcome_of, reminder_send, reminders_recover
from ..services.reminders import reminders_sweep
from ..tasks import recover_outbox_task, send_reminder_task
from .factories import ExporterFactory, assign
from .live_services import ScriptedSmtp

IST = ZoneInfo("Asia/Kolkata")
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=IST)
STALLED = (ReminderKind.STALLED_DIGEST,)


@pytest.fixture
def digest(startup_a, manager_a, django_capture_on_commit_callbacks):
    """Manager A's stalled digest for Monday, created by the sweep and not yet sent."""
    exporter = assign(ExporterFactory(), startup_a)
    Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=MONDAY_9AM - timedelta(days=5))
    with time_machine.travel(MONDAY_9AM, tick=False), django_capture_on_commit_callbacks(execute=False):
        reminders_sweep(now=MONDAY_9AM, kinds=STALLED)
    return Reminder.objects.get()


def send(reminder, at=MONDAY_9AM + timedelta(minutes=1)) -> str:
    with time_machine.travel(at, tick=False):
        return reminder_send(reminder_id=reminder.pk)


@pytest.fixture
def smtp(settings):
    """`smtp(**script)`: a scripted SMTP server on loopback, with the portal pointed at it."""
    servers = []

    def serve(**script) -> ScriptedSmtp:
        server = ScriptedSmtp(**script).__enter__()
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        return server

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


# --- What counts as sent, and the Message-ID ------------------------------------------------


def test_every_message_carries_a_message_id_derived_from_its_row(digest, settings):
    settings.SITE_URL = "https://portal.example.in"
    assert send(digest) == ReminderStatus.SENT
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == f"<reminder-{digest.pk}@portal.example.in>"
    assert message.message()["Message-ID"] == f"<reminder-{digest.pk}@portal.example.in>"


class RecordingBackend(LocmemBackend):
    """Notes the row's status when the outbox closes the connection (sends QUIT)."""

    status_at_close: list[str] = []

    def close(self) -> None:
        RecordingBackend.status_at_close.append(Reminder.objects.values_list("status", flat=True).get())


def test_the_row_is_marked_sent_before_the_connection_is_closed(digest, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RecordingBackend"
    RecordingBackend.status_at_close = []
    assert send(digest) == ReminderStatus.SENT
    assert RecordingBackend.status_at_close == [ReminderStatus.SENT]
    assert len(mail.outbox) == 1


def test_a_message_accepted_over_smtp_is_sent_once_with_its_message_id(digest, smtp):
    server = smtp()
    assert send(digest) == ReminderStatus.SENT
    assert len(server.bodies) == 1 and f"<reminder-{digest.pk}@127.0.0.1>".encode() in server.bodies[0]
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, digest.last_error) == (ReminderStatus.SENT, 1, "")
    assert send(digest) == ""  # a duplicate task finds nothing to claim
    assert len(server.bodies) == 1


# --- The server's answers ---------------------------------------------------------------


def test_an_address_refused_for_good_is_undeliverable_and_never_retried(digest, smtp, officer):
    server = smtp(rcpt="550 5.1.1 No such user here")
    assert send(digest) == ReminderStatus.REJECTED
    digest.refresh_from_db()
    assert digest.status == ReminderStatus.REJECTED and "550" in digest.last_error
    assert server.bodies == []
    later = MONDAY_9AM + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert reminders_recover(now=later).requeued == 0
        assert reminders_sweep(now=later, kinds=STALLED).requeued == 0
    assert Reminder.objects.get(pk=digest.pk).status == ReminderStatus.REJECTED


def test_a_temporary_refusal_is_retried_after_a_minute(digest, smtp):
    smtp(rcpt="450 4.2.1 Mailbox busy, try later")
    at = MONDAY_9AM + timedelta(minutes=1)
    assert send(digest, at) == ReminderStatus.PENDING
    digest.refresh_from_db()
    assert digest.next_attempt_at == at + timedelta(minutes=1) and digest.claimed_at is None
    assert send(digest, at + timedelta(seconds=30)) == ""  # an early task waits for its time


def test_a_connection_lost_after_the_body_went_out_is_sent_unconfirmed_and_not_sent_again(digest, smtp):
    server = smtp(after_body=None)
    assert send(digest) == ReminderStatus.UNCONFIRMED
    digest.refresh_from_db()
    assert digest.status == ReminderStatus.UNCONFIRMED and "may have accepted it" in digest.last_error
    later = MONDAY_9AM + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert reminders_recover(now=later).requeued == 0
        assert reminders_sweep(now=later, kinds=STALLED).requeued == 0
    assert send(digest, later) == ""
    assert len(server.bodies) == 1


def test_a_connection_lost_before_the_body_is_retried(digest, smtp):
    server = smtp(data=None)  # hangs up on DATA: the server cannot have the message
    assert send(digest) == ReminderStatus.PENDING
    assert server.bodies == []


@pytest.mark.parametrize(
    ("error", "body_sent", "status"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.in": (550, b"No such user")}), False, ReminderStatus.REJECTED),
        (smtplib.SMTPRecipientsRefused({"a@x.in": (451, b"Greylisted")}), False, ReminderStatus.PENDING),
        (smtplib.SMTPSenderRefused(553, b"Sender refused", "portal@x.in"), False, ReminderStatus.REJECTED),
        (smtplib.SMTPDataError(552, b"Message too big"), True, ReminderStatus.REJECTED),
        (smtplib.SMTPDataError(451, b"Try later"), True, ReminderStatus.PENDING),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False, ReminderStatus.PENDING),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False, ReminderStatus.PENDING),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, ReminderStatus.UNCONFIRMED),
        (TimeoutError("timed out"), True, ReminderStatus.UNCONFIRMED),
        (SoftTimeLimitExceeded(), True, ReminderStatus.UNCONFIRMED),
        (SoftTimeLimitExceeded(), False, ReminderStatus.PENDING),
        (ConnectionRefusedError(111, "Connection refused"), False, ReminderStatus.PENDING),
        (DatabaseOperationalError("server closed the connection unexpectedly"), False, ReminderStatus.PENDING),
        (InterfaceError("connection already closed"), False, ReminderStatus.PENDING),
        (BrokerOperationalError("Error 111 connecting to Redis"), False, ReminderStatus.PENDING),
        (ValueError("a template bug"), False, ReminderStatus.FAILED),
    ],
)
def test_each_error_leads_to_the_outcome_it_deserves(error, body_sent, status):
    assert outcome_of(error, body_sent=body_sent) == status


def test_a_bug_marks_the_row_failed_and_is_raised_and_the_next_sweep_tries_again(digest, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setitem(outbox.COMPOSERS, ReminderKind.STALLED_DIGEST, lambda *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            send(digest)
    assert Reminder.objects.get().status == ReminderStatus.FAILED
    later = MONDAY_9AM + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        result = reminders_sweep(now=later, kinds=STALLED)  # on-commit work runs at once in this test
    assert result.revived == 1
    assert send(digest, later) == ReminderStatus.SENT and len(mail.outbox) == 1


def test_a_failed_row_is_left_alone_once_its_period_is_over(digest, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setitem(outbox.COMPOSERS, ReminderKind.STALLED_DIGEST, lambda *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            send(digest)
    tomorrow = MONDAY_9AM + timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        assert reminders_sweep(now=tomorrow, kinds=()).revived == 0
    assert Reminder.objects.get(pk=digest.pk).status == ReminderStatus.FAILED


# --- The database going away -------------------------------------------------------------


def test_a_database_error_while_composing_puts_the_row_back_for_a_retry(digest, monkeypatch):
    def database_gone(self):
        raise DatabaseOperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(Reminder, "stalled_exporters", database_gone)
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    assert send(digest) == ReminderStatus.PENDING
    digest.refresh_from_db()
    assert digest.claimed_at is None and "administrator command" in digest.last_error


def test_a_database_hiccup_right_after_the_250_is_ridden_out_without_a_second_copy(digest, monkeypatch):
    """The UPDATE that marks the row sent is tried again while the database is away."""
    real_update = type(Reminder.objects.all()).update
    failures = []

    def flaky_update(queryset, **changes):
        if changes.get("status") == ReminderStatus.SENT and len(failures) < 2:
            failures.append(changes)
            raise DatabaseOperationalError("server closed the connection unexpectedly")
        return real_update(queryset, **changes)

    monkeypatch.setattr(type(Reminder.objects.all()), "update", flaky_update)
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    assert send(digest) == ReminderStatus.SENT
    assert len(failures) == 2 and len(mail.outbox) == 1
    assert Reminder.objects.get().status == ReminderStatus.SENT


# --- Recovery: the frequent, cheap beat task ----------------------------------------------------


def test_recovery_queues_only_the_rows_nobody_will_pick_up(
    db, manager_a, django_capture_on_commit_callbacks, monkeypatch
):
    now = timezone.now()
    published = []
    monkeypatch.setattr(send_reminder_task, "apply_async", lambda args, **kw: published.append(args[0]))

    def row(key, **fields):
        fields.setdefault("retry_until", now + timedelta(hours=2))
        return Reminder.objects.create(
            kind=ReminderKind.STALLED_DIGEST, recipient=manager_a, period_key=key, **fields
        ).pk

    never_queued = row("a", queued_at=None)
    message_lost = row("b", queued_at=now - timedelta(minutes=5))
    worker_died = row("c", status=ReminderStatus.SENDING, claimed_at=now - timedelta(minutes=2))
    row("d", queued_at=now - timedelta(seconds=10))  # its task is on the broker
    row("e", status=ReminderStatus.SENDING, claimed_at=now - timedelta(seconds=10))  # being sent
    row("f", attempts=1, next_attempt_at=now + timedelta(minutes=1))  # waiting for its retry
    row("g", status=ReminderStatus.UNCONFIRMED)
    row("h", status=ReminderStatus.REJECTED)
    over = row("i", retry_until=now - timedelta(minutes=1))  # its day is over
    with django_capture_on_commit_callbacks(execute=True):
        result = reminders_recover(now=now)
    assert sorted(published) == sorted([never_queued, message_lost, worker_died])
    assert (result.requeued, result.expired) == (3, 1)
    assert Reminder.objects.get(pk=over).status == ReminderStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        again = reminders_recover(now=now + timedelta(seconds=1))
    assert again.requeued == 0 and len(published) == 3  # leased: not queued twice


def test_recovery_with_nothing_to_do_is_two_statements(db):
    with CaptureQueriesContext(connection) as queries:
        recover_outbox_task()
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2, statements  # give up on what is over; find what is stranded


def test_the_recovery_runs_every_minute_and_a_send_ends_before_its_claim_times_out():
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-recover"]
    assert entry["task"] == "onboarding.tasks.recover_outbox_task" and entry["schedule"] == 60
    assert send_reminder_task.soft_time_limit < send_reminder_task.time_limit < settings.OUTBOX_CLAIM_TIMEOUT
    # Measured: 0.04 s a send to a local server; claim (45 s) + the beat's minute < 2 minutes.
    assert settings.OUTBOX_CLAIM_TIMEOUT + entry["schedule"] < 120


def test_a_sweep_queues_nothing_for_rows_another_sweep_has_leased(
    db, startup_a, manager_a, django_capture_on_commit_callbacks, monkeypatch
):
    exporter = assign(ExporterFactory(), startup_a)
    Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=MONDAY_9AM - timedelta(days=5))
    published = []
    monkeypatch.setattr(send_reminder_task, "apply_async", lambda args, **kw: published.append(args[0]))
    with time_machine.travel(MONDAY_9AM, tick=False), django_capture_on_commit_callbacks() as publishing:
        first = reminders_sweep(now=MONDAY_9AM, kinds=STALLED)
        # The second sweep runs before the first one's tasks are published (on commit).
        second = reminders_sweep(now=MONDAY_9AM, kinds=STALLED)
    for callback in publishing:
        callback()
    assert len(first.created) == 1 and (second.created, second.requeued) == ([], 0)
    assert published == [first.created[0].reminder_id]


# --- Invitations go through the same outbox ---------------------------------------------


def test_an_invitation_is_a_row_of_the_outbox_with_its_message_id(
    client_for, admin_user, startup_a, manager_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).post(
            reverse("onboarding:startup-member-add", args=[startup_a.pk]),
            {"email": "new.agent@alpha.example", "role": "agent"},
        )
    invitation = Reminder.objects.get(kind=ReminderKind.INVITATION)
    assert (invitation.recipient.email, invitation.startup, invitation.status) == (
        "new.agent@alpha.example",
        startup_a,
        ReminderStatus.SENT,
    )
    [message] = mail.outbox
    assert message.to == ["new.agent@alpha.example"] and "Alpha" in message.subject
    assert message.extra_headers["Message-ID"] == f"<reminder-{invitation.pk}@127.0.0.1>"
    log = client_for(manager_a).get("/reminders/", {"kind": "invitation"}).context["page"].object_list
    assert list(log) == [invitation]  # the startup sees its own team's invitations


def test_with_the_broker_down_the_invitation_is_sent_by_the_web_process(
    client_for, admin_user, startup_a, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise BrokerOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_reminder_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).post(
            reverse("onboarding:startup-member-add", args=[startup_a.pk]),
            {"email": "offline@alpha.example", "role": "manager"},
        )
    assert [m.to for m in mail.outbox] == [["offline@alpha.example"]]
    assert Reminder.objects.get(kind=ReminderKind.INVITATION).status == ReminderStatus.SENT


def test_an_invitation_is_skipped_once_the_person_has_chosen_a_password(
    client_for, admin_user, startup_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        client_for(admin_user).post(
            reverse("onboarding:startup-member-add", args=[startup_a.pk]),
            {"email": "quick@alpha.example", "role": "agent"},
        )
    invitation = Reminder.objects.get(kind=ReminderKind.INVITATION)
    invitation.recipient.set_password("Chosen-already-2026")
    invitation.recipient.save()
    assert reminder_send(reminder_id=invitation.pk) == ReminderStatus.SKIPPED
    assert mail.outbox == []


# --- Undeliverable messages reach the officers ------------------------------------------------


def test_officers_hear_the_next_day_which_messages_could_not_be_delivered(
    digest, smtp, officer, settings, django_capture_on_commit_callbacks
):
    smtp(rcpt="550 5.1.1 No such user here")
    assert send(digest) == ReminderStatus.REJECTED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tuesday = MONDAY_9AM + timedelta(days=1)
    with time_machine.travel(tuesday, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = reminders_sweep(now=tuesday, kinds=(ReminderKind.UNDELIVERED,))
    assert [(p.kind, p.recipient_id) for p in result.created] == [(ReminderKind.UNDELIVERED, officer.pk)]
    [report] = mail.outbox
    assert report.to == [officer.email] and report.subject == "1 message could not be delivered"
    assert "1 message could not be delivered: manager@alpha.example." in report.body
    assert "550 5.1.1 No such user here" in report.body and "/reminders/?status=rejected" in report.body
    # The day after, nothing new failed: no report.
    wednesday = tuesday + timedelta(days=1)
    with time_machine.travel(wednesday, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_sweep(now=wednesday, kinds=(ReminderKind.UNDELIVERED,)).created == []


def test_the_log_shows_and_filters_undeliverable_and_unconfirmed_messages(client_for, officer, manager_a, startup_a):
    def row(key, status, error):
        return Reminder.objects.create(
            kind=ReminderKind.STALLED_DIGEST,
            recipient=manager_a,
            startup=startup_a,
            period_key=key,
            status=status,
            last_error=error,
        )

    rejected = row("a", ReminderStatus.REJECTED, "SMTPRecipientsRefused: 550 No such user")
    unconfirmed = row("b", ReminderStatus.UNCONFIRMED, outbox.UNCONFIRMED_NOTE)
    client = client_for(officer)
    html = client.get("/reminders/").content.decode()
    assert "Undeliverable" in html and "Sent, not confirmed" in html and "550 No such user" in html
    assert list(client.get("/reminders/", {"status": "rejected"}).context["page"].object_list) == [rejected]
    assert list(client.get("/reminders/", {"status": "unconfirmed"}).context["page"].object_list) == [unconfirmed]
