"""Reminders through the real parts: Celery beat and worker processes, Redis, PostgreSQL
and an SMTP sink on loopback. Exactly one email per recipient, whatever happens."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ..models import Exporter, OutboxMessage
from ..models.outbox import MessageKind, MessageStatus, kinds_due
from ..services.reminders import plan, reminders_sweep
from ..tasks import sweep_reminders_task
from .concurrency import wait_until
from .factories import ExporterFactory, assign
from .live_services import ROOT, broker_idle, start_redis, stop_redis

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


DAILY = [MessageKind.STALLED_DIGEST, MessageKind.ESCALATION]


@pytest.fixture
def stalled_work(startup_a, startup_b, manager_a, agent_a, manager_b, officer):
    """Stalled exporters at two startups, one of them far beyond its SLA."""
    now = timezone.now()
    for startup, agent, days in [(startup_a, agent_a, 5), (startup_a, None, 30), (startup_b, None, 5)]:
        exporter = assign(ExporterFactory(), startup)
        Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=now - timedelta(days=days), agent=agent)
    return {manager_a.email, agent_a.email, manager_b.email, officer.email}


def expected_recipients(kinds) -> list[str]:
    from ..models import User

    ids = [p.recipient_id for p in plan(timezone.now(), tuple(kinds))]
    emails = dict(User.objects.filter(pk__in=ids).values_list("pk", "email"))
    return sorted(emails[pk] for pk in ids)


def delivered_to(mailbox) -> list[str]:
    return sorted(m["To"] for m in mailbox.messages)


def all_settled() -> bool:
    return not OutboxMessage.objects.filter(status__in=[MessageStatus.PENDING, MessageStatus.SENDING]).exists()


def test_beat_triggers_the_sweep_and_repeated_beats_send_nothing_twice(stalled_work, celery_worker, mailbox, tmp_path):
    expected = expected_recipients(kinds_due(timezone.now()))
    assert set(stalled_work) <= set(expected)
    # A real `celery beat` process, firing the sweep every second through Redis.
    env = {**celery_worker.env, "REMINDER_SWEEP_EVERY_SECONDS": "1"}
    beat_log = tmp_path / "beat.log"
    log = open(beat_log, "w")  # noqa: SIM115
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO", "-s", str(tmp_path / "sched")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        mailbox.wait_for(len(expected), timeout=60)
        # Three more beats: each sweep finds the period's rows and sends nothing.
        beats = beat_log.read_text().count("sweep_reminders_task")
        assert beats
        wait_until(lambda: beat_log.read_text().count("sweep_reminders_task") >= beats + 3, what="three more beats")
    finally:
        beat.terminate()
        beat.wait(timeout=20)
        log.close()
    wait_until(broker_idle, what="the sweeps of those beats run")
    assert delivered_to(mailbox) == expected
    assert OutboxMessage.objects.count() == len(expected)
    wait_until(all_settled, timeout=60)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_concurrent_sweeps_deliver_exactly_one_email_per_recipient(stalled_work, celery_worker, mailbox):
    expected = expected_recipients(DAILY)
    assert len(expected) == 4
    # Two sweeps on the worker (concurrency 2) and a third in this process, all at once.
    sweep_reminders_task.delay(DAILY)
    sweep_reminders_task.delay(DAILY)

    def sweep_here():
        try:
            reminders_sweep(now=timezone.now(), kinds=tuple(DAILY))
        finally:
            connection.close()

    thread = threading.Thread(target=sweep_here)
    thread.start()
    thread.join()
    mailbox.wait_for(len(expected))
    wait_until(broker_idle, what="every send task queued, duplicates included, run")
    assert delivered_to(mailbox) == expected
    wait_until(all_settled, timeout=60)
    assert OutboxMessage.objects.filter(status=MessageStatus.SENT).count() == 4


def test_an_smtp_failure_then_recovery_delivers_exactly_once(stalled_work, celery_worker, mailbox):
    mailbox.fail_next(1)
    call_command("send_reminders", "--kind", "stalled_digest", "--kind", "escalation")
    messages = mailbox.wait_for(4, timeout=90)
    wait_until(all_settled, timeout=60)
    wait_until(broker_idle, what="every send task queued run")
    assert len(mailbox.messages) == 4 and delivered_to(mailbox) == sorted(stalled_work)
    assert len(messages) == 4
    attempts = sorted(OutboxMessage.objects.values_list("attempts", flat=True))
    assert attempts == [1, 1, 1, 2]  # one was refused once, retried with backoff, sent once
    retried = OutboxMessage.objects.get(attempts=2)
    assert retried.status == MessageStatus.SENT and retried.last_error == ""


def test_with_redis_down_the_web_answers_and_the_next_sweep_delivers(
    stalled_work, celery_worker, mailbox, client, officer, manager_a
):
    stop_redis()
    try:
        client.force_login(officer)
        assert client.get("/exporters/").status_code == 200
        assert client.get("/outbox/").status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["broker"] is False
        client.force_login(manager_a)
        assert client.get("/").status_code == 200
        started = time.monotonic()
        call_command("send_reminders", "--kind", "stalled_digest", "--kind", "escalation")  # no exception
        assert time.monotonic() - started < 10
        assert OutboxMessage.objects.filter(status=MessageStatus.PENDING, queued_at__isnull=True).count() == 4
    finally:
        start_redis()
    wait_until(broker_idle)
    assert mailbox.messages == []  # nothing went out while the broker was down
    call_command("send_reminders", "--kind", "stalled_digest", "--kind", "escalation")
    mailbox.wait_for(4, timeout=90)
    wait_until(all_settled, timeout=60)
    wait_until(broker_idle, what="every send task queued run")
    assert delivered_to(mailbox) == sorted(stalled_work)
    assert OutboxMessage.objects.count() == 4


def test_with_redis_down_a_new_member_still_gets_the_invitation(celery_worker, client, admin_user, startup_a):
    from django.core import mail
    from django.urls import reverse

    from ..models import User

    stop_redis()
    try:
        client.force_login(admin_user)
        response = client.post(
            reverse("onboarding:startup-member-add", args=[startup_a.pk]),
            {"email": "offline.invite@alpha.example", "role": "manager"},
        )
        assert response.status_code == 302
        assert User.objects.filter(email="offline.invite@alpha.example").exists()
        # Sent by the web process itself (this test's mail outbox) since nothing could be queued.
        assert [m.to for m in mail.outbox] == [["offline.invite@alpha.example"]]
    finally:
        start_redis()
