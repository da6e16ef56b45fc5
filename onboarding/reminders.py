"""Who is owed which reminder for which period (the sweep's plan), and what each reminder
says at send time, re-checked so nothing is sent about work that has moved on.

Planning reads a handful of queries whatever the number of exporters: stalled exporters
come back as (id, startup, agent, stage, entered) tuples and are grouped per recipient
in Python; members and staff are one query each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q

from .models import Exporter, Reminder, Stage, StageEvent, StartupMember, User
from .models.exporters import ExporterStatus
from .models.reminders import ReminderKind
from .models.stages import StageEventStatus
from .models.startups import MemberRole, StartupStatus
from .models.users import StaffRole

DAILY_KINDS = (ReminderKind.STALLED_DIGEST, ReminderKind.ESCALATION, ReminderKind.REVIEW_WAITING)
WEEKLY_KINDS = (ReminderKind.WEEKLY_STARTUP, ReminderKind.WEEKLY_PROGRAMME)
ESCALATION_FACTOR = 2  # officers hear of an exporter stalled beyond twice its stage's SLA
REVIEW_WAIT = timedelta(days=2)  # evidence waiting longer than this is chased
EMAIL_LIST_LIMIT = 50  # longer lists end with "and N more" and a link


def programme_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def daily_period(now: datetime) -> str:
    """The programme's calendar day of `now`, e.g. "2026-11-29" (IST, not UTC)."""
    return now.astimezone(programme_tz()).date().isoformat()


def weekly_period(now: datetime) -> str:
    """The ISO week of `now` on the programme's calendar, e.g. "2026-W48"."""
    year, week, _ = now.astimezone(programme_tz()).isocalendar()
    return f"{year}-W{week:02d}"


def period_for(kind: str, now: datetime) -> str:
    return weekly_period(now) if kind in WEEKLY_KINDS else daily_period(now)


def kinds_due(now: datetime) -> tuple[str, ...]:
    """Daily kinds every day; the weekly digests on Mondays (programme time)."""
    monday = now.astimezone(programme_tz()).weekday() == 0
    return DAILY_KINDS + WEEKLY_KINDS if monday else DAILY_KINDS


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


def overdue_q(now: datetime, stages, factor: int = 1) -> Q:
    """Exporters past `factor` × their stage's SLA with no activity since entering it."""
    scaled = [SimpleNamespace(pk=s.pk, sla_days=s.sla_days * factor) for s in stages]
    return Exporter.objects.stalled_q(now, scaled)


def plan(now: datetime, kinds: tuple[str, ...]) -> list[Planned]:
    """Every reminder owed at `now` for `kinds`, one per kind + recipient + period."""
    stages = list(Stage.objects.all())
    members = list(
        StartupMember.objects.filter(removed_at__isnull=True, user__is_active=True).values_list(
            "startup_id", "user_id", "role", "user__weekly_digest", "startup__status"
        )
    )
    staff = list(
        User.objects.filter(is_active=True)
        .filter(Q(staff_role__in=[StaffRole.ADMIN, StaffRole.OFFICER]) | Q(is_superuser=True))
        .values_list("pk", "staff_role", "weekly_digest")
    )
    officers = [pk for pk, role, _ in staff if role == StaffRole.OFFICER]
    # A programme run by admins alone still hears about escalations and waiting evidence.
    chasers = officers or [pk for pk, _, _ in staff]
    planned: list[Planned] = []
    if ReminderKind.STALLED_DIGEST in kinds or ReminderKind.ESCALATION in kinds:
        stalled = list(
            Exporter.objects.filter(overdue_q(now, stages), startup__isnull=False)
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


# --- At send time ------------------------------------------------------------------


def still_stalled_q(reminder: Reminder) -> Q:
    """Nothing happened since the reminder was planned: same startup, still active, no new
    stage and no activity logged since entering it. (Time alone never un-stalls work.)"""
    quiet = Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=F("stage_entered_at"))
    return Q(status=ExporterStatus.ACTIVE, startup__isnull=False, stage_entered_at__lt=reminder.created_at) & quiet


def stalled_exporters(reminder: Reminder) -> list[Exporter]:
    """The reminder's exporters that are still stalled in the same hands, longest first."""
    exporters = reminder.exporters.filter(still_stalled_q(reminder))
    if reminder.kind == ReminderKind.STALLED_DIGEST:
        exporters = exporters.filter(startup_id=reminder.startup_id)
        is_manager = StartupMember.objects.filter(
            user_id=reminder.recipient_id,
            startup_id=reminder.startup_id,
            role=MemberRole.MANAGER,
            removed_at__isnull=True,
        ).exists()
        if not is_manager:
            exporters = exporters.filter(agent_id=reminder.recipient_id)
    return list(exporters.select_related("current_stage", "startup").order_by("stage_entered_at", "pk"))


def waiting_events(reminder: Reminder) -> list[StageEvent]:
    """Evidence on the reminder's exporters still waiting for review, oldest first."""
    return list(
        StageEvent.objects.filter(
            exporter__in=reminder.exporters.all(),
            status=StageEventStatus.SUBMITTED,
            submitted_at__lt=reminder.created_at,
        )
        .select_related("exporter__startup", "stage")
        .order_by("submitted_at", "pk")
    )
