from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choice_labels import ChoiceLabels
from .files import PrivateFileMixin, PrivateUploadPath
from .scoped import ScopedQuerySet


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    TRAINING = "training", _("Training")
    DOCUMENTS = "documents", _("Documents")
    PHOTOGRAPHY = "photography", _("Photography")
    LISTING = "listing", _("Listing work")
    BUYER_REPLY = "buyer_reply", _("Buyer reply")
    OTHER = "other", _("Other")


class ContactOutcome(models.TextChoices):
    """How a call or visit went: only a reached contact counts as contact (docs/domain.md)."""

    REACHED = "reached", _("Reached: we spoke")
    NO_ANSWER = "no_answer", _("No answer")
    CALL_BACK = "call_back", _("Busy: asked to call back")
    WRONG_NUMBER = "wrong_number", _("Wrong number or address")
    UNREACHABLE = "unreachable", _("Switched off or unreachable")
    DECLINED = "declined", _("Declined to talk")


# The kinds of work that record an outcome: the ones that claim to have reached the exporter.
OUTCOME_KINDS = (ActivityKind.CALL, ActivityKind.VISIT)
# How a call or visit logged before outcomes were recorded reads (its outcome is blank).
OUTCOME_NOT_RECORDED = _("outcome not recorded")


class ActivityQuerySet(ScopedQuerySet):
    def for_list(self) -> ActivityQuerySet:
        return self.select_related("exporter", "startup", "user")


class Activity(ChoiceLabels, PrivateFileMixin, models.Model):
    """One entry in a startup's work log."""

    # Led by (startup, occurred_at) and (exporter, occurred_at) below; a single-column index
    # each would only cost writes and a minute of index building at ten million entries.
    startup = models.ForeignKey(
        "onboarding.Startup", on_delete=models.PROTECT, related_name="activities", db_index=False
    )
    exporter = models.ForeignKey(
        "onboarding.Exporter", on_delete=models.CASCADE, related_name="activities", db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Calls and visits only; blank for other work and for calls and visits logged before
    # outcomes were recorded, which therefore never count as reached.
    outcome = models.CharField(max_length=20, choices=ContactOutcome.choices, blank=True, default="", db_default="")
    note = models.TextField(blank=True)
    attachment = models.FileField(upload_to=PrivateUploadPath("activities"), blank=True)
    # db_default too: bulk loads (COPY) that name only the older columns still get "".
    attachment_name = models.CharField(_("file name"), max_length=255, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()
    file_field, file_name_field, download_route = "attachment", "attachment_name", "onboarding:file-activity"

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["occurred_at", "id"]),  # the work log's default order
            models.Index(fields=["exporter", "occurred_at"]),
            models.Index(fields=["startup", "occurred_at"]),
            # `?sort=kind`, either way (kind, then id): 0.7 ms at ten million entries, where a
            # (kind, occurred_at, id) index left 4.3 s of sorting and took twice as long to build.
            # Filtered by kind, the log walks (occurred_at, id) instead: every kind is common.
            models.Index(fields=["kind", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.exporter} on {self.occurred_at:%d %b %Y}"

    @property
    def reached(self) -> bool:
        return self.kind in OUTCOME_KINDS and self.outcome == ContactOutcome.REACHED

    @property
    def outcome_words(self) -> str:
        """The outcome as people read it: empty for work that has none."""
        if self.kind not in OUTCOME_KINDS:
            return ""
        return self.get_outcome_display() if self.outcome else OUTCOME_NOT_RECORDED
