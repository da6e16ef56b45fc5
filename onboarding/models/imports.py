from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choice_labels import ChoiceLabels


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting to be read")  # stored by the upload request; a worker reads it
    READING = "reading", _("Reading the file")
    VALIDATING = "validating", _("Checking the rows")
    PREVIEW = "preview", _("Ready to commit")
    COMMITTING = "committing", _("Committing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


# A batch a person may still throw away: nothing of it has been written.
DISCARDABLE = (ImportStatus.UPLOADED, ImportStatus.PREVIEW)


class RowOutcome(models.TextChoices):
    NEW = "new", _("New")
    UPDATE = "update", _("Update")
    UNCHANGED = "unchanged", _("Unchanged")
    ERROR = "error", _("Error")


class ImportBatch(ChoiceLabels, models.Model):
    """One uploaded exporter file, its validation report and what it wrote."""

    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    all_or_nothing = models.BooleanField(default=False)
    # Off: a row's products and target markets are added to the exporter's own; on: they replace them.
    replace_lists = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    update_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}]")
    message = models.TextField(blank=True)
    # Who threw the batch away, and when: the audit of a discard (nothing else of it changes).
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    # The broker refused the check's task then (Redis was down): the file is kept, and the
    # import recovery (every minute from beat) queues the check once the broker is back.
    waiting_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class ImportRow(ChoiceLabels, models.Model):
    """One row of a batch's preview: what committing it would do, with the changes of an update."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text=_("As the spreadsheet numbers it"))
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    gstin = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=list, blank=True, help_text="[[field label, old, new]] for an update")
    messages = models.JSONField(default=list, blank=True, help_text="[[column, message]] for an error")

    class Meta:
        ordering = ["batch", "number"]
        indexes = [models.Index(fields=["batch", "outcome", "number"])]

    def __str__(self) -> str:
        return f"row {self.number}: {self.get_outcome_display()}"
