"""Logging work, submitting a stage's evidence, reviewing it, setting a stage by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import validators as v
from ..models import Stage
from ..models.activities import ActivityKind
from ..models.stages import EVIDENCE_ATTRIBUTES, EvidenceField
from .fields import DateTimeLocalInput, PlainSelect


class ActivityForm(forms.Form):
    """Log work: short enough to fill on a phone between two calls."""

    kind = forms.ChoiceField(choices=ActivityKind.choices, label="What did you do?")
    occurred_at = forms.DateTimeField(
        label="When", widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    duration_minutes = forms.IntegerField(label="Minutes", min_value=1, max_value=24 * 60, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)
    attachment = forms.FileField(
        required=False, validators=[v.validate_attachment], help_text="PDF, image or Office file, up to 5 MB."
    )

    def __init__(self, *args, exporter_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if exporter_choices is not None:
            self.fields = {
                "exporter": forms.ModelChoiceField(queryset=exporter_choices, label="Exporter", widget=PlainSelect),
                **self.fields,
            }

    # A time in year 1 cannot even be stored in UTC; anything before the programme is a typo.
    EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise ValidationError("Work cannot be logged in the future.")
        if value < self.EARLIEST:
            raise ValidationError("Work logged before 2000 is surely a typing mistake.")
        return value


class StageEvidenceForm(forms.Form):
    """The evidence one stage asks for: its required fields are required, the rest optional."""

    FIELDS = {
        EvidenceField.URL: lambda: forms.URLField(label="Link (URL)", max_length=200),
        EvidenceField.NUMBER: lambda: forms.IntegerField(label="Count", min_value=0, max_value=1_000_000),
        EvidenceField.REFERENCE: lambda: forms.CharField(label="Reference or ID", max_length=120),
        EvidenceField.AMOUNT: lambda: forms.DecimalField(
            label="Value (USD)", min_value=0, max_digits=14, decimal_places=2
        ),
        EvidenceField.COUNTRY: lambda: forms.CharField(
            label="Buyer country", max_length=60, help_text="Name or code, e.g. United Arab Emirates or AE."
        ),
        EvidenceField.DATE: lambda: forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"})),
        EvidenceField.FILE: lambda: forms.FileField(label="File", validators=[v.validate_attachment]),
        EvidenceField.NOTE: lambda: forms.CharField(
            label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
        ),
    }
    # Minimum counts that make a stage true (DOMAIN §2: at least 10 products live).
    MINIMUM_NUMBER = {"products_listed": 10, "first_inquiry": 1}

    def __init__(self, *args, stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        # Only known fields: a name the stage's row holds but the portal does not know is ignored.
        required = stage.required_evidence
        optional = [EvidenceField.NOTE, EvidenceField.FILE]
        for name in [*required, *[f for f in optional if f not in required]]:
            field = self.FIELDS[name]()
            field.required = name in required
            self.fields[EVIDENCE_ATTRIBUTES[name]] = field

    def clean_evidence_country(self) -> str:
        return (
            v.clean_country(self.cleaned_data["evidence_country"]) if self.cleaned_data.get("evidence_country") else ""
        )

    def clean_evidence_date(self):
        value = self.cleaned_data.get("evidence_date")
        if value and value > timezone.localdate():
            raise ValidationError("This date is in the future.")
        return value

    def clean_evidence_number(self):
        value = self.cleaned_data.get("evidence_number")
        minimum = self.MINIMUM_NUMBER.get(self.stage.code)
        if value is not None and minimum and value < minimum:
            raise ValidationError(f"“{self.stage}” needs at least {minimum}.")
        return value

    def evidence(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Note to the startup", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class SetStageForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=None)
    reason = forms.CharField(max_length=500, help_text="Recorded on the exporter's timeline.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.ordered()
