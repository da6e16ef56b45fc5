"""Commission rules and reversals (payments are made through payout runs)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import CommissionRule
from .fields import IdModelChoiceField


class CommissionRuleForm(forms.ModelForm):
    amount = forms.DecimalField(label=_("Amount (₹)"), min_value=0, max_digits=12, decimal_places=2)

    class Meta:
        model = CommissionRule
        fields = ["stage", "amount", "active_from", "active_to"]
        field_classes = {"stage": IdModelChoiceField}
        labels = {"stage": _("Stage"), "active_from": _("Active from"), "active_to": _("Active to")}
        widgets = {
            "active_from": forms.DateInput(attrs={"type": "date"}),
            "active_to": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            self.add_error("active_to", _("The end date is before the start date."))
        return data


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=500, label=_("Reason for the reversal"))
