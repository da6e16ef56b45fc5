from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .exporters import ExporterStatus
from .scoped import ScopedQuerySet
from .stages import StageEvent, StageEventStatus
from .startups import MemberRole


class ReminderKind(models.TextChoices):
    STALLED_DIGEST = "stalled_digest", "Stalled exporters digest"
    ESCALATION = "escalation", "Escalation to officers"
    REVIEW_WAITING = "review_waiting", "Evidence waiting for review"
    WEEKLY_STARTUP = "weekly_startup", "Weekly pipeline digest"
    WEEKLY_PROGRAMME = "weekly_programme", "Weekly programme digest"


DAILY_KINDS = (ReminderKind.STALLED_DIGEST, ReminderKind.ESCALATION, ReminderKind.REVIEW_WAITING)
WEEKLY_KINDS = (ReminderKind.WEEKLY_STARTUP, ReminderKind.WEEKLY_PROGRAMME)


def programme_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def daily_period(now: datetime) -> str:
    """The programme's calendar day of `now`, e.g. "2026-11-29" (IST, not UTC)."""
    return now.astimezone(programme_tz()).date().isoformat()


def weekly_period(now: datetime) -> str:
    """The ISO week of `now` on the programme's calendar, e.g. "2026-W48"."""
    year, week, _ = now.astimezone(programme_tz()).isocalendar()
    return f"{year}-W{week:02d}"


def kinds_due(now: datetime) -> tuple[str, ...]:
    """Daily kinds every day; the weekly digests on Mondays (programme time)."""
    monday = now.astimezone(programme_tz()).weekday() == 0
    return DAILY_KINDS + WEEKLY_KINDS if monday else DAILY_KINDS


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (work moved on)"
    FAILED = "failed", "Failed"


class ReminderQuerySet(ScopedQuerySet):
    """Staff see every reminder; a startup user sees those about their own startup."""


class Reminder(models.Model):
    """One message to one recipient for one period. The unique key makes sweeps idempotent."""

    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    startup = models.ForeignKey(
        "onboarding.Startup", null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    exporters = models.ManyToManyField("onboarding.Exporter", blank=True, related_name="reminders")
    period_key = models.CharField(max_length=20)
    channel = models.CharField(max_length=10, default="email")
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set once the send task is on the broker; a pending row without it (the broker was
    # down) or with an old one (the message was lost) is queued again by the next sweep.
    queued_at = models.DateTimeField(null=True, blank=True)
    # When a send task took the row (status "sending"); an old claim means its worker died.
    claimed_at = models.DateTimeField(null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "recipient", "period_key"], name="one_reminder_per_period"),
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"]),
            models.Index(fields=["startup", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.period_key})"

    # --- At send time: what is still worth saying ----------------------------------

    def still_stalled_q(self) -> Q:
        """Nothing happened since the reminder was planned: same startup, still active, no new
        stage and no activity logged since entering it. (Time alone never un-stalls work.)"""
        quiet = Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=F("stage_entered_at"))
        return Q(status=ExporterStatus.ACTIVE, startup__isnull=False, stage_entered_at__lt=self.created_at) & quiet

    def stalled_exporters(self) -> list:
        """The reminder's exporters that are still stalled in the same hands, longest first."""
        exporters = self.exporters.filter(self.still_stalled_q())
        if self.kind == ReminderKind.STALLED_DIGEST:
            exporters = exporters.filter(startup_id=self.startup_id)
            is_manager = (
                self.recipient.memberships.active().filter(startup_id=self.startup_id, role=MemberRole.MANAGER).exists()
            )
            if not is_manager:
                exporters = exporters.filter(agent_id=self.recipient_id)
        return list(exporters.select_related("current_stage", "startup").order_by("stage_entered_at", "pk"))

    def waiting_events(self) -> list:
        """Evidence on the reminder's exporters still waiting for review, oldest first."""
        return list(
            StageEvent.objects.filter(
                exporter__in=self.exporters.all(),
                status=StageEventStatus.SUBMITTED,
                submitted_at__lt=self.created_at,
            )
            .select_related("exporter__startup", "stage")
            .order_by("submitted_at", "pk")
        )
