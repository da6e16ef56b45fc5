"""Tax on commission as dated data: TDS (deducted before paying) and GST (added to the
invoice of a GST-registered payee). A change in the law is a new row, not a code change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..validators import clean_gstin, clean_pan
from .choice_labels import ChoiceLabels

RUPEE, PAISA, HUNDRED = Decimal("1"), Decimal("0.01"), Decimal("100")
NONE = Decimal("0.00")


class TaxKind(models.TextChoices):
    TDS = "tds", _("TDS (deducted)")
    GST = "gst", _("GST (added)")


class TaxRuleQuerySet(models.QuerySet):
    def in_force(self, kind: str, day: date) -> TaxRule | None:
        """The rule of `kind` that applies on `day`, if any."""
        return (
            self.filter(kind=kind, effective_from__lte=day)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
            .order_by("-effective_from")
            .first()
        )


class TaxRule(ChoiceLabels, models.Model):
    """One rate for one period. Periods of one kind never overlap (checked on every save
    through admin), so a day has at most one rule of each kind."""

    kind = models.CharField(max_length=3, choices=TaxKind.choices)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)
    no_pan_rate = models.DecimalField(
        _("rate without a valid PAN (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    threshold = models.DecimalField(
        _("threshold per financial year (₹)"),
        max_digits=12,
        decimal_places=2,
        default=NONE,
        help_text=_("TDS applies once the payee's commission in a financial year exceeds this."),
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text=_("Leave empty while the rule is in force."))
    legal_reference = models.CharField(max_length=200)
    history = HistoricalRecords()

    objects = TaxRuleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=100), name="tax_rule_rate_is_a_percentage"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="tax_rule_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        until = f" to {self.effective_to:%d %b %Y}" if self.effective_to else ""
        return f"{self.get_kind_display()} {self.rate}% from {self.effective_from:%d %b %Y}{until}"

    def clean(self) -> None:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("The rule ends before it starts.")})
        if self.kind == TaxKind.TDS and self.no_pan_rate is None:
            raise ValidationError({"no_pan_rate": _("A TDS rule needs the rate for a payee without a valid PAN.")})
        if not self.kind or not self.effective_from:
            return
        others = TaxRule.objects.filter(kind=self.kind).exclude(pk=self.pk)
        overlapping = others.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
        if self.effective_to:
            overlapping = overlapping.filter(effective_from__lte=self.effective_to)
        if clash := overlapping.first():
            raise ValidationError(
                {
                    "effective_from": _("This period overlaps “%(rule)s”: end that rule first (set its end date).")
                    % {"rule": clash}
                }
            )


def financial_year(day: date) -> tuple[date, date]:
    """The Indian financial year (1 April to 31 March) that holds `day`."""
    start = date(day.year if day.month >= 4 else day.year - 1, 4, 1)
    return start, date(start.year + 1, 3, 31)


def has_valid(clean, value: str) -> bool:
    try:
        clean(value)
    except ValidationError:
        return False
    return bool(value)


@dataclass(frozen=True)
class Taxes:
    """A payout's figures: what was earned (gross), the TDS deducted and the amount it was
    reckoned on, the GST added, and what the bank pays (net)."""

    gross: Decimal
    tds: Decimal = NONE
    tds_base: Decimal = NONE
    tds_rate: Decimal | None = None
    gst: Decimal = NONE
    gst_rate: Decimal | None = None

    @property
    def net(self) -> Decimal:
        return self.gross + self.gst - self.tds


def reckon_taxes(*, gross: Decimal, day: date, pan: str, gstin: str, earlier: Decimal, untaxed: Decimal) -> Taxes:
    """The taxes on a payment of `gross` on `day` to a payee with `pan` and `gstin`.

    `earlier` is what the payee was paid (or is being paid) before in the same financial year,
    `untaxed` the part of it no TDS was deducted on. Once the year's total exceeds the
    threshold, TDS is deducted on this payment and on that untaxed part (s.194H: the whole
    amount, not the excess), rounded to the rupee and never more than this payment. TDS is
    reckoned on the commission without GST; GST is 2-decimal rupees on the commission."""
    tds_rule = TaxRule.objects.in_force(TaxKind.TDS, day)
    gst_rule = TaxRule.objects.in_force(TaxKind.GST, day) if has_valid(clean_gstin, gstin) else None
    tds = tds_base = NONE
    tds_rate = None
    if tds_rule is not None and earlier + gross > tds_rule.threshold:
        tds_rate = tds_rule.rate if has_valid(clean_pan, pan) else (tds_rule.no_pan_rate or tds_rule.rate)
        tds_base = gross + max(untaxed, NONE)
        tds = min((tds_base * tds_rate / HUNDRED).quantize(RUPEE, ROUND_HALF_UP), gross).quantize(PAISA)
    gst = (gross * gst_rule.rate / HUNDRED).quantize(PAISA, ROUND_HALF_UP) if gst_rule else NONE
    return Taxes(
        gross=gross,
        tds=tds,
        tds_base=tds_base,
        tds_rate=tds_rate,
        gst=gst,
        gst_rate=gst_rule.rate if gst_rule else None,
    )
