"""Assigning exporters to startups: one, in bulk, a reason for a change, handing to an agent."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
        empty_label=gettext_lazy("Choose a startup"),
        help_text=gettext_lazy("Active startups accepting assignments, with their load against capacity."),
    )
    reason = forms.CharField(widget=REASON_WIDGET, required=False, label=gettext_lazy("Why this startup?"))

    def __init__(self, *args, exporter: Exporter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["startup"].queryset = open_startups()
        self.reassigning = exporter.startup_id is not None
        if self.reassigning:
            self.fields["reason"].required = True
            self.fields["reason"].label = _("Why move it?")
            # Crispy renders help text as HTML: the startup's name must be escaped here.
            self.fields["reason"].help_text = format_html(_("Required: {} loses this exporter."), exporter.startup)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=REASON_WIDGET, label=gettext_lazy("Reason"), help_text=gettext_lazy("Kept in the exporter's history.")
    )


class HandToAgentForm(forms.Form):
    agent = IdModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole team"),
        label=gettext_lazy("Who works this exporter?"),
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
        error_messages={"required": gettext_lazy("Tick at least one exporter in the list first.")},
    )
    startup = StartupChoiceField(queryset=Startup.objects.none(), empty_label=gettext_lazy("Choose a startup"))
    reason = forms.CharField(
        widget=REASON_WIDGET,
        required=False,
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("Required when some of the selected exporters are with another startup."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["startup"].queryset = open_startups()
