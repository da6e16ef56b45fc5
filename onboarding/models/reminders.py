from __future__ import annotations

from django.conf import settings
from django.db import models

from .scoped import ScopedQuerySet


class ReminderKind(models.TextChoices):
    STALLED_DIGEST = "stalled_digest", "Stalled exporters digest"
    ESCALATION = "escalation", "Escalation to officers"
    REVIEW_WAITING = "review_waiting", "Evidence waiting for review"
    WEEKLY_STARTUP = "weekly_startup", "Weekly pipeline digest"
    WEEKLY_PROGRAMME = "weekly_programme", "Weekly programme digest"


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
