"""Payout runs: approved commissions gathered per month and paid per startup with one UTR,
through the bank's bulk-payment file and its response file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import TruncQuarter
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .scoped import ScopedQuerySet

ZERO = Decimal("0.00")


class PayoutRunQuerySet(models.QuerySet):
    def for_list(self) -> PayoutRunQuerySet:
        """Runs newest first, with their overall total and how many startups are still unpaid."""
        return (
            self.select_related("created_by")
            .annotate(
                total=models.Sum("payouts__amount"),
                startups=models.Count("payouts"),
                unpaid=models.Count(
                    "payouts", filter=Q(payouts__paid_at__isnull=True, payouts__failed_at__isnull=True)
                ),
            )
            .order_by("-period", "-pk")
        )


class PayoutRun(models.Model):
    """A month's payout: every approved, unpaid commission up to the month's end, per startup."""

    period = models.DateField(help_text=_("The first day of the month paid"))
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
        return date_format(self.period, "F Y")  # month names in the reader's language


# A payout waits while its startup has no bank details, or details no second admin confirmed.
HELD = Q(startup__bank_account__isnull=True) | Q(startup__bank_account__confirmed_at__isnull=True)


class PayoutQuerySet(ScopedQuerySet):
    def for_list(self) -> PayoutQuerySet:
        return self.select_related("run", "startup", "paid_by").order_by(
            "-run__period", "-run_id", "startup__legal_name"
        )

    def pending(self) -> PayoutQuerySet:
        """Neither paid nor reported failed by the bank."""
        return self.filter(paid_at__isnull=True, failed_at__isnull=True)

    def held(self) -> PayoutQuerySet:
        return self.pending().filter(HELD)

    def for_bank_file(self) -> PayoutQuerySet:
        """What the bank is asked to pay: pending payouts to confirmed bank details."""
        return self.pending().exclude(HELD).select_related("startup__bank_account", "run").order_by("pk")

    def reckoned_in_year(self, *, startup_id: int, start: date, end: date) -> tuple[Decimal, Decimal]:
        """A payee's payouts of a financial year that stand (paid or pending): their gross and
        the part of it TDS was already reckoned on."""
        sums = self.filter(startup_id=startup_id, tax_date__range=(start, end), failed_at__isnull=True).aggregate(
            gross=Sum("amount"), base=Sum("tds_base")
        )
        return sums["gross"] or ZERO, sums["base"] or ZERO

    def tds_by_quarter(self, *, start: date, end: date):
        """Paid payouts of a financial year per payee and quarter (by payment date): amounts paid
        and TDS deducted, for the quarterly TDS return. One grouped query."""
        return (
            self.filter(paid_at__date__range=(start, end))
            .annotate(quarter=TruncQuarter("paid_at"))
            .values(
                "startup_id",
                "startup__legal_name",
                "startup__dpiit_number",
                "startup__pan",
                "startup__bank_account__pan",
                "quarter",
            )
            .annotate(paid=Sum("amount"), tds=Sum("tds"), payouts=models.Count("pk"))
            .order_by("startup__legal_name", "startup_id", "quarter")
        )


class Payout(models.Model):
    """One startup's share of a run: its lines, their net total and, once paid, the one UTR.

    Paid once (a conditional update on `paid_at`), never edited after: a correction is a
    reversal, which lands in a later run."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    payment_reference = models.CharField(_("payment reference (UTR)"), max_length=30, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The taxes, reckoned when the run is made (the day it is meant to be paid) from the
    # TaxRule rows in force then; `amount` is the gross commission.
    tax_date = models.DateField(null=True, blank=True)
    tds = models.DecimalField(_("TDS"), max_digits=12, decimal_places=2, default=ZERO)
    tds_base = models.DecimalField(_("amount TDS was reckoned on"), max_digits=14, decimal_places=2, default=ZERO)
    tds_rate = models.DecimalField(_("TDS rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    gst = models.DecimalField(_("GST"), max_digits=12, decimal_places=2, default=ZERO)
    gst_rate = models.DecimalField(_("GST rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    net = models.DecimalField(_("net paid"), max_digits=14, decimal_places=2, default=ZERO)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
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
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(failed_at__isnull=True), name="payout_paid_or_failed_not_both"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.startup} · {self.run.period_label}"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def is_failed(self) -> bool:
        return self.failed_at is not None

    @property
    def is_held(self) -> bool:
        """Pending, and its startup has no bank details or none a second admin confirmed."""
        account = getattr(self.startup, "bank_account", None)
        return not (self.is_paid or self.is_failed) and (account is None or not account.is_confirmed)

    @property
    def reference(self) -> str:
        """The customer reference the bank file gives this payout, and its response names."""
        return f"PAYOUT-{self.pk}"

    def statement_name(self, kind: str) -> str:
        return f"payout-{self.run.period:%Y-%m}-{self.startup.dpiit_number}.{kind}"


class PayoutLine(models.Model):
    """A commission (or a reversal) in a payout. A commission is in one live line at most (a
    unique constraint): the guard that no ledger entry is ever paid twice, whatever runs
    overlap or race. A failed payout's lines are released, so their commissions go to the next run."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="lines")
    commission = models.ForeignKey("onboarding.Commission", on_delete=models.PROTECT, related_name="payout_lines")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    released = models.BooleanField(
        default=False, help_text=_("The bank failed the payout: the line waits for a new run.")
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["commission"], condition=Q(released=False), name="commission_in_one_live_payout"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commission} in {self.payout}"


def payee_ids(startup) -> tuple[str, str]:
    """The payee's PAN and GSTIN, which its taxes follow: each from its bank details, else the startup's record."""
    account = getattr(startup, "bank_account", None)
    if account is None:
        return startup.pan, startup.gstin
    return account.pan or startup.pan, account.gstin or startup.gstin


def month_end(period: date) -> date:
    """The first day of the month after `period`."""
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)
