"""Reminders: who is owed which one for which period (the sweep's plan) and the sweep that
creates them. Sending, re-checked so nothing is sent about work that has moved on, is the
outbox's (services/outbox.py), as for every email.

Planning reads a handful of queries whatever the number of exporters: stalled exporters
come back as (id, startup, agent, stage, entered) tuples and are grouped per recipient
in Python; members and staff are one query each.

Once per period: the unique (kind, recipient, period_key) key means a second sweep
creates nothing, and sweeps take turns on an advisory lock, so the second one sees the
first's rows already leased for sending and queues nothing for them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .. import database
from ..models import Exporter, Reminder, Stage, StageEvent, StartupMember, User
from ..models.reminders import ReminderKind, ReminderStatus, daily_period, kinds_due, period_end, weekly_period
from ..models.stages import StageEventStatus
from ..models.startups import MemberRole, StartupStatus
from ..models.users import StaffRole
from .outbox import Queued, lease_stranded, reminders_queue

logger = logging.getLogger(__name__)

# An arbitrary constant: the key of the PostgreSQL advisory lock held by a sweep.
SWEEP_LOCK = 6_020_611
# A reminder planned at the very end of its day still gets this long to be delivered.
LEAST_RETRY_WINDOW = timedelta(hours=1)


@dataclass
class SweepResult:
    created: list[Planned] = field(default_factory=list)
    existing: int = 0
    requeued: int = 0
    revived: int = 0  # failed rows of an open period, given another chance
    # Which rows reached the broker; filled in when the sweep's transaction commits.
    queued: Queued = field(default_factory=Queued)


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
    reminder_id: int | None = None  # once created

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
    if ReminderKind.UNDELIVERED in kinds and _undelivered_since_last_report(now):
        planned += [Planned(ReminderKind.UNDELIVERED, pk, daily_period(now)) for pk in chasers]
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


def _undelivered_since_last_report(now: datetime) -> bool:
    """Did any message fail for good since the last undelivered-messages report (or in the last day)?"""
    last = (
        # Within the week: the created_at index reads a week of rows, not the whole log.
        Reminder.objects.filter(
            kind=ReminderKind.UNDELIVERED, created_at__lt=now, created_at__gte=now - timedelta(days=7)
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    since = last or now - timedelta(days=1)
    return Reminder.objects.undelivered().filter(settled_at__gte=since, settled_at__lt=now).exists()


def _escalations(now: datetime, stalled, stages, chasers: list[int]) -> list[Planned]:
    sla = {s.pk: timedelta(days=s.sla_days * ESCALATION_FACTOR) for s in stages}
    ids = sorted(pk for pk, _, _, stage_id, entered in stalled if entered < now - sla[stage_id])
    if not ids:
        return []
    period = daily_period(now)
    return [Planned(ReminderKind.ESCALATION, pk, period, None, ids) for pk in chasers]


# --- The sweep ------------------------------------------------------------------------


@transaction.atomic
def reminders_sweep(*, now: datetime, kinds: tuple[str, ...] | None = None, dry_run: bool = False) -> SweepResult:
    """Create the reminders owed at `now`, give failed ones of an open period another
    chance, and queue one send task per new or stranded row after commit (see the outbox).
    Safe to run twice or concurrently; `dry_run` writes and queues nothing."""
    kinds = tuple(kinds) if kinds is not None else kinds_due(now)
    if not dry_run and database.has_advisory_locks():
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
    lease = timezone.now()
    rows = Reminder.objects.bulk_create(
        [
            Reminder(
                kind=p.kind,
                recipient_id=p.recipient_id,
                period_key=p.period_key,
                startup_id=p.startup_id,
                next_attempt_at=lease,
                retry_until=max(period_end(p.kind, now), lease + LEAST_RETRY_WINDOW),
                queued_at=lease,  # leased here, so a concurrent sweep or recovery leaves them be
            )
            for p in new
        ]
    )
    for row, p in zip(rows, new, strict=True):
        p.reminder_id = row.pk
    link_exporters([(row.pk, pk) for row, p in zip(rows, new, strict=True) for pk in p.exporter_ids])
    result.revived = Reminder.objects.filter(status=ReminderStatus.FAILED, retry_until__gt=lease).update(
        status=ReminderStatus.PENDING, next_attempt_at=lease, queued_at=None, settled_at=None
    )
    stranded = lease_stranded(now=lease, exclude=[r.pk for r in rows])
    result.requeued = len(stranded)
    result.queued = reminders_queue(reminder_ids=[r.pk for r in rows] + stranded, lease=lease)
    return result


def link_exporters(pairs: list[tuple[int, int]]) -> None:
    """Write (reminder id, exporter id) rows of the M2M in one statement on PostgreSQL, however many."""
    if not pairs:
        return
    through = Reminder.exporters.through
    if not database.binds_arrays():
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
