"""In-app notices (the navbar's bell), each one also emailed through the outbox unless the
person switched notification emails off."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choice_labels import ChoiceLabels
from .startups import StartupMember


class NotificationKind(models.TextChoices):
    EXPORTERS_ASSIGNED = "exporters_assigned", _("Exporters assigned to your startup")
    EXPORTER_HANDED = "exporter_handed", _("Exporter handed to you")
    EVIDENCE_APPROVED = "evidence_approved", _("Evidence approved")
    EVIDENCE_REJECTED = "evidence_rejected", _("Evidence rejected")
    COMMISSION_APPROVED = "commission_approved", _("Commission approved")
    COMMISSION_PAID = "commission_paid", _("Commission paid")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
    EVIDENCE_WAITING = "evidence_waiting", _("Evidence waiting for review")
    DISPUTE_OPENED = "dispute_opened", _("An exporter disputes a startup's work")
    DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        """A person's own notices: nobody sees or marks another's. A notice about a startup shows
        only while the person is a member of that startup: someone removed from a team (or moved
        to another) no longer reads its news, officers' rejection notes included. One query."""
        if not user.is_authenticated:
            return self.none()
        teams = StartupMember.objects.active().filter(user=user).values("startup_id")
        return self.filter(Q(startup__isnull=True) | Q(startup__in=teams), recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(ChoiceLabels, models.Model):
    """One notice to one person about one event. `event_key` names the event ("claim-12-rejected"),
    so the same event, however often its service or job runs, makes one notice per person."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True, help_text=_("A path inside the portal"))
    # The startup the notice is about (None: programme-wide, e.g. to officers): shown only to its members.
    startup = models.ForeignKey("onboarding.Startup", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"], name="one_notification_per_event"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            # The bell's count on every page: only the unread rows are in it.
            models.Index(fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title
