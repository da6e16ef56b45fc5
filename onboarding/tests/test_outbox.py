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

from ..models import Exporter, OutboxMessage
from ..models.outbox import MessageKind, MessageStatus
from ..services import outbox
from ..services.outbox import outbox_recover, outbox_send, outcome_of
from ..services.reminders import reminders_sweep
from ..tasks import DATABASE_PATIENCE, recover_outbox_task, send_outbox_message_task
from .factories import ExporterFactory, assign
from .live_services import ScriptedSmtp

IST = ZoneInfo("Asia/Kolkata")
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=IST)
STALLED = (MessageKind.STALLED_DIGEST,)


@pytest.fixture
def digest(startup_a, manager_a, django_capture_on_commit_callbacks):
    """Manager A's stalled digest for Monday, created by the sweep and not yet sent."""
    exporter = assign(ExporterFactory(), startup_a)
    Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=MONDAY_9AM - timedelta(days=5))
    with time_machine.travel(MONDAY_9AM, tick=False), django_capture_on_commit_callbacks(execute=False):
        reminders_sweep(now=MONDAY_9AM, kinds=STALLED)
    return OutboxMessage.objects.get()


def send(reminder, at=MONDAY_9AM + timedelta(minutes=1)) -> str:
    with time_machine.travel(at, tick=False):
        return outbox_send(outbox_message_id=reminder.pk)


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
    assert send(digest) == MessageStatus.SENT
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == f"<reminder-{digest.pk}@portal.example.in>"
    assert message.message()["Message-ID"] == f"<reminder-{digest.pk}@portal.example.in>"


class RecordingBackend(LocmemBackend):
    """Notes the row's status when the outbox closes the connection (sends QUIT)."""

    status_at_close: list[str] = []

    def close(self) -> None:
        RecordingBackend.status_at_close.append(OutboxMessage.objects.values_list("status", flat=True).get())


def test_the_row_is_marked_sent_before_the_connection_is_closed(digest, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RecordingBackend"
    RecordingBackend.status_at_close = []
    assert send(digest) == MessageStatus.SENT
    assert RecordingBackend.status_at_close == [MessageStatus.SENT]
    assert len(mail.outbox) == 1


def test_a_message_accepted_over_smtp_is_sent_once_with_its_message_id(digest, smtp):
    server = smtp()
    assert send(digest) == MessageStatus.SENT
    assert len(server.bodies) == 1 and f"<reminder-{digest.pk}@127.0.0.1>".encode() in server.bodies[0]
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, digest.last_error) == (MessageStatus.SENT, 1, "")
    assert send(digest) == ""  # a duplicate task finds nothing to claim
    assert len(server.bodies) == 1


def test_a_send_queued_under_the_tasks_old_name_still_delivers(digest):
    """A send task queued by the release before the rename (`send_reminder_task`, still in
    Redis at the upgrade) is served by the new workers, for the same row."""
    from celery import current_app

    old = current_app.tasks["onboarding.tasks.send_reminder_task"]
    with time_machine.travel(MONDAY_9AM + timedelta(minutes=1), tick=False):
        assert old.apply(args=(digest.pk,)).get() == MessageStatus.SENT
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["Message-ID"].startswith(f"<reminder-{digest.pk}@")


# --- The server's answers ---------------------------------------------------------------


def test_an_address_refused_for_good_is_undeliverable_and_never_retried(digest, smtp, officer):
    server = smtp(rcpt="550 5.1.1 No such user here")
    assert send(digest) == MessageStatus.REJECTED
    digest.refresh_from_db()
    assert digest.status == MessageStatus.REJECTED and "550" in digest.last_error
    assert server.bodies == []
    later = MONDAY_9AM + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert outbox_recover(now=later).requeued == 0
        assert reminders_sweep(now=later, kinds=STALLED).requeued == 0
    assert OutboxMessage.objects.get(pk=digest.pk).status == MessageStatus.REJECTED


def test_a_temporary_refusal_is_retried_after_a_minute(digest, smtp):
    smtp(rcpt="450 4.2.1 Mailbox busy, try later")
    at = MONDAY_9AM + timedelta(minutes=1)
    assert send(digest, at) == MessageStatus.PENDING
    digest.refresh_from_db()
    assert digest.next_attempt_at == at + timedelta(minutes=1) and digest.claimed_at is None
    assert send(digest, at + timedelta(seconds=30)) == ""  # an early task waits for its time


def test_a_connection_lost_after_the_body_went_out_is_sent_unconfirmed_and_not_sent_again(digest, smtp):
    server = smtp(after_body=None)
    assert send(digest) == MessageStatus.UNCONFIRMED
    digest.refresh_from_db()
    assert digest.status == MessageStatus.UNCONFIRMED and "may have accepted it" in digest.last_error
    later = MONDAY_9AM + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert outbox_recover(now=later).requeued == 0
        assert reminders_sweep(now=later, kinds=STALLED).requeued == 0
    assert send(digest, later) == ""
    assert len(server.bodies) == 1


def test_a_connection_lost_before_the_body_is_retried(digest, smtp):
    server = smtp(data=None)  # hangs up on DATA: the server cannot have the message
    assert send(digest) == MessageStatus.PENDING
    assert server.bodies == []


@pytest.mark.parametrize(
    ("error", "body_sent", "status"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.in": (550, b"No such user")}), False, MessageStatus.REJECTED),
        (smtplib.SMTPRecipientsRefused({"a@x.in": (451, b"Greylisted")}), False, MessageStatus.PENDING),
        (smtplib.SMTPSenderRefused(553, b"Sender refused", "portal@x.in"), False, MessageStatus.REJECTED),
        (smtplib.SMTPDataError(552, b"Message too big"), True, MessageStatus.REJECTED),
        (smtplib.SMTPDataError(451, b"Try later"), True, MessageStatus.PENDING),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False, MessageStatus.PENDING),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False, MessageStatus.PENDING),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, MessageStatus.UNCONFIRMED),
        (TimeoutError("timed out"), True, MessageStatus.UNCONFIRMED),
        (SoftTimeLimitExceeded(), True, MessageStatus.UNCONFIRMED),
        (SoftTimeLimitExceeded(), False, MessageStatus.PENDING),
        (ConnectionRefusedError(111, "Connection refused"), False, MessageStatus.PENDING),
        (DatabaseOperationalError("server closed the connection unexpectedly"), False, MessageStatus.PENDING),
        (InterfaceError("connection already closed"), False, MessageStatus.PENDING),
        (BrokerOperationalError("Error 111 connecting to Redis"), False, MessageStatus.PENDING),
        (ValueError("a template bug"), False, MessageStatus.FAILED),
    ],
)
def test_each_error_leads_to_the_outcome_it_deserves(error, body_sent, status):
    assert outcome_of(error, body_sent=body_sent) == status


def test_a_bug_marks_the_row_failed_and_is_raised_and_the_next_sweep_tries_again(digest, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setitem(outbox.COMPOSERS, MessageKind.STALLED_DIGEST, lambda *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            send(digest)
    assert OutboxMessage.objects.get().status == MessageStatus.FAILED
    later = MONDAY_9AM + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        result = reminders_sweep(now=later, kinds=STALLED)  # on-commit work runs at once in this test
    assert result.revived == 1
    assert send(digest, later) == MessageStatus.SENT and len(mail.outbox) == 1


def test_a_failed_row_is_left_alone_once_its_period_is_over(digest, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setitem(outbox.COMPOSERS, MessageKind.STALLED_DIGEST, lambda *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            send(digest)
    tomorrow = MONDAY_9AM + timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        assert reminders_sweep(now=tomorrow, kinds=()).revived == 0
    assert OutboxMessage.objects.get(pk=digest.pk).status == MessageStatus.FAILED


# --- The database going away -------------------------------------------------------------


def test_a_database_error_while_composing_puts_the_row_back_for_a_retry(digest, monkeypatch):
    def database_gone(self):
        raise DatabaseOperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(OutboxMessage, "stalled_exporters", database_gone)
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    assert send(digest) == MessageStatus.PENDING
    digest.refresh_from_db()
    assert digest.claimed_at is None and "administrator command" in digest.last_error


def test_a_database_hiccup_right_after_the_250_is_ridden_out_without_a_second_copy(digest, monkeypatch):
    """The UPDATE that marks the row sent is tried again while the database is away."""
    real_update = type(OutboxMessage.objects.all()).update
    failures = []

    def flaky_update(queryset, **changes):
        if changes.get("status") == MessageStatus.SENT and len(failures) < 2:
            failures.append(changes)
            raise DatabaseOperationalError("server closed the connection unexpectedly")
        return real_update(queryset, **changes)

    monkeypatch.setattr(type(OutboxMessage.objects.all()), "update", flaky_update)
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    assert send(digest) == MessageStatus.SENT
    assert len(failures) == 2 and len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == MessageStatus.SENT


# --- Recovery: the frequent, cheap beat task ----------------------------------------------------


def test_recovery_queues_only_the_rows_nobody_will_pick_up(
    db, manager_a, django_capture_on_commit_callbacks, monkeypatch
):
    now = timezone.now()
    published = []
    monkeypatch.setattr(send_outbox_message_task, "apply_async", lambda args, **kw: published.append(args[0]))

    def row(key, **fields):
        fields.setdefault("retry_until", now + timedelta(hours=2))
        return OutboxMessage.objects.create(
            kind=MessageKind.STALLED_DIGEST, recipient=manager_a, period_key=key, **fields
        ).pk

    never_queued = row("a", queued_at=None)
    message_lost = row("b", queued_at=now - timedelta(minutes=5))
    worker_died = row("c", status=MessageStatus.SENDING, claimed_at=now - timedelta(minutes=2))
    row("d", queued_at=now - timedelta(seconds=10))  # its task is on the broker
    row("e", status=MessageStatus.SENDING, claimed_at=now - timedelta(seconds=10))  # being sent
    row("f", attempts=1, next_attempt_at=now + timedelta(minutes=1))  # waiting for its retry
    row("g", status=MessageStatus.UNCONFIRMED)
    row("h", status=MessageStatus.REJECTED)
    over = row("i", retry_until=now - timedelta(minutes=1))  # its day is over
    with django_capture_on_commit_callbacks(execute=True):
        result = outbox_recover(now=now)
    assert sorted(published) == sorted([never_queued, message_lost, worker_died])
    assert (result.requeued, result.expired) == (3, 1)
    assert OutboxMessage.objects.get(pk=over).status == MessageStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        again = outbox_recover(now=now + timedelta(seconds=1))
    assert again.requeued == 0 and len(published) == 3  # leased: not queued twice


def test_recovery_with_nothing_to_do_is_two_statements(db):
    with CaptureQueriesContext(connection) as queries:
        recover_outbox_task()
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2, statements  # give up on what is over; find what is stranded


def test_the_recovery_runs_every_minute_and_a_send_ends_before_its_claim_times_out():
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-recover"]
    assert entry["task"] == "onboarding.tasks.recover_outbox_task" and entry["schedule"] == 60
    # The mail server is cut off well inside the claim...
    assert send_outbox_message_task.soft_time_limit < settings.OUTBOX_CLAIM_TIMEOUT
    # ...while the wait for a database that went away outlasts it, and the process lives through that wait.
    assert sum(DATABASE_PATIENCE) >= settings.OUTBOX_CLAIM_TIMEOUT
    assert send_outbox_message_task.time_limit > send_outbox_message_task.soft_time_limit + sum(DATABASE_PATIENCE)
    assert max(DATABASE_PATIENCE) < entry["schedule"]  # the worker retries sooner than the recovery would
    # Measured: 0.04 s a send to a local server; claim (45 s) + the beat's minute < 2 minutes.
    assert settings.OUTBOX_CLAIM_TIMEOUT + entry["schedule"] < 120


def test_the_outcome_is_written_however_long_the_database_is_away_within_the_claim(digest, monkeypatch):
    """PostgreSQL away for 40 s right after the server's 250 (a restart): the send waits
    and writes "sent", rather than leaving the row for another worker to send again."""
    pauses, failures = [], iter([True] * 14)
    monkeypatch.setattr(outbox.time, "sleep", pauses.append)
    rows = type(OutboxMessage.objects.all())
    real_update = rows.update

    def update(queryset, **changes):
        if changes.get("status") == MessageStatus.SENT and next(failures, False):
            raise DatabaseOperationalError("the database system is shutting down")
        return real_update(queryset, **changes)

    monkeypatch.setattr(rows, "update", update)
    assert send(digest) == MessageStatus.SENT
    assert 40 <= sum(pauses) < sum(DATABASE_PATIENCE)
    digest.refresh_from_db()
    assert (digest.status, len(mail.outbox)) == (MessageStatus.SENT, 1)


def test_a_sweep_queues_nothing_for_rows_another_sweep_has_leased(
    db, startup_a, manager_a, django_capture_on_commit_callbacks, monkeypatch
):
    exporter = assign(ExporterFactory(), startup_a)
    Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=MONDAY_9AM - timedelta(days=5))
    published = []
    monkeypatch.setattr(send_outbox_message_task, "apply_async", lambda args, **kw: published.append(args[0]))
    with time_machine.travel(MONDAY_9AM, tick=False), django_capture_on_commit_callbacks() as publishing:
        first = reminders_sweep(now=MONDAY_9AM, kinds=STALLED)
        # The second sweep runs before the first one's tasks are published (on commit).
        second = reminders_sweep(now=MONDAY_9AM, kinds=STALLED)
    for callback in publishing:
        callback()
    assert len(first.created) == 1 and (second.created, second.requeued) == ([], 0)
    assert published == [first.created[0].outbox_message_id]


# --- Invitations go through the same outbox ---------------------------------------------


def test_an_invitation_is_a_row_of_the_outbox_with_its_message_id(
    client_for, admin_user, startup_a, manager_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).post(
            reverse("onboarding:startup-member-add", args=[startup_a.pk]),
            {"email": "new.agent@alpha.example", "role": "agent"},
        )
    invitation = OutboxMessage.objects.get(kind=MessageKind.INVITATION)
    assert (invitation.recipient.email, invitation.startup, invitation.status) == (
        "new.agent@alpha.example",
        startup_a,
        MessageStatus.SENT,
    )
    [message] = mail.outbox
    assert message.to == ["new.agent@alpha.example"] and "Alpha" in message.subject
    assert message.extra_headers["Message-ID"] == f"<reminder-{invitation.pk}@127.0.0.1>"
    log = client_for(manager_a).get("/outbox/", {"kind": "invitation"}).context["page"].object_list
    assert list(log) == [invitation]  # the startup sees its own team's invitations


def test_with_the_broker_down_the_invitation_is_sent_by_the_web_process(
    client_for, admin_user, startup_a, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise BrokerOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_outbox_message_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).post(
            reverse("onboarding:startup-member-add", args=[startup_a.pk]),
            {"email": "offline@alpha.example", "role": "manager"},
        )
    assert [m.to for m in mail.outbox] == [["offline@alpha.example"]]
    assert OutboxMessage.objects.get(kind=MessageKind.INVITATION).status == MessageStatus.SENT


def test_an_invitation_is_skipped_once_the_person_has_chosen_a_password(
    client_for, admin_user, startup_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        client_for(admin_user).post(
            reverse("onboarding:startup-member-add", args=[startup_a.pk]),
            {"email": "quick@alpha.example", "role": "agent"},
        )
    invitation = OutboxMessage.objects.get(kind=MessageKind.INVITATION)
    invitation.recipient.set_password("Chosen-already-2026")
    invitation.recipient.save()
    assert outbox_send(outbox_message_id=invitation.pk) == MessageStatus.SKIPPED
    assert mail.outbox == []


# --- Undeliverable messages reach the officers ------------------------------------------------


def test_officers_hear_the_next_day_which_messages_could_not_be_delivered(
    digest, smtp, officer, settings, django_capture_on_commit_callbacks
):
    smtp(rcpt="550 5.1.1 No such user here")
    assert send(digest) == MessageStatus.REJECTED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tuesday = MONDAY_9AM + timedelta(days=1)
    with time_machine.travel(tuesday, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = reminders_sweep(now=tuesday, kinds=(MessageKind.UNDELIVERED,))
    assert [(p.kind, p.recipient_id) for p in result.created] == [(MessageKind.UNDELIVERED, officer.pk)]
    [report] = mail.outbox
    assert report.to == [officer.email] and report.subject == "1 message could not be delivered"
    assert "1 message could not be delivered: manager@alpha.example." in report.body
    assert "550 5.1.1 No such user here" in report.body and "/outbox/?status=undelivered" in report.body
    # The day after, nothing new failed: no report.
    wednesday = tuesday + timedelta(days=1)
    with time_machine.travel(wednesday, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders_sweep(now=wednesday, kinds=(MessageKind.UNDELIVERED,)).created == []


def test_the_log_shows_and_filters_undeliverable_and_unconfirmed_messages(client_for, officer, manager_a, startup_a):
    def row(key, status, error):
        return OutboxMessage.objects.create(
            kind=MessageKind.STALLED_DIGEST,
            recipient=manager_a,
            startup=startup_a,
            period_key=key,
            status=status,
            last_error=error,
        )

    rejected = row("a", MessageStatus.REJECTED, "SMTPRecipientsRefused: 550 No such user")
    unconfirmed = row("b", MessageStatus.UNCONFIRMED, outbox.UNCONFIRMED_NOTE)
    client = client_for(officer)
    html = client.get("/outbox/").content.decode()
    assert "Undeliverable" in html and "Not confirmed" in html and "550 No such user" in html
    assert list(client.get("/outbox/", {"status": "rejected"}).context["page"].object_list) == [rejected]
    assert list(client.get("/outbox/", {"status": "unconfirmed"}).context["page"].object_list) == [unconfirmed]


@pytest.mark.parametrize(
    ("key", "words"),
    [("2026-12-04", "4 Dec 2026"), ("2026-W48", "week 48 of 2026"), ("n4", ""), ("member-7-2", ""), ("2fa-1764", "")],
)
def test_a_messages_period_is_said_in_words_and_a_bookkeeping_key_not_at_all(key, words):
    assert OutboxMessage(period_key=key).period == words
