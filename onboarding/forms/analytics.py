"""The analytics pages' filters (from the query string) and the monthly report's month."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Sector, Stage, Startup
from ..reference import STATE_CHOICES
from .fields import IdModelChoiceField

MONTH_INPUT = {"type": "month", "class": "form-control form-control-sm"}
MOST_MONTHS = 36
BY_CHOICES = [
    ("", gettext_lazy("No split")),
    ("startup", gettext_lazy("Startup")),
    ("state", gettext_lazy("State")),
    ("sector", gettext_lazy("Sector")),
    ("msme", gettext_lazy("MSME category")),
]


def parse_month(value: str) -> date:
    """A "YYYY-MM" month (what <input type=month> sends) as its first day."""
    try:
        year, month = (int(part) for part in value.strip().split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError) as error:
        raise ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-09.")) from error


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs=MONTH_INPUT)

    def to_python(self, value):
        value = super().to_python(value)
        return parse_month(value) if value else None

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


def months_before(month: date, count: int) -> date:
    for _step in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


class AnalyticsFilterForm(forms.Form):
    """Period (cohort months), one slice (a state, sector or startup) and, where a page has them,
    the stage and the split. An invalid filter is shown beside its field; the page falls back to
    the defaults."""

    start = MonthField(label=gettext_lazy("From month"), required=False)
    end = MonthField(label=gettext_lazy("To month"), required=False)
    state = forms.ChoiceField(
        label=gettext_lazy("State"), choices=[("", gettext_lazy("Any")), *STATE_CHOICES], required=False
    )
    sector = IdModelChoiceField(
        label=gettext_lazy("Sector"), queryset=Sector.objects.all(), required=False, empty_label=gettext_lazy("Any")
    )
    startup = IdModelChoiceField(
        label=gettext_lazy("Startup"), queryset=Startup.objects.all(), required=False, empty_label=gettext_lazy("Any")
    )
    stage = forms.ChoiceField(label=gettext_lazy("Stage"), required=False)
    by = forms.ChoiceField(label=gettext_lazy("Split by"), choices=BY_CHOICES, required=False)

    def __init__(self, *args, stages: list[Stage], **kwargs):
        super().__init__(*args, **kwargs)
        self.stages = stages
        self.fields["stage"].choices = [(s.code, s.name) for s in stages]
        for name in ("state", "sector", "startup", "stage", "by"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def clean(self):
        data = super().clean()
        today_month = timezone.localdate().replace(day=1)
        end = data.get("end") or today_month
        start = data.get("start") or months_before(end, 11)
        if start > end:
            self.add_error("start", _("The first month must come before the last."))
        elif months_before(end, MOST_MONTHS - 1) > start:
            self.add_error("start", _("Choose at most %(count)s months.") % {"count": MOST_MONTHS})
        chosen = [name for name in ("state", "sector", "startup") if data.get(name)]
        if len(chosen) > 1:
            raise ValidationError(_("Filter by one of state, sector or startup at a time."))
        data["start"], data["end"] = start, end
        return data

    def scope_values(self) -> dict:
        """Scope keywords from valid filters, or the defaults (last 12 months, whole programme)."""
        end = timezone.localdate().replace(day=1)
        values = {"start": months_before(end, 11), "end": end, "dimension": "all", "key": "", "by": ""}
        if not self.is_valid():
            return values
        data = self.cleaned_data
        values.update(start=data["start"], end=data["end"], by=data.get("by") or "")
        if data.get("stage"):
            values["stage"] = data["stage"]
        for name, dimension in (("state", "state"), ("sector", "sector"), ("startup", "startup")):
            if data.get(name):
                values["dimension"], values["key"] = dimension, str(getattr(data[name], "pk", data[name]))
        return values


class MonthlyReportForm(forms.Form):
    month = MonthField(label=gettext_lazy("Month"), help_text=gettext_lazy("A finished month, e.g. 2026-10."))
