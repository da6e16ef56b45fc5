"""Fault drills on the real parts: a `celery worker`, Redis, PostgreSQL and an SMTP sink that
records a message before it answers 250. In each drill: nothing is lost, and a message
arrives twice only when a sender died between the server's 250 and marking its row sent
(counted, and the copy carries the original's Message-ID). The worker runs the outbox on a
schedule of seconds (live_services.OUTBOX_DRILL_SETTINGS); this test plays beat by asking
for the recovery every second."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ..models import Exporter, OutboxMessage, User
from ..models.outbox import OPEN_STATUSES, MessageKind, MessageStatus
from ..models.startups import MemberRole
from ..services.reminders import reminders_sweep
from ..tasks import recover_outbox_task
from .concurrency import race, wait_until
from .factories import ExporterFactory, MemberFactory, StartupFactory, assign
from .live_services import OUTBOX_DRILL_SETTINGS, broker_idle, database_outage, start_redis, stop_redis

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql,
]

STALLED = (MessageKind.STALLED_DIGEST,)
STARTUPS = 24  # one stalled digest each


@pytest.fixture(autouse=True)
def _drill_schedule(settings):
    """This process sweeps and recovers on the worker's schedule of seconds."""
    for name, value in OUTBOX_DRILL_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture
def stalled_startups(db):
    """Two dozen startups, each with a manager and a stalled exporter: one digest each."""
    for n in range(STARTUPS):
        startup = StartupFactory()
        # No password to hash (a second each, at Django's iteration count): they only get email.
        manager = User.objects.create(email=f"manager{n}@drill.example")
        MemberFactory(startup=startup, role=MemberRole.MANAGER, user=manager)
        exporter = assign(ExporterFactory(), startup)
        Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=timezone.now() - timedelta(days=5))


def settle(timeout: float = 120) -> float:
    """Play beat until no row is open: ask for the outbox recovery every second. Returns the
    seconds it took (the drills' "every stranded row sent within 2 minutes")."""
    started = time.monotonic()

    def settled() -> bool:
        open_rows = OutboxMessage.objects.filter(status__in=OPEN_STATUSES)
        if not open_rows.exists():
            return True
        recover_outbox_task.publish([()])
        return False

    try:
        wait_until(settled, timeout=timeout, every=1, what="every outbox row settled")
    except AssertionError as late:
        still_open = OutboxMessage.objects.filter(status__in=OPEN_STATUSES).values_list("pk", "status", "last_error")
        raise AssertionError(f"{late}: {list(still_open)}") from None
    return time.monotonic() - started


def sent_in_sweep(mailbox) -> list[str]:
    """Every row is sent, and its Message-ID reached the sink: nothing lost."""
    rows = list(OutboxMessage.objects.values_list("pk", "status"))
    assert len(rows) == STARTUPS
    assert Counter(status for _, status in rows) == {MessageStatus.SENT: STARTUPS}
    ids = {f"<reminder-{pk}@testserver>" for pk, _ in rows}
    assert set(mailbox.message_ids()) == ids
    return sorted(ids)


def test_a_worker_killed_mid_send_loses_nothing_and_resends_only_what_the_server_had(
    stalled_startups, celery_worker, mailbox
):
    mailbox.slow(1.0)  # each message sits recorded-but-unanswered for a second
    reminders_sweep(now=timezone.now(), kinds=STALLED)
    wait_until(lambda: len(mailbox.messages) >= 3, every=0.02, what="three messages at the sink")
    celery_worker.kill()  # SIGKILL, worker and pool: no chance to mark anything
    sending = OutboxMessage.objects.filter(status=MessageStatus.SENDING).values_list("pk", flat=True)
    in_flight = {f"<reminder-{pk}@testserver>" for pk in sending}
    assert 1 <= len(in_flight) <= 2  # the pool's two processes
    mailbox.slow(0)
    celery_worker.start()
    assert settle() < 120
    sent_in_sweep(mailbox)
    copies = {mid: n for mid, n in Counter(mailbox.message_ids()).items() if n > 1}
    # A copy only of a message the server had taken when its sender died, carrying the same Message-ID.
    assert set(copies) <= in_flight and all(n == 2 for n in copies.values())
    assert mailbox.duplicates() == len(copies) <= len(in_flight)


def test_smtp_down_longer_than_the_old_retry_window_loses_nothing(stalled_startups, celery_worker, mailbox):
    mailbox.stop()
    try:
        reminders_sweep(now=timezone.now(), kinds=STALLED)
        # The old rule gave up after five tries; here they come after 1, 1, 2, 2, 2 s.
        wait_until(lambda: OutboxMessage.objects.filter(attempts__gte=6).count() == STARTUPS, timeout=60)
        assert not OutboxMessage.objects.exclude(status__in=OPEN_STATUSES).exists()  # none given up, none sent
        assert "Connection refused" in OutboxMessage.objects.first().last_error
    finally:
        mailbox.start()
    assert settle() < 120
    sent_in_sweep(mailbox)
    assert mailbox.duplicates() == 0  # a refused connection accepted nothing


def test_the_database_going_away_during_sends_loses_nothing(stalled_startups, celery_worker, mailbox):
    mailbox.slow(0.2)
    reminders_sweep(now=timezone.now(), kinds=STALLED)
    wait_until(lambda: len(mailbox.messages) >= 3, every=0.02, what="three messages at the sink")
    database_outage(seconds=2.0)  # every worker connection dropped, new ones refused, as in a restart
    mailbox.slow(0)
    assert settle() < 120
    sent_in_sweep(mailbox)
    # The bookkeeping waits for the database, so even a send caught between the 250 and
    # its UPDATE is marked, not sent again.
    assert mailbox.duplicates() == 0


def test_the_broker_going_down_during_a_sweep_loses_nothing(stalled_startups, celery_worker, mailbox, capsys):
    mailbox.slow(0.2)
    reminders_sweep(now=timezone.now(), kinds=STALLED)
    wait_until(lambda: len(mailbox.messages) >= 3, every=0.02, what="three messages at the sink")
    stop_redis()  # without saving: the queued send tasks are gone
    try:
        mailbox.slow(0)
        # The lost tasks count as lost once their lease is OUTBOX_REQUEUE_AFTER old.
        requeue_after = timedelta(seconds=OUTBOX_DRILL_SETTINGS["OUTBOX_REQUEUE_AFTER"])
        leased = OutboxMessage.objects.filter(status=MessageStatus.PENDING, queued_at__isnull=False)
        wait_until(lambda: not leased.filter(queued_at__gt=timezone.now() - requeue_after).exists(), timeout=10)
        call_command("send_reminders", "--kind", "stalled_digest")  # the hourly sweep, broker down
        assert re.search(r"; 0 queued, [1-9]\d* waiting for the broker", capsys.readouterr().out)
    finally:
        start_redis()
    assert settle() < 120
    sent_in_sweep(mailbox)
    assert mailbox.duplicates() == 0


def test_two_sweeps_at_once_queue_one_send_task_per_reminder(stalled_startups, celery_worker, mailbox):
    log_before = len(celery_worker.log_path.read_text())

    def sweep() -> None:
        reminders_sweep(now=timezone.now(), kinds=STALLED)

    race(sweep, sweep)
    assert settle() < 60
    sent_in_sweep(mailbox)
    wait_until(broker_idle, what="any second send task received")
    log = celery_worker.log_path.read_text()[log_before:]
    received = [line for line in log.splitlines() if "send_outbox_message_task[" in line and "received" in line]
    assert len(received) == STARTUPS
    assert mailbox.duplicates() == 0
