"""Forms validate; services act. The exporter form is also the import's row validator."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError

from . import validators as v
from .choices import LANGUAGE_CHOICES
from .models import Exporter, Sector, Startup
from .models.exporters import ExporterStatus
from .models.startups import MemberRole

COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS)  # ISO 3166-1 alpha-2


def _split_list(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        items = value
    else:
        items = str(value or "").replace(";", ",").replace("|", ",").replace("\n", ",").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


class ListField(forms.CharField):
    """A comma-separated list in a text box, each item cleaned by `item_clean`."""

    def __init__(self, *, item_clean, **kwargs):
        self.item_clean = item_clean
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        items, errors = [], []
        for item in _split_list(value):
            try:
                cleaned = self.item_clean(item)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
            if cleaned not in items:
                items.append(cleaned)
        if errors:
            raise ValidationError(errors)
        return items


class IdentifierField(forms.CharField):
    """Free-typed identifier, normalised and checked by a validators.clean_* function.

    The raw input may be longer than the stored value (spaces, hyphens, "+91 "), so
    length is checked by the cleaner, not by max_length.
    """

    def __init__(self, *, cleaner, **kwargs):
        self.cleaner = cleaner
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.cleaner(value) if value else ""


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(f"“{value}” is not an ISO country code such as US, AE or DE.")
    return code


class StartupForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Languages the team can work in with exporters.",
    )
    sectors = forms.ModelMultipleChoiceField(
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="HS sections the team knows.",
    )
    dpiit_number = IdentifierField(
        cleaner=v.clean_dpiit, label="DPIIT recognition number", help_text="“DIPP” followed by digits, e.g. DIPP8292."
    )
    cin = IdentifierField(cleaner=v.clean_cin, label="CIN", required=False)
    pan = IdentifierField(cleaner=v.clean_pan, label="PAN", required=False)
    contact_mobile = IdentifierField(cleaner=v.clean_mobile, help_text="10-digit Indian mobile number.")

    class Meta:
        model = Startup
        fields = [
            "legal_name",
            "brand_name",
            "dpiit_number",
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

    def clean_dpiit_number(self) -> str:
        number = self.cleaned_data["dpiit_number"]
        if Startup.objects.filter(dpiit_number=number).exclude(pk=self.instance.pk).exists():
            raise ValidationError("Another startup is already registered with this DPIIT number.")
        return number


class ExporterForm(forms.ModelForm):
    """One exporter's fields. PAN, IEC and state default from the GSTIN and are cross-checked."""

    products = ListField(
        item_clean=v.clean_hs_code,
        required=False,
        label="Products (HS codes)",
        help_text="Comma-separated, 2–8 digits, main product first, e.g. 6109, 620342.",
    )
    target_markets = ListField(
        item_clean=_country, required=False, help_text="Comma-separated ISO country codes, e.g. US, AE, DE."
    )
    gstin = IdentifierField(
        cleaner=v.clean_gstin,
        label="GSTIN",
        help_text="15 characters; the state, PAN and check character are verified.",
    )
    pan = IdentifierField(
        cleaner=v.clean_pan, label="PAN", required=False, help_text="Leave blank to take it from the GSTIN."
    )
    iec = IdentifierField(
        cleaner=v.clean_iec,
        label="IEC",
        required=False,
        help_text="Import Export Code; leave blank when it is the PAN.",
    )
    udyam_number = IdentifierField(cleaner=v.clean_udyam, label="Udyam number", required=False)
    pin_code = IdentifierField(cleaner=v.clean_pin_code, label="PIN code", required=False)
    contact_mobile = IdentifierField(cleaner=v.clean_mobile, required=False, help_text="10-digit Indian mobile number.")

    class Meta:
        model = Exporter
        fields = [
            "legal_name",
            "trade_name",
            "gstin",
            "pan",
            "iec",
            "udyam_number",
            "msme_category",
            "state",
            "district",
            "pin_code",
            "contact_name",
            "contact_email",
            "contact_mobile",
            "products",
            "target_markets",
            "preferred_language",
            "is_manufacturer",
            "marketplace",
            "marketplace_member_id",
            "storefront_url",
            "status",
            "status_reason",
        ]
        help_texts = {"state": "Leave blank to take it from the GSTIN."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("state", "marketplace", "preferred_language", "status"):
            self.fields[name].required = False
        self.fields["legal_name"].widget.attrs["autofocus"] = True

    def clean_gstin(self) -> str:
        gstin = self.cleaned_data["gstin"]
        if Exporter.objects.filter(gstin=gstin).exclude(pk=self.instance.pk).exists():
            raise ValidationError("An exporter with this GSTIN is already registered.", code="duplicate")
        return gstin

    def clean(self) -> dict:
        data = super().clean()
        gstin = data.get("gstin")
        if gstin:
            for field, messages in v.check_exporter_identity(
                gstin=gstin, pan=data.get("pan"), state=data.get("state")
            ).items():
                self.add_error(field, messages)
        data["marketplace"] = data.get("marketplace") or "Alibaba.com"
        data["preferred_language"] = data.get("preferred_language") or "en"
        data["status"] = data.get("status") or ExporterStatus.ACTIVE
        if data["status"] == ExporterStatus.DROPPED and not data.get("status_reason"):
            self.add_error("status_reason", "Say why the exporter is dropped.")
        return data


class MemberAddForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=MemberRole.choices, initial=MemberRole.MANAGER)

    def clean_email(self) -> str:
        from .models import StartupMember, User

        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user and user.is_programme_staff:
            raise ValidationError("This person is programme staff and cannot join a startup.")
        if user and StartupMember.objects.filter(user=user, removed_at__isnull=True).exists():
            raise ValidationError("This person already belongs to a startup team.")
        return email


class PreferencesForm(forms.Form):
    """A user's email choices. Stalled-work alerts are not optional, so only the digest is here."""

    weekly_digest = forms.BooleanField(
        required=False,
        label="Email me the weekly pipeline digest on Mondays",
        help_text="Daily alerts about stalled exporters and waiting reviews are always sent: they are part of the job.",
    )
