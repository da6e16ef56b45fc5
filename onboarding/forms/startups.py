"""Registering a startup and changing its status."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
        label=_("Languages"),
        help_text=_("Languages the team can work in with exporters."),
    )
    sectors = IdModelMultipleChoiceField(
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Sectors"),
        help_text=_("HS sections the team knows."),
    )
    dpiit_number = IdentifierField(
        cleaner=v.clean_dpiit,
        label=_("DPIIT recognition number"),
        help_text=_("“DIPP” followed by digits, e.g. DIPP8292."),
    )
    gstin = IdentifierField(
        cleaner=v.clean_gstin,
        label="GSTIN",
        required=False,
        help_text=_("Optional: 15 characters, printed on payout statements. Its state must be the startup's state."),
        widget=forms.TextInput(attrs={"data-state-from-gstin": "id_state"}),  # portal.js fills an empty state
    )
    cin = IdentifierField(cleaner=v.clean_cin, label="CIN", required=False)
    pan = IdentifierField(cleaner=v.clean_pan, label="PAN", required=False)
    contact_mobile = IdentifierField(
        cleaner=v.clean_mobile, label=_("Contact mobile"), help_text=_("10-digit Indian mobile number.")
    )
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
        # The model's fields have no verbose names of their own (adding them needs a migration):
        # the labels are the same English words, translatable.
        labels = {
            "legal_name": _("Legal name"),
            "brand_name": _("Brand name"),
            "city": _("City"),
            "website": _("Website"),
            "contact_name": _("Contact name"),
            "contact_email": _("Contact email"),
            "capacity": _("Capacity"),
            "accepting_assignments": _("Accepting assignments"),
            "status": _("Status"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = sectioned_helper(
            [
                (_("Organisation"), ["legal_name", "brand_name", "dpiit_number", "gstin", "cin", "pan", "website"]),
                (_("Place"), ["state", "city"]),
                (_("Contact"), ["contact_name", "contact_mobile", "contact_email"]),
                (_("What the team knows"), ["sectors", "languages"]),
                (_("Capacity"), ["capacity", "status", "accepting_assignments"]),
            ]
        )

    def clean_dpiit_number(self) -> str:
        number = self.cleaned_data["dpiit_number"]
        if Startup.objects.filter(dpiit_number=number).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another startup is already registered with this DPIIT number."))
        return number

    def clean_gstin(self) -> str:
        gstin = self.cleaned_data["gstin"]
        if gstin and Startup.objects.filter(gstin=gstin).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another startup is already registered with this GSTIN."), code="duplicate")
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
    (StartupStatus.ACTIVE, _("Activate")),
    (StartupStatus.SUSPENDED, _("Suspend")),
    (StartupStatus.EXITED, _("Exit the programme")),
]


class StartupStatusForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_ACTIONS, label=_("New status"))
    reason = forms.CharField(widget=REASON_WIDGET, label=_("Reason"), help_text=_("Kept in the startup's history."))
    release = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Return all its open exporters to the pool"),
        help_text=_(
            "When suspending or exiting: their assignments are closed (and kept) and the exporters can be "
            "assigned again."
        ),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("status") == StartupStatus.ACTIVE:
            data["release"] = False  # reactivating never takes exporters away
        return data
