"""Reminders: who is owed which one for which period (the sweep's plan) and the sweep that
creates them. Sending, re-checked so nothing is sent about work that has moved on, is the
outbox's (services/outbox.py), as for every email.

Planning reads a handful of queries whatever the number of exporters: stalled exporters
come back as (id, startup, agent, escalated) tuples and are grouped per recipient in
Python; members and staff are one query each.

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
from ..models import Exporter, OutboxMessage, Stage, StageEvent, StartupMember, User
from ..models.outbox import MessageKind, MessageStatus, daily_period, kinds_due, period_end, weekly_period
from ..models.stages import StageEventStatus
from ..models.startups import MemberRole, StartupStatus
from ..models.users import StaffRole
from .outbox import NewMessage, Queued, lease_stranded, outbox_post

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
    outbox_message_id: int | None = None  # once created

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
    if MessageKind.STALLED_DIGEST in kinds or MessageKind.ESCALATION in kinds:
        stalled = list(Exporter.objects.stalled_for_reminders(now, stages, ESCALATION_FACTOR))
        if MessageKind.STALLED_DIGEST in kinds:
            planned += _stalled_digests(now, stalled, members)
        if MessageKind.ESCALATION in kinds:
            planned += _escalations(now, stalled, chasers)
    if MessageKind.REVIEW_WAITING in kinds:
        waiting = sorted(
            set(
                StageEvent.objects.filter(status=StageEventStatus.SUBMITTED, submitted_at__lt=now - REVIEW_WAIT)
                .order_by()
                .values_list("exporter_id", flat=True)
            )
        )
        if waiting:
            period = daily_period(now)
            planned += [Planned(MessageKind.REVIEW_WAITING, pk, period, None, waiting) for pk in chasers]
    if MessageKind.UNDELIVERED in kinds and _undelivered_since_last_report(now):
        planned += [Planned(MessageKind.UNDELIVERED, pk, daily_period(now)) for pk in chasers]
    if MessageKind.WEEKLY_STARTUP in kinds:
        period = weekly_period(now)
        planned += [
            Planned(MessageKind.WEEKLY_STARTUP, user_id, period, startup_id)
            for startup_id, user_id, _, wants, status in members
            if wants and status == StartupStatus.ACTIVE
        ]
    if MessageKind.WEEKLY_PROGRAMME in kinds:
        period = weekly_period(now)
        planned += [
            Planned(MessageKind.WEEKLY_PROGRAMME, pk, period)
            for pk, role, wants in staff
            if wants and role != StaffRole.OFFICER
        ]
    return planned


def _stalled_digests(now: datetime, stalled, members) -> list[Planned]:
    """Each manager gets their startup's stalled exporters; each agent only their own."""
    by_startup: dict[int, list[int]] = defaultdict(list)
    by_agent: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, startup_id, agent_id, _ in stalled:
        by_startup[startup_id].append(pk)
        if agent_id:
            by_agent[(startup_id, agent_id)].append(pk)
    period = daily_period(now)
    planned = []
    for startup_id, user_id, role, _, _ in members:
        ids = by_startup[startup_id] if role == MemberRole.MANAGER else by_agent.get((startup_id, user_id))
        if ids:
            planned.append(Planned(MessageKind.STALLED_DIGEST, user_id, period, startup_id, sorted(ids)))
    return planned


def _undelivered_since_last_report(now: datetime) -> bool:
    """Did any message fail for good since the last undelivered-messages report (or in the last day)?"""
    last = (
        # Within the week: the created_at index reads a week of rows, not the whole log.
        OutboxMessage.objects.filter(
            kind=MessageKind.UNDELIVERED, created_at__lt=now, created_at__gte=now - timedelta(days=7)
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    since = last or now - timedelta(days=1)
    return OutboxMessage.objects.undelivered().filter(settled_at__gte=since, settled_at__lt=now).exists()


def _escalations(now: datetime, stalled, chasers: list[int]) -> list[Planned]:
    ids = sorted(pk for pk, _, _, escalated in stalled if escalated)
    if not ids:
        return []
    period = daily_period(now)
    return [Planned(MessageKind.ESCALATION, pk, period, None, ids) for pk in chasers]


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
        OutboxMessage.objects.filter(period_key__in=periods, kind__in=kinds).values_list(
            "kind", "recipient_id", "period_key"
        )
    )
    new = [p for p in planned if p.key not in existing]
    result = SweepResult(created=new, existing=len(planned) - len(new))
    if dry_run:
        return result
    lease = timezone.now()
    result.revived = OutboxMessage.objects.filter(status=MessageStatus.FAILED, retry_until__gt=lease).update(
        status=MessageStatus.PENDING, next_attempt_at=lease, queued_at=None, settled_at=None
    )
    stranded = lease_stranded(now=lease)
    result.requeued = len(stranded)
    messages = [
        NewMessage(
            kind=p.kind,
            recipient_id=p.recipient_id,
            period_key=p.period_key,
            startup_id=p.startup_id,
            retry_until=max(period_end(p.kind, now), lease + LEAST_RETRY_WINDOW),
            exporter_ids=tuple(p.exporter_ids),
        )
        for p in new
    ]
    posted = outbox_post(messages, lease=lease, also_queue=stranded)
    for p, pk in zip(new, posted.ids, strict=True):
        p.outbox_message_id = pk
    result.queued = posted.queued
    return result
