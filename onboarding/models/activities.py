from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from .files import PrivateUploadPath, display_name, file_kind
from .scoped import ScopedQuerySet


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    VISIT = "visit", "Visit"
    TRAINING = "training", "Training"
    DOCUMENTS = "documents", "Documents"
    PHOTOGRAPHY = "photography", "Photography"
    LISTING = "listing", "Listing work"
    BUYER_REPLY = "buyer_reply", "Buyer reply"
    OTHER = "other", "Other"


class ActivityQuerySet(ScopedQuerySet):
    def for_list(self) -> ActivityQuerySet:
        return self.select_related("exporter", "startup", "user")


class Activity(models.Model):
    """One entry in a startup's work log."""

    startup = models.ForeignKey("onboarding.Startup", on_delete=models.PROTECT, related_name="activities")
    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.CASCADE, related_name="activities")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    attachment = models.FileField(upload_to=PrivateUploadPath("activities"), blank=True)
    # db_default too: bulk loads (COPY) that name only the older columns still get "".
    attachment_name = models.CharField("file name", max_length=255, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["occurred_at", "id"]),  # the work log's default order
            models.Index(fields=["exporter", "occurred_at"]),
            models.Index(fields=["startup", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.exporter} on {self.occurred_at:%d %b %Y}"

    @property
    def file_name(self) -> str:
        return display_name(self.attachment.name, self.attachment_name) if self.attachment else ""

    @property
    def file_kind(self) -> str:
        return file_kind(self.attachment.name) if self.attachment else ""

    @property
    def download_url(self) -> str:
        """The protected download of the attachment ("" without one)."""
        return reverse("onboarding:file-activity", args=[self.pk]) if self.attachment else ""
