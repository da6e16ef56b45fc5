"""Reminders: who is owed which one for which period (the sweep's plan), the sweep that
creates them, and the send of one, re-checked so nothing is sent about work that has
moved on.

Planning reads a handful of queries whatever the number of exporters: stalled exporters
come back as (id, startup, agent, stage, entered) tuples and are grouped per recipient
in Python; members and staff are one query each.

Exactly-once, in three layers: the unique (kind, recipient, period_key) key means a
second sweep creates nothing; a send claims its row with a conditional UPDATE, so a
duplicate task (two sweeps, a redelivery) finds nothing to claim; and a failed send
puts the row back to pending for its retry. A worker that dies mid-send leaves a
"sending" claim that goes stale after SEND_CLAIM_TIMEOUT and is retried then.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import emails
from ..models import Exporter, Reminder, Stage, StageEvent, StartupMember, User
from ..models.reminders import ReminderKind, ReminderStatus, daily_period, kinds_due, weekly_period
from ..models.stages import StageEventStatus
from ..models.startups import MemberRole, StartupStatus
from ..models.users import StaffRole
from ..reports.digests import programme_week, startup_week
from ..tasks import TRANSIENT, send_reminder_task

logger = logging.getLogger(__name__)

SEND_CLAIM_TIMEOUT = timedelta(minutes=10)
# Longer than the send task's longest retry countdown, so a row waiting for its retry
# is not queued a second time (that would be harmless, only wasteful).
REQUEUE_AFTER = timedelta(minutes=15)
# An arbitrary constant: the key of the PostgreSQL advisory lock held by a sweep.
SWEEP_LOCK = 6_020_611


@dataclass
class SweepResult:
    created: list[Planned] = field(default_factory=list)
    existing: int = 0
    requeued: int = 0


ESCALATION_FACTOR = 2  # officers hear of an exporter stalled beyond twice its stage's SLA
REVIEW_WAIT = timedelta(days=2)  # evidence waiting longer than this is chased


@dataclass
class Planned:
    """One reminder the sweep wants to exist."""

    kind: str
    recipient_id: int
    period_key: str
    startup_id: int | None = None
    exporter_ids: list[int] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.kind, self.recipient_id, self.period_key)


def plan(now: datetime, kinds: tuple[str, ...]) -> list[Planned]:
    """Every reminder owed at `now` for `kinds`, one per kind + recipient + period."""
    stages = list(Stage.objects.all())
    members = list(
        StartupMember.objects.active()
        .filter(user__is_active=True)
        .values_list("startup_id", "user_id", "role", "user__weekly_digest", "startup__status")
    )
    staff = list(User.objects.staff().values_list("pk", "staff_role", "weekly_digest"))
    officers = [pk for pk, role, _ in staff if role == StaffRole.OFFICER]
    # A programme run by admins alone still hears about escalations and waiting evidence.
    chasers = officers or [pk for pk, _, _ in staff]
    planned: list[Planned] = []
    if ReminderKind.STALLED_DIGEST in kinds or ReminderKind.ESCALATION in kinds:
        stalled = list(
            Exporter.objects.filter(Exporter.objects.stalled_q(now, stages), startup__isnull=False)
            .order_by()
            .values_list("pk", "startup_id", "agent_id", "current_stage_id", "stage_entered_at")
        )
        if ReminderKind.STALLED_DIGEST in kinds:
            planned += _stalled_digests(now, stalled, members)
        if ReminderKind.ESCALATION in kinds:
            planned += _escalations(now, stalled, stages, chasers)
    if ReminderKind.REVIEW_WAITING in kinds:
        waiting = sorted(
            set(
                StageEvent.objects.filter(status=StageEventStatus.SUBMITTED, submitted_at__lt=now - REVIEW_WAIT)
                .order_by()
                .values_list("exporter_id", flat=True)
            )
        )
        if waiting:
            period = daily_period(now)
            planned += [Planned(ReminderKind.REVIEW_WAITING, pk, period, None, waiting) for pk in chasers]
    if ReminderKind.WEEKLY_STARTUP in kinds:
        period = weekly_period(now)
        planned += [
            Planned(ReminderKind.WEEKLY_STARTUP, user_id, period, startup_id)
            for startup_id, user_id, _, wants, status in members
            if wants and status == StartupStatus.ACTIVE
        ]
    if ReminderKind.WEEKLY_PROGRAMME in kinds:
        period = weekly_period(now)
        planned += [
            Planned(ReminderKind.WEEKLY_PROGRAMME, pk, period)
            for pk, role, wants in staff
            if wants and role != StaffRole.OFFICER
        ]
    return planned


def _stalled_digests(now: datetime, stalled, members) -> list[Planned]:
    """Each manager gets their startup's stalled exporters; each agent only their own."""
    by_startup: dict[int, list[int]] = defaultdict(list)
    by_agent: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, startup_id, agent_id, _, _ in stalled:
        by_startup[startup_id].append(pk)
        if agent_id:
            by_agent[(startup_id, agent_id)].append(pk)
    period = daily_period(now)
    planned = []
    for startup_id, user_id, role, _, _ in members:
        ids = by_startup[startup_id] if role == MemberRole.MANAGER else by_agent.get((startup_id, user_id))
        if ids:
            planned.append(Planned(ReminderKind.STALLED_DIGEST, user_id, period, startup_id, sorted(ids)))
    return planned


def _escalations(now: datetime, stalled, stages, chasers: list[int]) -> list[Planned]:
    sla = {s.pk: timedelta(days=s.sla_days * ESCALATION_FACTOR) for s in stages}
    ids = sorted(pk for pk, _, _, stage_id, entered in stalled if entered < now - sla[stage_id])
    if not ids:
        return []
    period = daily_period(now)
    return [Planned(ReminderKind.ESCALATION, pk, period, None, ids) for pk in chasers]


# --- The sweep and the send -------------------------------------------------------


@transaction.atomic
def reminders_sweep(*, now: datetime, kinds: tuple[str, ...] | None = None, dry_run: bool = False) -> SweepResult:
    """Create the reminders owed at `now` and queue one send task per new or stranded row
    after commit. Safe to run twice or concurrently; `dry_run` writes and queues nothing."""
    kinds = tuple(kinds) if kinds is not None else kinds_due(now)
    if not dry_run and connection.vendor == "postgresql":
        # Concurrent sweeps take turns: the second sees the first's rows and adds none.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK])
    planned = plan(now, kinds)
    periods = {p.period_key for p in planned}
    existing = set(
        Reminder.objects.filter(period_key__in=periods, kind__in=kinds).values_list(
            "kind", "recipient_id", "period_key"
        )
    )
    new = [p for p in planned if p.key not in existing]
    result = SweepResult(created=new, existing=len(planned) - len(new))
    if dry_run:
        return result
    rows = Reminder.objects.bulk_create(
        [
            Reminder(kind=p.kind, recipient_id=p.recipient_id, period_key=p.period_key, startup_id=p.startup_id)
            for p in new
        ]
    )
    link_exporters([(row.pk, pk) for row, p in zip(rows, new, strict=True) for pk in p.exporter_ids])
    stranded = list(
        stranded_reminders(timezone.now()).exclude(pk__in=[r.pk for r in rows]).values_list("pk", flat=True)[:5000]
    )
    result.requeued = len(stranded)
    reminders_queue(reminder_ids=[r.pk for r in rows] + stranded)
    return result


def link_exporters(pairs: list[tuple[int, int]]) -> None:
    """Write (reminder id, exporter id) rows of the M2M in one statement on PostgreSQL, however many."""
    if not pairs:
        return
    through = Reminder.exporters.through
    if connection.vendor != "postgresql":
        through.objects.bulk_create([through(reminder_id=r, exporter_id=e) for r, e in pairs], batch_size=5000)
        return
    quote = connection.ops.quote_name
    table = quote(through._meta.db_table)
    reminder_col = quote(through._meta.get_field("reminder").column)
    exporter_col = quote(through._meta.get_field("exporter").column)
    reminder_ids, exporter_ids = (list(ids) for ids in zip(*pairs, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({reminder_col}, {exporter_col}) SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
            [reminder_ids, exporter_ids],
        )


def stranded_reminders(now: datetime):
    """Rows no task will pick up: never queued (broker down), queued long ago (message
    lost), or claimed by a worker that died."""
    pending = Q(status=ReminderStatus.PENDING) & (Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER))
    abandoned = Q(status=ReminderStatus.SENDING, claimed_at__lt=now - SEND_CLAIM_TIMEOUT)
    return Reminder.objects.filter(pending | abandoned).order_by("pk")


def reminders_queue(*, reminder_ids: list[int]) -> None:
    """Queue a send task per reminder on commit; note which reached the broker."""

    def mark_queued(published) -> None:
        ids = [args[0] for args in published]
        Reminder.objects.filter(pk__in=ids, status=ReminderStatus.PENDING).update(queued_at=timezone.now())

    send_reminder_task.queue_on_commit([(pk,) for pk in reminder_ids], on_queued=mark_queued)


def reminder_send(*, reminder_id: int, final_attempt: bool = False) -> str:
    """Claim a reminder, re-check it, email it and record the outcome; returns the new
    status, or "" when another task has it. A transient error puts the row back to
    pending (failed on the final attempt) and is raised again for the task's retry."""
    now = timezone.now()
    claimable = Q(status=ReminderStatus.PENDING) | Q(
        status=ReminderStatus.SENDING, claimed_at__lt=now - SEND_CLAIM_TIMEOUT
    )
    if not Reminder.objects.filter(claimable, pk=reminder_id).update(status=ReminderStatus.SENDING, claimed_at=now):
        return ""
    reminder = Reminder.objects.select_related("recipient", "startup").get(pk=reminder_id)
    mine = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING, claimed_at=now)
    try:
        subject = _deliver(reminder, now)
    except Exception as error:
        retrying = isinstance(error, TRANSIENT) and not final_attempt
        status = ReminderStatus.PENDING if retrying else ReminderStatus.FAILED
        mine.update(
            status=status,
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            claimed_at=None,
            queued_at=timezone.now(),
        )
        logger.warning("Reminder %s not sent (%s): %s", reminder_id, status, error)
        raise
    if subject is None:
        mine.update(status=ReminderStatus.SKIPPED, claimed_at=None, last_error="")
        return ReminderStatus.SKIPPED
    mine.update(
        status=ReminderStatus.SENT,
        sent_at=timezone.now(),
        subject=subject[:200],
        attempts=F("attempts") + 1,
        last_error="",
    )
    return ReminderStatus.SENT


def _deliver(reminder: Reminder, now: datetime) -> str | None:
    """Email the reminder as things stand now; None when there is nothing left to say."""
    kind = reminder.kind
    if kind == ReminderKind.STALLED_DIGEST:
        exporters = reminder.stalled_exporters()
        return emails.send_stalled_digest(reminder, exporters=exporters, now=now) if exporters else None
    if kind == ReminderKind.ESCALATION:
        exporters = reminder.stalled_exporters()
        if not exporters:
            return None
        groups = defaultdict(list)
        for exporter in exporters:
            groups[exporter.startup].append(exporter)
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), str(item[0])))
        return emails.send_escalation(reminder, groups=ordered, count=len(exporters), now=now)
    if kind == ReminderKind.REVIEW_WAITING:
        events = reminder.waiting_events()
        return emails.send_review_waiting(reminder, events=events, now=now) if events else None
    if not reminder.recipient.weekly_digest:
        return None  # opted out after the sweep
    if kind == ReminderKind.WEEKLY_STARTUP:
        return emails.send_weekly_startup(reminder, digest=startup_week(reminder.startup, now))
    if kind == ReminderKind.WEEKLY_PROGRAMME:
        return emails.send_weekly_programme(reminder, digest=programme_week(now))
    raise ValueError(f"Unknown reminder kind {kind!r}")
