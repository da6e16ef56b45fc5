"""Assigning exporters to startups: one, in bulk, a reason for a change, handing to an agent."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html

from ..models import Exporter, Startup, User
from .fields import IdModelChoiceField, IdModelMultipleChoiceField

REASON_WIDGET = forms.Textarea(attrs={"rows": 2})


class StartupChoiceField(IdModelChoiceField):
    def label_from_instance(self, startup: Startup) -> str:
        return f"{startup} · {startup.get_state_display()} · {startup.open_exporters}/{startup.capacity}"


def open_startups():
    """Startups that may take exporters now, with their load for the labels."""
    return Startup.objects.open_for_assignment().with_load().order_by("brand_name", "legal_name")


class AssignForm(forms.Form):
    """Assign a pool exporter, or reassign one (then the reason is required)."""

    startup = StartupChoiceField(
        queryset=Startup.objects.none(),
        empty_label="Choose a startup",
        help_text="Active startups accepting assignments, with their load against capacity.",
    )
    reason = forms.CharField(widget=REASON_WIDGET, required=False, label="Why this startup?")

    def __init__(self, *args, exporter: Exporter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["startup"].queryset = open_startups()
        self.reassigning = exporter.startup_id is not None
        if self.reassigning:
            self.fields["reason"].required = True
            self.fields["reason"].label = "Why move it?"
            # Crispy renders help text as HTML: the startup's name must be escaped here.
            self.fields["reason"].help_text = format_html("Required: {} loses this exporter.", exporter.startup)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=REASON_WIDGET, label="Reason", help_text="Kept in the exporter's history.")


class HandToAgentForm(forms.Form):
    agent = IdModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="The whole team",
        label="Who works this exporter?",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, startup: Startup, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = User.objects.filter(memberships__in=startup.members.active()).order_by(
            "first_name", "email"
        )


class BulkAssignForm(forms.Form):
    exporter = IdModelMultipleChoiceField(
        queryset=Exporter.objects.all(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": "Tick at least one exporter in the list first."},
    )
    startup = StartupChoiceField(queryset=Startup.objects.none(), empty_label="Choose a startup")
    reason = forms.CharField(
        widget=REASON_WIDGET,
        required=False,
        label="Reason",
        help_text="Required when some of the selected exporters are with another startup.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["startup"].queryset = open_startups()
