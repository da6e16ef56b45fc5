"""The reminder sweep: who is owed what, when (IST), exactly once, and nothing stale."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from ..models import Exporter, OutboxMessage, Stage, StageEvent
from ..models.outbox import MessageKind, MessageStatus, daily_period, kinds_due, weekly_period
from ..models.startups import MemberRole
from ..services.outbox import outbox_send
from ..services.reminders import reminders_sweep
from ..tasks import send_outbox_message_task
from .factories import ExporterFactory, MemberFactory, StaffFactory, StartupFactory, assign

IST = ZoneInfo("Asia/Kolkata")
# A Monday morning in India; "assigned" has a 3-day SLA.
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=IST)
STALLED = (MessageKind.STALLED_DIGEST,)
# Every test runs on a clock frozen at that moment (a sweep moves it to its own `now`), so a
# send queued on commit, or made later in the test, sees the day its reminder was made for.
# both_databases: the sweep takes an advisory lock and links exporters by unnest on PostgreSQL only.
pytestmark = [pytest.mark.time_machine(MONDAY_9AM, tick=False), pytest.mark.both_databases]


def stalled_exporter(startup, *, entered, agent=None, name=None, stage_code="assigned"):
    exporter = assign(ExporterFactory(**({"legal_name": name} if name else {})), startup, stage_code=stage_code)
    Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=entered, agent=agent)
    exporter.refresh_from_db()
    return exporter


def sweep(now, kinds=None, *, execute=True, capture):
    with time_machine.travel(now, tick=False), capture(execute=execute):
        return reminders_sweep(now=now, kinds=kinds)


def recipients(result) -> dict[tuple[str, int], list[int]]:
    return {(p.kind, p.recipient_id): p.exporter_ids for p in result.created}


# --- Periods and timing in IST ------------------------------------------------------


def test_period_keys_follow_the_indian_calendar_not_utc():
    # 20:00 UTC on Sunday is already 01:30 on Monday in India.
    late_sunday_utc = datetime(2026, 11, 29, 20, 0, tzinfo=ZoneInfo("UTC"))
    assert daily_period(late_sunday_utc) == "2026-11-30"
    assert weekly_period(late_sunday_utc) == "2026-W49"
    assert set(kinds_due(late_sunday_utc)) >= {MessageKind.WEEKLY_STARTUP, MessageKind.WEEKLY_PROGRAMME}
    assert MessageKind.WEEKLY_STARTUP not in kinds_due(late_sunday_utc - timedelta(hours=2))


def test_an_exporter_stalls_only_once_its_sla_has_passed_in_ist(db, startup_a, manager_a):
    entered = datetime(2026, 11, 27, 9, 0, tzinfo=IST)  # 3-day SLA ends Monday 09:00 IST
    exporter = stalled_exporter(startup_a, entered=entered)
    just_before = reminders_sweep(now=MONDAY_9AM - timedelta(minutes=1), kinds=STALLED, dry_run=True)
    assert just_before.created == []
    just_after = reminders_sweep(now=MONDAY_9AM + timedelta(minutes=1), kinds=STALLED, dry_run=True)
    assert recipients(just_after) == {(MessageKind.STALLED_DIGEST, manager_a.pk): [exporter.pk]}
    assert just_after.created[0].period_key == "2026-11-30"
    assert OutboxMessage.objects.count() == 0  # a dry run writes nothing


def test_activity_since_entering_the_stage_suppresses_the_reminder(db, startup_a, manager_a):
    entered = MONDAY_9AM - timedelta(days=5)
    quiet = stalled_exporter(startup_a, entered=entered, name="Quiet Looms LLP")
    worked_on = stalled_exporter(startup_a, entered=entered, name="Busy Looms LLP")
    called_before = stalled_exporter(startup_a, entered=entered, name="Old Call Looms LLP")
    Exporter.objects.filter(pk=worked_on.pk).update(last_activity_at=entered + timedelta(days=1))
    Exporter.objects.filter(pk=called_before.pk).update(last_activity_at=entered - timedelta(days=1))
    result = reminders_sweep(now=MONDAY_9AM, kinds=STALLED, dry_run=True)
    assert recipients(result) == {(MessageKind.STALLED_DIGEST, manager_a.pk): sorted([quiet.pk, called_before.pk])}


def test_escalation_starts_beyond_twice_the_sla(db, startup_a, manager_a, officer):
    # "contacted" has a 7-day SLA: escalation after 14 days.
    not_yet = stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=14), stage_code="contacted")
    beyond = stalled_exporter(
        startup_a, entered=MONDAY_9AM - timedelta(days=14, minutes=1), stage_code="contacted", name="Late LLP"
    )
    result = reminders_sweep(now=MONDAY_9AM, kinds=(*STALLED, MessageKind.ESCALATION), dry_run=True)
    assert recipients(result) == {
        (MessageKind.STALLED_DIGEST, manager_a.pk): sorted([not_yet.pk, beyond.pk]),
        (MessageKind.ESCALATION, officer.pk): [beyond.pk],
    }


def test_digests_group_per_recipient_one_email_each(
    db, startup_a, startup_b, manager_a, agent_a, manager_b, officer, django_capture_on_commit_callbacks
):
    long_ago = MONDAY_9AM - timedelta(days=30)
    a1 = stalled_exporter(startup_a, entered=long_ago, agent=agent_a, name="Agent's Spices LLP")
    a2 = stalled_exporter(startup_a, entered=long_ago, name="Unassigned Agent Spices LLP")
    b1 = stalled_exporter(startup_b, entered=long_ago, name="Beta Brass LLP")
    mail.outbox.clear()
    result = sweep(MONDAY_9AM, (*STALLED, MessageKind.ESCALATION), capture=django_capture_on_commit_callbacks)
    assert recipients(result) == {
        (MessageKind.STALLED_DIGEST, manager_a.pk): sorted([a1.pk, a2.pk]),
        (MessageKind.STALLED_DIGEST, agent_a.pk): [a1.pk],
        (MessageKind.STALLED_DIGEST, manager_b.pk): [b1.pk],
        (MessageKind.ESCALATION, officer.pk): sorted([a1.pk, a2.pk, b1.pk]),
    }
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_recipient) == sorted([manager_a.email, agent_a.email, manager_b.email, officer.email])
    assert len(mail.outbox) == 4
    manager_mail = by_recipient[manager_a.email]
    assert "2 stalled exporters at Alpha" in manager_mail.subject
    assert f"http://127.0.0.1:8000/exporters/{a1.pk}/" in manager_mail.body
    assert "Beta Brass" not in manager_mail.body
    assert "Unassigned Agent" not in by_recipient[agent_a.email].body
    escalation = by_recipient[officer.email]
    assert escalation.subject.startswith("Escalation: 3 exporters")
    html = escalation.alternatives[0][0]
    assert "Alpha" in html and "Beta" in html and html.index("Alpha") < html.index("Beta")  # larger group first
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert OutboxMessage.objects.get(recipient=manager_a).subject == manager_mail.subject


def test_a_second_sweep_in_the_same_period_is_a_no_op(
    db, startup_a, manager_a, officer, django_capture_on_commit_callbacks
):
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=30))
    first = sweep(MONDAY_9AM, capture=django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    # Monday: digest (manager) + escalation (officer) + weekly digest (manager); no admin here.
    assert len(first.created) == 3
    second = sweep(MONDAY_9AM + timedelta(hours=3), capture=django_capture_on_commit_callbacks)
    assert second.created == [] and second.existing == len(first.created) and second.requeued == 0
    assert len(mail.outbox) == sent
    # The next day is a new period: the still-stalled exporter is reported again.
    third = sweep(MONDAY_9AM + timedelta(days=1), capture=django_capture_on_commit_callbacks)
    assert {p.kind for p in third.created} == {MessageKind.STALLED_DIGEST, MessageKind.ESCALATION}


def test_review_reminder_for_evidence_waiting_more_than_two_days(
    db, startup_a, officer, admin_user, django_capture_on_commit_callbacks
):
    exporter = assign(ExporterFactory(), startup_a)
    stage = Stage.objects.get(code="contacted")
    StageEvent.objects.create(exporter=exporter, stage=stage, submitted_at=MONDAY_9AM - timedelta(days=2, hours=1))
    fresh = assign(ExporterFactory(legal_name="Fresh Evidence LLP"), startup_a)
    StageEvent.objects.create(exporter=fresh, stage=stage, submitted_at=MONDAY_9AM - timedelta(days=1))
    result = sweep(MONDAY_9AM, (MessageKind.REVIEW_WAITING,), capture=django_capture_on_commit_callbacks)
    # Officers are chased, not admins, when there is an officer.
    assert recipients(result) == {(MessageKind.REVIEW_WAITING, officer.pk): [exporter.pk]}
    [message] = mail.outbox
    assert message.subject == "1 evidence submission waiting more than two days for review"
    assert "http://127.0.0.1:8000/reviews/" in message.body and "Fresh Evidence" not in message.body


def test_weekly_digests_go_to_every_member_and_admin_who_wants_them(
    db, startup_a, startup_b, manager_a, agent_a, manager_b, admin_user, officer, django_capture_on_commit_callbacks
):
    agent_a.weekly_digest = False
    agent_a.save()
    exporter = assign(ExporterFactory(legal_name="Moved On Textiles LLP"), startup_a, stage_code="contacted")
    StageEvent.objects.create(
        exporter=exporter,
        startup=startup_a,
        stage=Stage.objects.get(code="contacted"),
        submitted_at=MONDAY_9AM - timedelta(days=3),
        status="approved",
        reviewed_at=MONDAY_9AM - timedelta(days=2),
    )
    kinds = (MessageKind.WEEKLY_STARTUP, MessageKind.WEEKLY_PROGRAMME)
    result = sweep(MONDAY_9AM, kinds, capture=django_capture_on_commit_callbacks)
    assert {(p.kind, p.recipient_id, p.period_key) for p in result.created} == {
        (MessageKind.WEEKLY_STARTUP, manager_a.pk, "2026-W49"),
        (MessageKind.WEEKLY_STARTUP, manager_b.pk, "2026-W49"),
        (MessageKind.WEEKLY_PROGRAMME, admin_user.pk, "2026-W49"),
    }
    by_recipient = {m.to[0]: m for m in mail.outbox}
    alpha = by_recipient[manager_a.email]
    assert alpha.subject.startswith("Alpha this week: 1 stage reached")
    assert "Moved On Textiles LLP reached Contacted" in alpha.body
    assert "http://127.0.0.1:8000/account/preferences/" in alpha.body
    programme = by_recipient[admin_user.email]
    assert "1 stage approved" in programme.subject and "/account/preferences/" in programme.body


def test_nothing_is_sent_about_work_that_moved_on_before_the_send(
    db, startup_a, manager_a, django_capture_on_commit_callbacks
):
    exporter = stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=5))
    sweep(MONDAY_9AM, STALLED, execute=False, capture=django_capture_on_commit_callbacks)
    reminder = OutboxMessage.objects.get()
    assert list(reminder.exporters()) == [exporter]
    Exporter.objects.filter(pk=exporter.pk).update(last_activity_at=timezone.now())  # a call was logged
    assert outbox_send(outbox_message_id=reminder.pk) == MessageStatus.SKIPPED
    assert mail.outbox == []
    assert OutboxMessage.objects.get().status == MessageStatus.SKIPPED


def test_a_weekly_digest_is_skipped_if_the_user_opted_out_after_the_sweep(
    db, startup_a, manager_a, django_capture_on_commit_callbacks
):
    sweep(MONDAY_9AM, (MessageKind.WEEKLY_STARTUP,), execute=False, capture=django_capture_on_commit_callbacks)
    manager_a.weekly_digest = False
    manager_a.save()
    assert outbox_send(outbox_message_id=OutboxMessage.objects.get().pk) == MessageStatus.SKIPPED
    assert mail.outbox == []


def test_a_claimed_or_sent_reminder_is_never_sent_again(db, startup_a, manager_a, django_capture_on_commit_callbacks):
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=5))
    sweep(MONDAY_9AM, STALLED, execute=False, capture=django_capture_on_commit_callbacks)
    reminder = OutboxMessage.objects.get()
    # Another worker claimed it a second ago (at the very same instant it would be this send's own claim).
    claimed = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.filter(pk=reminder.pk).update(status=MessageStatus.SENDING, claimed_at=claimed)
    assert outbox_send(outbox_message_id=reminder.pk) == ""  # another worker holds it
    # A claim older than the timeout belongs to a worker that died: it is taken over.
    OutboxMessage.objects.filter(pk=reminder.pk).update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert outbox_send(outbox_message_id=reminder.pk) == MessageStatus.SENT
    assert outbox_send(outbox_message_id=reminder.pk) == ""  # a redelivered task
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().attempts == 1


def test_an_smtp_failure_releases_the_claim_and_retries_until_the_day_is_over(
    db, startup_a, manager_a, settings, django_capture_on_commit_callbacks
):
    """Retries back off over hours (1, 2, 5, 15, 30, 60 minutes, then hourly) and stop only
    when the reminder's day ends; before then, no number of failures marks it failed."""
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=5))
    sweep(MONDAY_9AM, STALLED, execute=False, capture=django_capture_on_commit_callbacks)
    reminder = OutboxMessage.objects.get()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    waits, moment = [], MONDAY_9AM
    while True:
        with time_machine.travel(moment, tick=False):
            status = outbox_send(outbox_message_id=reminder.pk)
        reminder.refresh_from_db()
        if status != MessageStatus.PENDING:
            break
        assert (reminder.status, reminder.claimed_at) == (MessageStatus.PENDING, None)
        assert "Connection" in reminder.last_error
        waits.append(round((reminder.next_attempt_at - moment).total_seconds() / 60))
        moment = reminder.next_attempt_at
    assert waits[:8] == [1, 2, 5, 15, 30, 60, 60, 60]
    # The last try before midnight (IST) was the last one: the day's digest is over.
    assert (reminder.status, reminder.attempts) == (MessageStatus.FAILED, len(waits) + 1)
    assert reminder.last_error.startswith("Not delivered before its period ended.")
    assert moment.astimezone(IST).date() == MONDAY_9AM.date() and mail.outbox == []


def test_a_down_broker_leaves_reminders_pending_and_the_next_sweep_queues_them(
    db, startup_a, manager_a, monkeypatch, django_capture_on_commit_callbacks
):
    """(The integration suite stops the real Redis; here the publish fails as kombu's does.)"""
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=5))

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(send_outbox_message_task, "apply_async", broker_down)
        sweep(MONDAY_9AM, STALLED, capture=django_capture_on_commit_callbacks)  # does not raise
    reminder = OutboxMessage.objects.get()
    assert (reminder.status, reminder.queued_at) == (MessageStatus.PENDING, None)
    assert mail.outbox == []
    again = sweep(MONDAY_9AM + timedelta(hours=1), STALLED, capture=django_capture_on_commit_callbacks)
    assert again.created == [] and again.requeued == 1
    assert len(mail.outbox) == 1 and OutboxMessage.objects.get().status == MessageStatus.SENT


def test_sweep_queries_grow_with_recipients_not_exporters(db, officer, django_capture_on_commit_callbacks):
    def measure():
        OutboxMessage.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            sweep(MONDAY_9AM, execute=False, capture=django_capture_on_commit_callbacks)
        return len(queries)

    startups = [StartupFactory() for _ in range(3)]
    for startup in startups:
        MemberFactory(startup=startup, role=MemberRole.MANAGER)
        stalled_exporter(startup, entered=MONDAY_9AM - timedelta(days=30))
    few = measure()
    for startup in startups:
        for _ in range(10):
            stalled_exporter(startup, entered=MONDAY_9AM - timedelta(days=30))
    assert measure() == few
    assert (
        OutboxMessage.objects.filter(kind=MessageKind.STALLED_DIGEST).get(startup=startups[0]).exporters().count() == 11
    )
    more_startups = [StartupFactory() for _ in range(5)]
    for startup in more_startups:
        MemberFactory(startup=startup, role=MemberRole.MANAGER)
        stalled_exporter(startup, entered=MONDAY_9AM - timedelta(days=30))
    assert measure() == few  # even more recipients: still the same handful of bulk queries


def test_a_programme_with_only_admins_still_gets_escalations(db, startup_a, admin_user):
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=30))
    result = reminders_sweep(now=MONDAY_9AM, kinds=(MessageKind.ESCALATION,), dry_run=True)
    assert [p.recipient_id for p in result.created] == [admin_user.pk]
    StaffFactory()  # an officer arrives: they take over
    result = reminders_sweep(now=MONDAY_9AM, kinds=(MessageKind.ESCALATION,), dry_run=True)
    assert [p.recipient_id for p in result.created] != [admin_user.pk]


# --- The command -------------------------------------------------------------------


def test_send_reminders_dry_run_prints_and_changes_nothing(db, startup_a, manager_a, capsys):
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=5))
    call_command("send_reminders", "--dry-run", "--now", "2026-11-30T09:00", "--kind", "stalled_digest")
    out = capsys.readouterr().out
    assert "Would send Stalled exporters digest to manager@alpha.example for 2026-11-30, 1 exporter(s)" in out
    assert OutboxMessage.objects.count() == 0


def test_send_reminders_sends_once_for_the_given_time(
    db, startup_a, manager_a, capsys, django_capture_on_commit_callbacks
):
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=5))
    with time_machine.travel(MONDAY_9AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--now", "2026-11-30T03:30:00+00:00", "--kind", "stalled_digest")
        call_command("send_reminders", "--now", "2026-11-30T10:00", "--kind", "stalled_digest")
    out = capsys.readouterr().out
    assert "1 new" in out and "0 new, 1 already done" in out
    assert OutboxMessage.objects.get().status == MessageStatus.SENT and len(mail.outbox) == 1


def test_send_reminders_rejects_a_bad_date(db):
    with pytest.raises(CommandError, match="not an ISO date-time"):
        call_command("send_reminders", "--now", "next monday")
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_send_reminders_says_which_reminders_wait_for_the_broker(startup_a, manager_a, monkeypatch, capsys):
    """Honest with Redis down: nothing is reported "Queued" that never reached the broker."""
    stalled_exporter(startup_a, entered=MONDAY_9AM - timedelta(days=5))

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_outbox_message_task, "apply_async", broker_down)
    with time_machine.travel(MONDAY_9AM, tick=False):
        call_command("send_reminders", "--kind", "stalled_digest")
    out, err = capsys.readouterr()
    assert "Waiting for the broker: Stalled exporters digest to manager@alpha.example for 2026-11-30" in out
    assert "Queued" not in out
    assert "1 new, 0 already done for this period, 0 stranded re-queued; 0 queued, 1 waiting for the broker" in out
    assert "The broker refused 1 send task(s)" in err
    assert OutboxMessage.objects.get().queued_at is None  # the recovery queues it once the broker is back
    monkeypatch.undo()
    with time_machine.travel(MONDAY_9AM + timedelta(minutes=1), tick=False):
        call_command("send_reminders", "--kind", "stalled_digest")
    assert "0 new, 1 already done for this period, 1 stranded re-queued; 1 queued, 0 waiting" in capsys.readouterr().out
    assert OutboxMessage.objects.get().status == MessageStatus.SENT and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_send_reminders_lists_what_could_not_be_delivered(startup_a, manager_a, capsys):
    OutboxMessage.objects.create(
        kind=MessageKind.STALLED_DIGEST,
        recipient=manager_a,
        period_key="2026-11-30",
        status=MessageStatus.REJECTED,
        last_error="SMTPRecipientsRefused: manager@alpha.example: 550 No such user",
    )
    with time_machine.travel(MONDAY_9AM + timedelta(hours=1), tick=False):
        call_command("send_reminders", "--kind", "stalled_digest")
    out, err = capsys.readouterr()
    assert "0 queued, 0 waiting for the broker; 1 not delivered." in out
    assert (
        "Not delivered (undeliverable): Stalled exporters digest to manager@alpha.example for 2026-11-30:"
        " SMTPRecipientsRefused: manager@alpha.example: 550 No such user"
    ) in err
