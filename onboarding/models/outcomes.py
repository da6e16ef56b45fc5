"""The programme's outcome figures: facts kept from events, summaries the pages read, and the
frozen monthly packs.

Pages never scan assignments or stage events: a refresh (Celery, every 10 minutes) keeps one
`ExporterJourney` per assignment spell and rewrites the small `OutcomeSummary` table, whose
rows hold day histograms, so medians and percentiles of any run of cohorts are exact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choice_labels import ChoiceLabels
from .files import PrivateUploadPath

# Raise it by hand whenever what the journeys or the summary rows hold changes (a figure added,
# renamed or counted differently): the next refresh then rebuilds everything, and until it has,
# the pages read no summary rows of the older version (they say the figures are not computed).
OUTCOMES_VERSION = 1


class ExporterJourney(models.Model):
    """One assignment spell as the analytics read it: who, where, when each stage was reached."""

    assignment = models.OneToOneField("onboarding.Assignment", on_delete=models.CASCADE, related_name="+")
    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.CASCADE, related_name="+")
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=2)
    sector = models.ForeignKey("onboarding.Sector", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    msme_category = models.CharField(max_length=10, blank=True)
    cohort = models.DateField(help_text=_("First day of the month of assignment (India time)"))
    assigned_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    # Stage code -> ISO date (India time) it was first reached in this spell; reaching a later
    # stage counts as reaching the ones it skipped.
    reached = models.JSONField(default=dict, blank=True)
    first_inquiry_on = models.DateField(null=True, blank=True)
    inquiry_country = models.CharField(max_length=2, blank=True)
    first_order_on = models.DateField(null=True, blank=True)
    order_country = models.CharField(max_length=2, blank=True)
    order_value_usd = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["exporter"]), models.Index(fields=["cohort"])]

    def __str__(self) -> str:
        return f"Journey of exporter {self.exporter_id} with startup {self.startup_id}"


class SummaryKind(models.TextChoices):
    MILESTONE = "milestone", _("Days from assignment to a stage")
    DWELL = "dwell", _("Days spent in a stage")
    TREND = "trend", _("Weekly movement")
    OUTCOME = "outcome", _("Inquiries and orders")
    SCORECARD = "scorecard", _("Startup scorecard")


class OutcomeSummaryQuerySet(models.QuerySet):
    def slice(self, kind: str, dimension: str, key: str = "") -> OutcomeSummaryQuerySet:
        return self.filter(kind=kind, dimension=dimension, key=key)


class OutcomeSummary(ChoiceLabels, models.Model):
    """A pre-aggregated figure for one slice (all, a startup, state, sector or MSME category),
    period (cohort month, week or month) and stage. Rewritten whole by each refresh."""

    kind = models.CharField(max_length=10, choices=SummaryKind.choices)
    dimension = models.CharField(max_length=10)
    key = models.CharField(max_length=40, blank=True)
    period = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=48, blank=True)
    figures = models.JSONField(default=dict)

    objects = OutcomeSummaryQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["kind", "dimension", "key", "stage", "period"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.dimension}={self.key} {self.period} {self.stage}"


class OutcomeRefresh(models.Model):
    """When the summaries were last rebuilt (one row): the "as of" every analytics page shows."""

    as_of = models.DateTimeField()
    full_at = models.DateTimeField(null=True, blank=True)
    # The OUTCOMES_VERSION of the code that wrote the figures; 0: before versions.
    version = models.PositiveSmallIntegerField(default=0)
    journeys = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"Figures as of {self.as_of:%Y-%m-%d %H:%M}"

    @property
    def current(self) -> bool:
        """Whether the figures were written by this code's OUTCOMES_VERSION (else they are stale)."""
        return self.version == OUTCOMES_VERSION


class MonthlyReportQuerySet(models.QuerySet):
    def listed(self) -> MonthlyReportQuerySet:
        """Newest month first, newest version first, each marked `superseded` when a later version exists."""
        later = MonthlyReport.objects.filter(month=models.OuterRef("month"), version__gt=models.OuterRef("version"))
        return self.annotate(superseded=models.Exists(later)).select_related("built_by").order_by("-month", "-version")


class MonthlyReport(models.Model):
    """A month's figures frozen as XLSX and PDF files. Never changed: a rebuild is a new version."""

    month = models.DateField(help_text=_("First day of the month reported"))
    version = models.PositiveSmallIntegerField()
    built_at = models.DateTimeField()
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    xlsx = models.FileField(upload_to=PrivateUploadPath("reports"))
    pdf = models.FileField(upload_to=PrivateUploadPath("reports"))
    xlsx_sha256 = models.CharField(_("XLSX SHA-256"), max_length=64)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    seconds = models.FloatField(default=0)

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="one_monthly_report_per_version"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="monthly_report_version_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%B %Y} v{self.version}"

    def file_name(self, kind: str) -> str:
        return f"programme-report-{self.month:%Y-%m}-v{self.version}.{kind}"
