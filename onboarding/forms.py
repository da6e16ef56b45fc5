"""Forms validate; services act. The exporter form is also the import's row validator."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import validators as v
from .choices import GSTIN_ONLY_STATES, LANGUAGE_CHOICES, STATES
from .models import CommissionRule, Exporter, Sector, Startup
from .models.activities import ActivityKind
from .models.exporters import ExporterStatus
from .models.stages import EvidenceField
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


class _SharedFields(dict):
    """Form fields that a form's own deepcopy(base_fields) hands over as they are."""

    def __deepcopy__(self, memo):
        return dict(self)


@dataclass(frozen=True)
class Claim:
    """Who already holds a GSTIN or a PAN in a state: a registered exporter (pk) or an earlier file row."""

    gstin: str
    pk: int | None = None
    row: int | None = None


@dataclass
class KnownExporters:
    """The GSTINs and PAN+state pairs already taken, loaded once for a whole import batch.

    Given to ExporterForm(known=...), it replaces the form's per-row duplicate queries,
    so validating 10,000 rows costs the same few queries as validating ten. Rows
    claim their identifiers as they pass, which is how duplicates within a file are found.
    """

    by_gstin: dict[str, Claim] = field(default_factory=dict)
    by_pan_state: dict[tuple[str, str], Claim] = field(default_factory=dict)
    form_fields: dict | None = None  # one copy of ExporterForm's fields shared by the batch's forms

    @classmethod
    def load(cls) -> KnownExporters:
        known = cls()
        for pk, gstin, pan, state in Exporter.objects.values_list("pk", "gstin", "pan", "state").iterator(5000):
            claim = Claim(gstin=gstin, pk=pk)
            known.by_gstin[gstin] = claim
            known.by_pan_state.setdefault((pan, state), claim)
        return known

    def claim_row(self, *, row: int, gstin: str, pk: int | None) -> None:
        claim = Claim(gstin=gstin, pk=pk, row=row)
        self.by_gstin[gstin] = claim
        self.by_pan_state[(gstin[2:12], gstin[:2])] = claim


def _state_name(code: str) -> str:
    return STATES.get(code) or GSTIN_ONLY_STATES.get(code, code)


class ExporterForm(forms.ModelForm):
    """One exporter's fields. PAN, IEC and state default from the GSTIN and are cross-checked.

    `known` (a KnownExporters) makes the duplicate checks use preloaded identifiers
    instead of a query each: the import validates every row with this same form.
    """

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

    def __init__(self, *args, known: KnownExporters | None = None, **kwargs):
        if known is not None:
            # Copying the field definitions is most of a form's cost; the rows of one batch
            # share a single copy (cleaning never changes a field), deep-copied once.
            if known.form_fields is None:
                known.form_fields = _SharedFields(copy.deepcopy(self.base_fields))
            self.base_fields = known.form_fields
        super().__init__(*args, **kwargs)
        self.known = known
        for name in ("state", "marketplace", "preferred_language", "status"):
            self.fields[name].required = False
        self.fields["state"].error_messages["invalid_choice"] = "“%(value)s” is not an Indian state or union territory."
        self.fields["legal_name"].widget.attrs["autofocus"] = True

    def clean_gstin(self) -> str:
        gstin = self.cleaned_data["gstin"]
        if self.known is None:
            if Exporter.objects.filter(gstin=gstin).exclude(pk=self.instance.pk).exists():
                raise ValidationError("An exporter with this GSTIN is already registered.", code="duplicate")
            return gstin
        claim = self.known.by_gstin.get(gstin)
        if claim and claim.row is not None:
            raise ValidationError(f"Row {claim.row} already has this GSTIN.", code="duplicate_row")
        if claim and claim.pk != self.instance.pk:
            raise ValidationError("An exporter with this GSTIN is already registered.", code="duplicate")
        return gstin

    def _pan_state_claim(self, gstin: str) -> Claim | None:
        pan, state = gstin[2:12], gstin[:2]
        if self.known is not None:
            claim = self.known.by_pan_state.get((pan, state))
            return claim if claim and claim.gstin != gstin and (claim.row or claim.pk != self.instance.pk) else None
        other = (
            Exporter.objects.filter(pan=pan, state=state)
            .exclude(gstin=gstin)
            .exclude(pk=self.instance.pk)
            .values_list("gstin", flat=True)
            .first()
        )
        return Claim(gstin=other) if other else None

    def clean(self) -> dict:
        data = super().clean()
        gstin = data.get("gstin")
        if gstin:
            for field_name, messages in v.check_exporter_identity(
                gstin=gstin, pan=data.get("pan"), state=data.get("state")
            ).items():
                self.add_error(field_name, messages)
            # The same firm (PAN) twice in one state is a duplicate even under another GSTIN.
            claim = self._pan_state_claim(gstin)
            if claim:
                where = f"Row {claim.row} has" if claim.row else "An exporter is already registered with"
                self.add_error(
                    "gstin",
                    ValidationError(
                        f"{where} the same PAN in {_state_name(gstin[:2])} (GSTIN {claim.gstin}).",
                        code="duplicate_pan_state",
                    ),
                )
        data["marketplace"] = data.get("marketplace") or "Alibaba.com"
        data["preferred_language"] = data.get("preferred_language") or "en"
        data["status"] = data.get("status") or ExporterStatus.ACTIVE
        if data["status"] == ExporterStatus.DROPPED and not data.get("status_reason"):
            self.add_error("status_reason", "Say why the exporter is dropped.")
        return data

    # clean_gstin checks the one unique field and clean() the one check constraint (a dropped
    # exporter has a reason), with clearer messages; the form fields carry every model field's
    # own checks (length, choices, email, URL). So a batch, which uses cleaned_data and never
    # form.save(), skips Django's model-level repeat of all that: a query, or an SQL
    # expression built, per row.
    def _post_clean(self) -> None:
        if self.known is None:
            super()._post_clean()

    def validate_unique(self) -> None:
        if self.known is None:
            super().validate_unique()


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


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PlainSelect(forms.Widget):
    """A <select> built in Python. Django's and crispy's select templates render one
    template per option, which costs more than the rest of the page when a startup picks
    among its hundreds of exporters."""

    choices: list = []

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**self.build_attrs(self.attrs, attrs), "class": "form-select"}  # Bootstrap's, whatever crispy adds
        selected = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) == selected else "", label) for key, label in self.choices),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


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
            label="Buyer country (ISO code, e.g. US)", max_length=2, min_length=2
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
        from .services.progress import EVIDENCE_ATTRIBUTES

        super().__init__(*args, **kwargs)
        self.stage = stage
        required = set(stage.evidence_fields)
        optional = [EvidenceField.NOTE, EvidenceField.FILE]
        for name in [*stage.evidence_fields, *[f for f in optional if f not in required]]:
            field = self.FIELDS[EvidenceField(name)]()
            field.required = name in required
            self.fields[EVIDENCE_ATTRIBUTES[EvidenceField(name)]] = field

    def clean_evidence_country(self) -> str:
        return _country(self.cleaned_data["evidence_country"]) if self.cleaned_data.get("evidence_country") else ""

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
        from .models import Stage

        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.ordered()


class CommissionRuleForm(forms.ModelForm):
    amount = forms.DecimalField(label="Amount (₹)", min_value=0, max_digits=12, decimal_places=2)

    class Meta:
        model = CommissionRule
        fields = ["stage", "amount", "active_from", "active_to"]
        widgets = {
            "active_from": forms.DateInput(attrs={"type": "date"}),
            "active_to": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            self.add_error("active_to", "The end date is before the start date.")
        return data


class PaymentForm(forms.Form):
    payment_reference = forms.CharField(max_length=80, label="Payment reference (UTR)")


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Reason for the reversal")


class PreferencesForm(forms.Form):
    """A user's email choices. Stalled-work alerts are not optional, so only the digest is here."""

    weekly_digest = forms.BooleanField(
        required=False,
        label="Email me the weekly pipeline digest on Mondays",
        help_text="Daily alerts about stalled exporters and waiting reviews are always sent: they are part of the job.",
    )
