"""Payout runs: the month to pay and the bank reference of each startup's transfer."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..validators import clean_utr

MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


class PayoutRunForm(forms.Form):
    period = forms.CharField(
        label=_("Month to pay"),
        help_text=_("Approved commissions accrued up to the end of this month are gathered."),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )

    def clean_period(self) -> date:
        match = MONTH_RE.fullmatch(self.cleaned_data["period"].strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise forms.ValidationError(_("Choose a month, e.g. 2026-11 for November 2026."))
        period = date(int(match[1]), int(match[2]), 1)
        if period > timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("That month has not started yet: choose this month or an earlier one."))
        return period


class PayoutPayForm(forms.Form):
    payment_reference = forms.CharField(label=_("UTR of the transfer"), max_length=30)

    def clean_payment_reference(self) -> str:
        return clean_utr(self.cleaned_data["payment_reference"])


class BankResponseForm(forms.Form):
    response = forms.FileField(
        label=_("The bank's response file"),
        help_text=_(
            "CSV or Excel, one line per payout: Customer reference (or account number), Amount, UTR, "
            "Status (paid or failed), optionally Reason and Payment date."
        ),
    )


class TdsYearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Financial year starting in"),
        min_value=2017,
        max_value=2100,
        help_text=_("2025 is April 2025 to March 2026."),
    )
