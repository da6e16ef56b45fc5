"""Payout runs: the month to pay and the bank reference of each startup's transfer."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils import timezone

MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
# NEFT UTRs are 16 characters, RTGS 22, IMPS references 12 digits: letters and digits only.
UTR_RE = re.compile(r"[A-Z0-9]{12,22}")


class PayoutRunForm(forms.Form):
    period = forms.CharField(
        label="Month to pay",
        help_text="Approved commissions accrued up to the end of this month are gathered.",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )

    def clean_period(self) -> date:
        match = MONTH_RE.fullmatch(self.cleaned_data["period"].strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise forms.ValidationError("Choose a month, e.g. 2026-11 for November 2026.")
        period = date(int(match[1]), int(match[2]), 1)
        if period > timezone.localdate().replace(day=1):
            raise forms.ValidationError("That month has not started yet: choose this month or an earlier one.")
        return period


class PayoutPayForm(forms.Form):
    payment_reference = forms.CharField(label="UTR of the transfer", max_length=30)

    def clean_payment_reference(self) -> str:
        reference = re.sub(r"\s+", "", self.cleaned_data["payment_reference"]).upper()
        if not UTR_RE.fullmatch(reference):
            raise forms.ValidationError("A UTR is 12 to 22 letters and digits (NEFT 16, RTGS 22, IMPS 12).")
        return reference
