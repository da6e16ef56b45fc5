"""The analytics pages' filters (from the query string) and the monthly report's month."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import Sector, Stage, Startup
from ..reference import STATE_CHOICES
from .fields import IdModelChoiceField

MONTH_INPUT = {"type": "month", "class": "form-control form-control-sm"}
MOST_MONTHS = 36
BY_CHOICES = [
    ("", "No split"),
    ("startup", "Startup"),
    ("state", "State"),
    ("sector", "Sector"),
    ("msme", "MSME category"),
]


def parse_month(value: str) -> date:
    """A "YYYY-MM" month (what <input type=month> sends) as its first day."""
    try:
        year, month = (int(part) for part in value.strip().split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError) as error:
        raise ValidationError("Enter a month as YYYY-MM, e.g. 2026-09.") from error


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs=MONTH_INPUT)

    def to_python(self, value):
        value = super().to_python(value)
        return parse_month(value) if value else None

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


def months_before(month: date, count: int) -> date:
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


class AnalyticsFilterForm(forms.Form):
    """Period (cohort months), one slice (a state, sector or startup) and, where a page has them,
    the stage and the split. An invalid filter is shown beside its field; the page falls back to
    the defaults."""

    start = MonthField(label="From month", required=False)
    end = MonthField(label="To month", required=False)
    state = forms.ChoiceField(label="State", choices=[("", "Any"), *STATE_CHOICES], required=False)
    sector = IdModelChoiceField(label="Sector", queryset=Sector.objects.all(), required=False, empty_label="Any")
    startup = IdModelChoiceField(label="Startup", queryset=Startup.objects.all(), required=False, empty_label="Any")
    stage = forms.ChoiceField(label="Stage", required=False)
    by = forms.ChoiceField(label="Split by", choices=BY_CHOICES, required=False)

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
            self.add_error("start", "The first month must come before the last.")
        elif months_before(end, MOST_MONTHS - 1) > start:
            self.add_error("start", f"Choose at most {MOST_MONTHS} months.")
        chosen = [name for name in ("state", "sector", "startup") if data.get(name)]
        if len(chosen) > 1:
            raise ValidationError("Filter by one of state, sector or startup at a time.")
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
    month = MonthField(label="Month", help_text="A finished month, e.g. 2026-10.")
