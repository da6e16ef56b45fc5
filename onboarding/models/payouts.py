"""Payout runs: approved commissions gathered per month and paid per startup with one UTR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .scoped import ScopedQuerySet


class PayoutRunQuerySet(models.QuerySet):
    def for_list(self) -> PayoutRunQuerySet:
        """Runs newest first, with their overall total and how many startups are still unpaid."""
        return (
            self.select_related("created_by")
            .annotate(
                total=models.Sum("payouts__amount"),
                startups=models.Count("payouts"),
                unpaid=models.Count("payouts", filter=Q(payouts__paid_at__isnull=True)),
            )
            .order_by("-period", "-pk")
        )


class PayoutRun(models.Model):
    """A month's payout: every approved, unpaid commission up to the month's end, per startup."""

    period = models.DateField(help_text="The first day of the month paid")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = PayoutRunQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(period__day=1), name="payout_run_period_is_a_month")]

    def __str__(self) -> str:
        return f"Payout run {self.pk} · {self.period_label}"

    def get_absolute_url(self) -> str:
        return reverse("onboarding:payout-run", args=[self.pk])

    @property
    def period_label(self) -> str:
        return self.period.strftime("%B %Y")


class PayoutQuerySet(ScopedQuerySet):
    def for_list(self) -> PayoutQuerySet:
        return self.select_related("run", "startup", "paid_by").order_by(
            "-run__period", "-run_id", "startup__legal_name"
        )


class Payout(models.Model):
    """One startup's share of a run: its lines, their net total and, once paid, the one UTR.

    Paid once (a conditional update on `paid_at`), never edited after: a correction is a
    reversal, which lands in a later run."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    payment_reference = models.CharField("payment reference (UTR)", max_length=30, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    objects = PayoutQuerySet.as_manager()

    class Meta:
        ordering = ["startup__legal_name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "startup"], name="one_payout_per_startup_and_run"),
            # A bank reference names one transfer: it cannot pay two startups or two runs.
            models.UniqueConstraint(
                fields=["payment_reference"], condition=~Q(payment_reference=""), name="payout_reference_used_once"
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True, payment_reference="")
                | (Q(paid_at__isnull=False) & ~Q(payment_reference="")),
                name="payout_paid_with_a_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.startup} · {self.run.period_label}"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    def statement_name(self, kind: str) -> str:
        return f"payout-{self.run.period:%Y-%m}-{self.startup.dpiit_number}.{kind}"


class PayoutLine(models.Model):
    """A commission (or a reversal) in a payout. The unique commission is the guard that no
    ledger entry is ever paid twice, whatever runs overlap or race."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="lines")
    commission = models.OneToOneField("onboarding.Commission", on_delete=models.PROTECT, related_name="payout_line")
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.commission} in {self.payout}"


def month_end(period: date) -> date:
    """The first day of the month after `period`."""
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)


ZERO = Decimal("0.00")
