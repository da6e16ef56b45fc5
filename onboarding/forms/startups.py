"""Registering a startup and changing its status."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .. import validators as v
from ..models import Sector, Startup
from ..models.startups import StartupStatus
from ..reference import LANGUAGE_CHOICES
from .assignments import REASON_WIDGET
from .fields import IdentifierField, IdModelMultipleChoiceField, StateField, sectioned_helper


class StartupForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Languages the team can work in with exporters.",
    )
    sectors = IdModelMultipleChoiceField(
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="HS sections the team knows.",
    )
    dpiit_number = IdentifierField(
        cleaner=v.clean_dpiit, label="DPIIT recognition number", help_text="“DIPP” followed by digits, e.g. DIPP8292."
    )
    gstin = IdentifierField(
        cleaner=v.clean_gstin,
        label="GSTIN",
        required=False,
        help_text="Optional: 15 characters, printed on payout statements. Its state must be the startup's state.",
        widget=forms.TextInput(attrs={"data-state-from-gstin": "id_state"}),  # portal.js fills an empty state
    )
    cin = IdentifierField(cleaner=v.clean_cin, label="CIN", required=False)
    pan = IdentifierField(cleaner=v.clean_pan, label="PAN", required=False)
    contact_mobile = IdentifierField(cleaner=v.clean_mobile, help_text="10-digit Indian mobile number.")
    state = StateField()

    class Meta:
        model = Startup
        fields = [
            "legal_name",
            "brand_name",
            "dpiit_number",
            "gstin",
            "cin",
            "pan",
            "state",
            "city",
            "website",
            "contact_name",
            "contact_email",
            "contact_mobile",
            "sectors",
            "languages",
            "capacity",
            "accepting_assignments",
            "status",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = sectioned_helper(
            [
                ("Organisation", ["legal_name", "brand_name", "dpiit_number", "gstin", "cin", "pan", "website"]),
                ("Place", ["state", "city"]),
                ("Contact", ["contact_name", "contact_mobile", "contact_email"]),
                ("What the team knows", ["sectors", "languages"]),
                ("Capacity", ["capacity", "status", "accepting_assignments"]),
            ]
        )

    def clean_dpiit_number(self) -> str:
        number = self.cleaned_data["dpiit_number"]
        if Startup.objects.filter(dpiit_number=number).exclude(pk=self.instance.pk).exists():
            raise ValidationError("Another startup is already registered with this DPIIT number.")
        return number

    def clean_gstin(self) -> str:
        gstin = self.cleaned_data["gstin"]
        if gstin and Startup.objects.filter(gstin=gstin).exclude(pk=self.instance.pk).exists():
            raise ValidationError("Another startup is already registered with this GSTIN.", code="duplicate")
        return gstin

    def clean(self) -> dict:
        data = super().clean()
        if data.get("gstin"):
            # The exporters' cross-check: a GSTIN holds its state's code and its holder's PAN.
            identity = v.check_exporter_identity(gstin=data["gstin"], pan=data.get("pan"), state=data.get("state"))
            for field_name, messages in identity.items():
                self.add_error(field_name, messages)
        return data


STATUS_ACTIONS = [
    (StartupStatus.ACTIVE, "Activate"),
    (StartupStatus.SUSPENDED, "Suspend"),
    (StartupStatus.EXITED, "Exit the programme"),
]


class StartupStatusForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_ACTIONS, label="New status")
    reason = forms.CharField(widget=REASON_WIDGET, label="Reason", help_text="Kept in the startup's history.")
    release = forms.BooleanField(
        required=False,
        initial=True,
        label="Return all its open exporters to the pool",
        help_text="When suspending or exiting: their assignments are closed (and kept) and the exporters can be "
        "assigned again.",
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("status") == StartupStatus.ACTIVE:
            data["release"] = False  # reactivating never takes exporters away
        return data
