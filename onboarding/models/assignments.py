from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choice_labels import ChoiceLabels
from .scoped import ScopedQuerySet
from .startups import Startup
from .users import User


class AssignedHow(models.TextChoices):
    MANUAL = "manual", _("Manual")
    AUTO = "auto", _("Automatic")


class EndReason(models.TextChoices):
    REASSIGNED = "reassigned", _("Reassigned")
    DECLINED = "declined", _("Declined by the startup")
    STARTUP_EXITED = "startup_exited", _("Startup suspended or exited")
    EXPORTER_DROPPED = "exporter_dropped", _("Exporter dropped")
    UNASSIGNED = "unassigned", _("Returned to the pool")


# What an exporter's page shows of an assignment (its panel and timeline): the startup, when,
# how, why and by whom it began, and when, why and by whom it ended.
PAGE_FIELDS = (
    *("exporter", *Startup.shown_as("startup"), "assigned_at", "how", "why", *User.shown_as("assigned_by")),
    *("ended_at", "end_reason", "end_note", *User.shown_as("ended_by")),
)


class AssignmentQuerySet(ScopedQuerySet):
    """A startup sees the assignments it held, open and ended: what it did, even for an
    exporter it no longer has."""

    def open(self) -> AssignmentQuerySet:
        """Assignments in force: at most one per exporter (a database constraint)."""
        return self.filter(ended_at__isnull=True)

    def ended(self) -> AssignmentQuerySet:
        return self.filter(ended_at__isnull=False)

    def for_page(self) -> AssignmentQuerySet:
        """Newest first, with the startup and the people an exporter's page names, and only the
        columns it shows of them (their whole rows were 76 columns)."""
        rows = self.select_related("startup", "assigned_by", "ended_by").only(*PAGE_FIELDS)
        return rows.order_by("-assigned_at", "-pk")


class Assignment(ChoiceLabels, models.Model):
    """Who works an exporter, from when to when, and why. Never deleted."""

    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.PROTECT, related_name="assignments")
    # Indexed first in (startup, ended_at) below.
    startup = models.ForeignKey(
        "onboarding.Startup", on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()
    how = models.CharField(max_length=10, choices=AssignedHow.choices, default=AssignedHow.MANUAL)
    why = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.TextField(blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exporter"], condition=Q(ended_at__isnull=True), name="one_open_assignment_per_exporter"
            ),
        ]
        indexes = [models.Index(fields=["startup", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.exporter} → {self.startup}"
