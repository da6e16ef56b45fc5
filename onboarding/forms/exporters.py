"""The exporter form: also the import's row validator, with duplicate checks that scale to a batch."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import validators as v
from ..models import Exporter
from ..models.exporters import ExporterStatus
from ..reference import state_name
from .fields import IdentifierField, ListField, StateField, sectioned_helper

# Texts a batch remembers the cleaned value of, per field: the columns that repeat (district,
# state, language, HS codes) have a few hundred at most; a column of names or GSTINs stops
# being remembered here, so memory stays bounded whatever the file.
CLEANED_TEXTS = 2000


class _SharedFields(dict):
    """Form fields that a form's own deepcopy(base_fields) hands over as they are: the very
    dict (no form of a batch adds or drops a field), which spares deepcopy's bookkeeping too."""

    def __deepcopy__(self, memo):
        return self


@dataclass(frozen=True)
class Claim:
    """Who already holds a GSTIN or a PAN in a state: a registered exporter (pk) or an earlier file row."""

    gstin: str
    pk: int | None = None
    row: int | None = None


@dataclass
class KnownExporters:
    """Who holds a GSTIN, or a PAN in a state, for a whole import batch: the registered
    exporters, fetched for a chunk of rows at a time, and the batch's own rows, which claim their
    identifiers as they pass (how duplicates within a file are found).

    Given to ExporterForm(known=...), it replaces the form's per-row duplicate queries: a
    chunk's look-ups cost one query (`fetch`), whatever its size and however many exporters are
    registered. A key no fetch covered is fetched on its own, so an answer never depends on what
    was fetched before; only the cost does.
    """

    claimed_gstin: dict[str, Claim] = field(default_factory=dict)
    claimed_pan_state: dict[tuple[str, str], Claim] = field(default_factory=dict)
    registered_gstin: dict[str, Claim] = field(default_factory=dict)
    registered_pan_state: dict[tuple[str, str], Claim] = field(default_factory=dict)
    fetched_gstins: set[str] = field(default_factory=set)
    fetched_pans: set[str] = field(default_factory=set)  # in every state
    form_fields: dict | None = None  # one copy of ExporterForm's fields shared by the batch's forms
    new_exporter: Exporter | None = None  # the unsaved exporter every new row's form is given
    # Each field's cleaned value by the text it was given, as the batch's rows go (see _clean_fields).
    cleaned_texts: dict[str, dict[str, object]] = field(default_factory=dict)
    # While a list, every look-up is noted in it with its answer: what a row's verdict depended
    # on, which the import's commit asks again to know whether that verdict still stands.
    reads: list[tuple[str, str | tuple[str, str], Claim | None]] | None = None

    def fetch(self, gstins: Iterable[str]) -> dict[str, Exporter]:
        """Fetch what rows with these GSTINs will ask (who is registered with each GSTIN, and with
        its PAN in any state) and return the exporters registered with these GSTINs, with their
        sectors: the exporters those rows update, read in the same query."""
        gstins = {gstin for gstin in gstins if len(gstin) == 15}
        return self._fetch(gstins, {gstin[2:12] for gstin in gstins} - self.fetched_pans)

    def _fetch(self, gstins: set[str], pans: set[str]) -> dict[str, Exporter]:
        self.fetched_gstins |= gstins
        self.fetched_pans |= pans
        found = {}
        gstins, pans = sorted(gstins), sorted(pans)
        # Two parameters a GSTIN: a chunk of rows in one query, a little less under SQLite's limit.
        size = (connection.features.max_query_params or 1000) // 2
        for start in range(0, max(len(gstins), len(pans)), size):
            some_gstins, some_pans = set(gstins[start : start + size]), set(pans[start : start + size])
            # By id: a PAN in a state is answered by its first exporter, the same at every fetch.
            # With its sector: an update's diff names the old one without a query per row.
            exporters = Exporter.objects.select_related("sector").order_by("pk")
            for exporter in exporters.filter(Q(gstin__in=some_gstins) | Q(pan__in=some_pans)):
                claim = Claim(gstin=exporter.gstin, pk=exporter.pk)
                if exporter.gstin in some_gstins:
                    self.registered_gstin[exporter.gstin] = claim
                    found[exporter.gstin] = exporter
                if exporter.pan in some_pans:  # all of that PAN's exporters are in this answer
                    self.registered_pan_state.setdefault((exporter.pan, exporter.state), claim)
        return found

    def answer(self, kind: str, key: str | tuple[str, str] | list[str]) -> Claim | None:
        """Who holds a GSTIN (kind "gstin") or a PAN in a state ("pan_state", key (PAN, state code))."""
        if kind == "gstin":
            if key in self.claimed_gstin:
                return self.claimed_gstin[key]
            if key not in self.fetched_gstins:
                self._fetch({key}, set())
            return self.registered_gstin.get(key)
        key = tuple(key)
        if key in self.claimed_pan_state:
            return self.claimed_pan_state[key]
        if key[0] not in self.fetched_pans:
            self._fetch(set(), {key[0]})
        return self.registered_pan_state.get(key)

    def look_up(self, kind: str, key: str | tuple[str, str]) -> Claim | None:
        """`answer`, noted in `reads` when the caller keeps them."""
        claim = self.answer(kind, key)
        if self.reads is not None:
            self.reads.append((kind, key, claim))
        return claim

    def claim_row(self, *, row: int, gstin: str, pk: int | None) -> None:
        claim = Claim(gstin=gstin, pk=pk, row=row)
        self.claimed_gstin[gstin] = claim
        self.claimed_pan_state[(gstin[2:12], gstin[:2])] = claim


class ExporterForm(forms.ModelForm):
    """One exporter's fields. PAN, IEC and state default from the GSTIN and are cross-checked.

    `known` (a KnownExporters) makes the duplicate checks use identifiers fetched a chunk of
    rows at a time instead of a query each: the import validates every row with this same form.
    """

    products = ListField(
        item_clean=v.clean_hs_code,
        required=False,
        label=gettext_lazy("Products (HS codes)"),
        help_text=gettext_lazy("Comma-separated, 2–8 digits, main product first, e.g. 6109, 620342."),
    )
    target_markets = ListField(
        item_clean=v.clean_country,
        required=False,
        label=gettext_lazy("Target markets"),
        help_text=gettext_lazy("Comma-separated names or codes, e.g. United States, UAE, DE."),
    )
    state = StateField(
        choices=[("", "---------"), *Exporter._meta.get_field("state").choices],
        required=False,
        help_text=gettext_lazy("Leave blank to take it from the GSTIN."),
        error_messages={"invalid_choice": gettext_lazy("“%(value)s” is not an Indian state or union territory.")},
    )
    gstin = IdentifierField(
        cleaner=v.clean_gstin,
        label="GSTIN",
        help_text=gettext_lazy("15 characters; the state, PAN and check character are verified."),
        widget=forms.TextInput(attrs={"data-state-from-gstin": "id_state"}),  # portal.js fills the state
    )
    pan = IdentifierField(
        cleaner=v.clean_pan,
        label="PAN",
        required=False,
        help_text=gettext_lazy("Leave blank to take it from the GSTIN."),
    )
    iec = IdentifierField(
        cleaner=v.clean_iec,
        label="IEC",
        required=False,
        help_text=gettext_lazy("Import Export Code; leave blank when it is the PAN."),
    )
    udyam_number = IdentifierField(cleaner=v.clean_udyam, label=gettext_lazy("Udyam number"), required=False)
    pin_code = IdentifierField(cleaner=v.clean_pin_code, label=gettext_lazy("PIN code"), required=False)
    contact_mobile = IdentifierField(
        cleaner=v.clean_mobile,
        required=False,
        label=gettext_lazy("Contact mobile"),
        help_text=gettext_lazy("10-digit Indian mobile number."),
    )

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
        labels = {
            "legal_name": gettext_lazy("Legal name"),
            "trade_name": gettext_lazy("Trade name"),
            "district": gettext_lazy("District"),
            "contact_name": gettext_lazy("Contact name"),
            "preferred_language": gettext_lazy("Preferred language"),
            "marketplace": gettext_lazy("Marketplace"),
            "status": gettext_lazy("Status"),
            "status_reason": gettext_lazy("Status reason"),
            "storefront_url": gettext_lazy("Storefront URL"),
            "contact_email": gettext_lazy("Contact email"),
            "marketplace_member_id": gettext_lazy("Marketplace member ID"),
            "is_manufacturer": gettext_lazy("Manufacturer (not a trader)"),
        }

    def __init__(self, data=None, *args, known: KnownExporters | None = None, instance=None, **kwargs):
        self.known = known
        if known is None:
            super().__init__(data, *args, instance=instance, **kwargs)
        else:
            self._init_for_batch(data, instance, known)
        for name in ("state", "marketplace", "preferred_language", "status"):
            self.fields[name].required = False
        self.fields["legal_name"].widget.attrs["autofocus"] = True

    def _init_for_batch(self, data: dict, instance: Exporter | None, known: KnownExporters) -> None:
        """A form that only cleans one row of an import (it is never rendered nor saved), set up
        at a fraction of a page's cost, which was a quarter of a row's.

        - Copying the field definitions is most of a form's cost: the rows of one batch share a
          single copy (cleaning never changes a field), deep-copied once.
        - BaseModelForm's own set-up is skipped: it builds a new Exporter for every new row, the
          initial values from the instance (only rendering reads them) and each field's
          limit_choices_to (this form has no model choice field, test_imports checks). Every new
          row shares one unsaved exporter: the batch path reads its pk (None) and never writes
          to it (no _post_clean, no save).
        """
        if known.form_fields is None:
            known.form_fields = _SharedFields(copy.deepcopy(self.base_fields))
            known.new_exporter = Exporter()
        self.base_fields = known.form_fields
        self.instance = known.new_exporter if instance is None else instance
        self._validate_unique = False
        forms.BaseForm.__init__(self, data, label_suffix="")  # no label suffix: spares a translation look-up

    @cached_property
    def helper(self):
        # Built only when a page renders the form: an import validates thousands without one.
        return sectioned_helper(
            [
                (_("Business"), ["legal_name", "trade_name", "gstin", "pan", "iec", "udyam_number", "msme_category"]),
                (_("Place"), ["state", "district", "pin_code"]),
                (_("Contact"), ["contact_name", "contact_mobile", "contact_email"]),
                (_("Trade"), ["products", "target_markets", "preferred_language", "is_manufacturer"]),
                (_("Marketplace"), ["marketplace", "marketplace_member_id", "storefront_url"]),
                (_("Status"), ["status", "status_reason"]),
            ]
        )

    def clean_gstin(self) -> str:
        gstin = self.cleaned_data["gstin"]
        if self.known is None:
            if Exporter.objects.filter(gstin=gstin).exclude(pk=self.instance.pk).exists():
                raise ValidationError(_("An exporter with this GSTIN is already registered."), code="duplicate")
            return gstin
        claim = self.known.look_up("gstin", gstin)
        if claim and claim.row is not None:
            raise ValidationError(_("Row %(row)s already has this GSTIN.") % {"row": claim.row}, code="duplicate_row")
        if claim and claim.pk != self.instance.pk:
            raise ValidationError(_("An exporter with this GSTIN is already registered."), code="duplicate")
        return gstin

    def _pan_state_claim(self, gstin: str) -> Claim | None:
        pan, state = gstin[2:12], gstin[:2]
        if self.known is not None:
            claim = self.known.look_up("pan_state", (pan, state))
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
                words = {"row": claim.row, "state": state_name(gstin[:2]), "gstin": claim.gstin}
                if claim.row:
                    message = _("Row %(row)s has the same PAN in %(state)s (GSTIN %(gstin)s).") % words
                else:
                    message = (
                        _("An exporter is already registered with the same PAN in %(state)s (GSTIN %(gstin)s).") % words
                    )
                self.add_error("gstin", ValidationError(message, code="duplicate_pan_state"))
        data["marketplace"] = data.get("marketplace") or "Alibaba.com"
        data["preferred_language"] = data.get("preferred_language") or "en"
        data["status"] = data.get("status") or ExporterStatus.ACTIVE
        if data["status"] == ExporterStatus.DROPPED and not data.get("status_reason"):
            self.add_error("status_reason", _("Say why the exporter is dropped."))
        return data

    def _clean_fields(self) -> None:
        if self.known is None or not all(map(_cleans_plainly, self.fields.values())):
            super()._clean_fields()
            return
        # A batch cleans each field straight from the row's data: Django's own loop first builds
        # a BoundField per field, for rendering, which was a quarter of a row's cost. The steps
        # are Django's: the field's clean() on the widget's value, then the form's clean_<name>().
        # A field's clean() is a function of the text alone (no field here reads the form or the
        # database: the form's clean_<name>() does, and runs every time), so a text cleaned once
        # in the batch is not cleaned again: a district, a language, a blank column, 100,000 times.
        for name, form_field in self.fields.items():
            seen = self.known.cleaned_texts.setdefault(name, {})
            try:
                value = form_field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
                text = value is None or value.__class__ is str  # a cell's text, or None for a column not in the file
                if text and value in seen:
                    cleaned = seen[value]
                else:
                    cleaned = form_field.clean(value)
                    if text and len(seen) < CLEANED_TEXTS:
                        seen[value] = cleaned
                # A list is each row's own copy: the one remembered is never handed out.
                self.cleaned_data[name] = list(cleaned) if cleaned.__class__ is list else cleaned
                if hasattr(self, f"clean_{name}"):
                    self.cleaned_data[name] = getattr(self, f"clean_{name}")()
            except ValidationError as error:
                self.add_error(name, error)

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


def _cleans_plainly(form_field: forms.Field) -> bool:
    """Whether Django cleans the field from its widget's value alone (not disabled, not a file)."""
    return not form_field.disabled and type(form_field)._clean_bound_field is forms.Field._clean_bound_field


class ExporterContactForm(forms.Form):
    """The exporter's contact person, phone and email: corrected by staff, proposed by the startup working it."""

    contact_name = forms.CharField(label=gettext_lazy("Contact person"), required=False, max_length=120)
    contact_mobile = IdentifierField(
        cleaner=v.clean_mobile,
        label=gettext_lazy("Mobile"),
        required=False,
        help_text=gettext_lazy("10-digit Indian mobile number."),
    )
    contact_email = forms.EmailField(label=gettext_lazy("Email"), required=False, max_length=254)
