from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choice_labels import ChoiceLabels
from .scoped import ScopedQuerySet


class CommissionRule(models.Model):
    """What a startup earns when an exporter reaches a stage, in INR, for a period."""

    stage = models.ForeignKey("onboarding.Stage", on_delete=models.PROTECT, related_name="commission_rules")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    active_from = models.DateField()
    active_to = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["stage__order", "-active_from"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="commission_rule_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return f"₹{self.amount} for {self.stage}"


class CommissionStatus(models.TextChoices):
    ACCRUED = "accrued", _("Accrued")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")


class StatusTotals(ScopedQuerySet):
    def totals(self) -> dict[str, Decimal]:
        """Net amount per status (reversals included), plus the overall net: one grouped query."""
        sums = dict(self.order_by().values_list("status").annotate(total=Sum("amount")))
        totals = {status: sums.get(status) or Decimal("0") for status in CommissionStatus.values}
        totals["net"] = sum(totals.values(), Decimal("0"))
        return totals


class CommissionQuerySet(StatusTotals):
    def for_list(self) -> CommissionQuerySet:
        return self.select_related("startup", "exporter", "stage")


class Commission(ChoiceLabels, models.Model):
    """A ledger entry. Corrections are reversing entries (negative amounts), never edits."""

    # Indexed first in (startup, created_at, id) below.
    startup = models.ForeignKey(
        "onboarding.Startup", on_delete=models.PROTECT, related_name="commissions", db_index=False
    )
    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.PROTECT, related_name="commissions")
    stage = models.ForeignKey("onboarding.Stage", on_delete=models.PROTECT, related_name="+")
    stage_event = models.ForeignKey("onboarding.StageEvent", null=True, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(CommissionRule, null=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=CommissionStatus.choices, default=CommissionStatus.ACCRUED)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=80, blank=True)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = CommissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "id"]),  # the statement's order
            models.Index(fields=["startup", "created_at", "id"]),
            models.Index(fields=["amount", "id"]),  # `?sort=amount`, either way, read off the index
        ]
        constraints = [
            # Exactly one accrual per exporter and stage, however often it is approved.
            models.UniqueConstraint(
                fields=["exporter", "stage"], condition=Q(reverses__isnull=True), name="one_accrual_per_exporter_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"₹{self.amount} · {self.exporter} · {self.stage}"


class CommissionTotal(ChoiceLabels, models.Model):
    """The net amount of one startup's commissions in one status, kept by a PostgreSQL trigger
    on every insert, update and delete of commissions (migration 0024), whoever writes it: a
    statement's totals add up a few of these rows instead of the whole ledger (38 ms for 236,000
    commissions). Elsewhere (SQLite) nothing fills it and totals are summed from the ledger."""

    # Indexed first in the unique (startup, status) below.
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.CASCADE, related_name="+", db_index=False)
    status = models.CharField(max_length=10, choices=CommissionStatus.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    objects = StatusTotals.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["startup", "status"], name="one_total_per_startup_status")]

    def __str__(self) -> str:
        return f"{self.startup}: ₹{self.amount} {self.get_status_display().lower()}"
