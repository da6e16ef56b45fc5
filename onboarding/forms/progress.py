"""Logging work, submitting a stage's evidence, reviewing it, setting a stage by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import validators as v
from ..models import Stage
from ..models.activities import OUTCOME_KINDS, ActivityKind, ContactOutcome
from ..models.exporters import Exporter
from ..models.stages import DOCUMENT_FILE_TYPES, EVIDENCE_ATTRIBUTES, DocumentKind, EvidenceField
from .fields import DateTimeLocalInput, IdIntegerField, IdModelChoiceField
from .kept_uploads import KeepsUploads


def exporter_label(exporter: Exporter) -> str:
    """How an exporter is named in pickers: the name people use, then the GSTIN that tells twins apart."""
    return f"{exporter} · {exporter.gstin}"


MAX_FILES = 6


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern), each checked by its bytes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            return super().clean(None, initial) or []
        if len(files) > MAX_FILES:
            raise ValidationError(
                _("Send at most %(most)s files at once; you chose %(chosen)s.")
                % {"most": MAX_FILES, "chosen": len(files)}
            )
        cleaned = [super(MultipleFileField, self).clean(upload, initial) for upload in files]
        for upload in cleaned:
            try:
                v.validate_attachment(upload)
            except ValidationError as problem:
                raise ValidationError(f"{upload.name}: {problem.messages[0]}") from problem
        return cleaned


# A checklist document's upload is the form field "document_<kind>" (also in the API's multipart body).
DOCUMENT_PREFIX = "document_"


def document_field_name(kind: str) -> str:
    return f"{DOCUMENT_PREFIX}{kind}"


def in_sentence(label: str) -> str:
    """A label inside a sentence: "Product catalogue" -> "product catalogue"; "GST certificate" keeps its capitals."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def document_field(kind: DocumentKind) -> forms.FileField:
    """One slot of a stage's checklist: a required upload accepting only its kind's file types."""
    extensions = DOCUMENT_FILE_TYPES.get(kind, tuple(v.UPLOAD_SIGNATURES))
    label = in_sentence(kind.label)

    def check(upload):
        v.validate_document(upload, extensions=extensions, what=label)

    return forms.FileField(
        label=kind.label,
        validators=[check],
        help_text=_("%(types)s, up to 5 MB.") % {"types": v.file_types_in_words(extensions)},
        error_messages={"required": _("Upload the %(document)s.") % {"document": label}},
    )


class ActivityForm(KeepsUploads, forms.Form):
    """Log work: short enough to fill on a phone between two calls."""

    kind = forms.ChoiceField(
        choices=ActivityKind.choices,
        label=gettext_lazy("What did you do?"),
        widget=forms.Select(attrs={"data-outcome-kinds": " ".join(OUTCOME_KINDS)}),
    )
    # Shown for a call or visit only (static/js/activity-outcome.js); required for them here
    # and in the service, whatever the page showed.
    outcome = forms.ChoiceField(
        choices=[("", gettext_lazy("Choose how it went")), *ContactOutcome.choices],
        required=False,
        label=gettext_lazy("How did it go?"),
        help_text=gettext_lazy(
            "For a call or visit. Only a call or visit that reached the exporter counts as contact."
        ),
    )
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("When"), widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    duration_minutes = forms.IntegerField(label=gettext_lazy("Minutes"), min_value=1, max_value=24 * 60, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    attachment = forms.FileField(
        label=gettext_lazy("Attachment"),
        required=False,
        validators=[v.validate_attachment],
        help_text=gettext_lazy("PDF, image or Office file, up to 5 MB."),
    )

    def __init__(self, *args, exporter_choices=None, lookup_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self.exporter_choices = exporter_choices
        if exporter_choices is not None:
            # A type-ahead over the exporter list's search (static/js/typeahead.js fills the
            # hidden id); without JavaScript the typed name or GSTIN is matched on the server.
            search = forms.CharField(
                label=_("Exporter"),
                required=False,  # the API sends the id alone; clean() asks for one or the other
                max_length=200,
                help_text=_("Type part of the name, the GSTIN, a phone number or the district."),
                widget=forms.TextInput(
                    attrs={
                        "data-typeahead": lookup_url,
                        "data-typeahead-target": "id_exporter",
                        "autocomplete": "off",
                        # The script's own words, in the page's language.
                        "data-typeahead-list": _("Matching exporters"),
                        "data-typeahead-found": _("%(count)s matches"),
                        "data-typeahead-none": _("No exporter matches"),
                    }
                ),
            )
            # The id the type-ahead picked (the API sends it alone), bounded to the column's range.
            picked = IdIntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
            self.fields = {"exporter_search": search, "exporter": picked, **self.fields}

    def clean(self):
        cleaned = super().clean()
        self._clean_outcome(cleaned)
        if self.exporter_choices is None:
            return cleaned
        term = cleaned.pop("exporter_search", "")
        exporter_id = picked = cleaned.get("exporter")
        chosen = self.exporter_choices.filter(pk=exporter_id).first() if exporter_id else None
        if chosen is None and exporter_id and not term:
            self.add_error("exporter", _("Select a valid choice: that exporter is not one of yours."))
        if chosen is None and term:
            matches = list(self.exporter_choices.search(term)[:2])
            if len(matches) == 1:
                chosen = matches[0]
            else:
                if not matches:
                    problem = _("No exporter of yours matches “%(term)s”: type more of the name, or the GSTIN.")
                else:
                    problem = _("Several exporters match “%(term)s”: type more of the name, or the GSTIN.")
                self.add_error("exporter_search", problem % {"term": term})
        cleaned["exporter"] = chosen
        if chosen is None and not (self.has_error("exporter_search") or self.has_error("exporter")):
            self.add_error(
                "exporter" if picked and not term else "exporter_search", _("Choose the exporter you worked with.")
            )
        return cleaned

    def _clean_outcome(self, cleaned: dict) -> None:
        """A call or visit needs its outcome; other work keeps none (a choice left over from
        switching the kind on the page is dropped, as the field was hidden)."""
        kind = cleaned.get("kind")
        if kind is None:
            return
        if kind not in OUTCOME_KINDS:
            cleaned["outcome"] = ""
        elif not cleaned.get("outcome") and not self.has_error("outcome"):
            self.add_error("outcome", _("Say how the call or visit went: reached, no answer, wrong number…"))

    # A time in year 1 cannot even be stored in UTC; anything before the programme is a typo.
    EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise ValidationError(_("Work cannot be logged in the future."))
        if value < self.EARLIEST:
            raise ValidationError(_("Work logged before 2000 is surely a typing mistake."))
        return value


class StageEvidenceForm(KeepsUploads, forms.Form):
    """The evidence one stage asks for: its required fields are required, the rest optional."""

    FIELDS = {
        EvidenceField.URL: lambda: forms.URLField(label=_("Link (URL)"), max_length=200),
        EvidenceField.NUMBER: lambda: forms.IntegerField(label=_("Count"), min_value=0, max_value=1_000_000),
        EvidenceField.REFERENCE: lambda: forms.CharField(label=_("Reference or ID"), max_length=120),
        EvidenceField.AMOUNT: lambda: forms.DecimalField(
            label=_("Value (USD)"), min_value=0, max_digits=14, decimal_places=2
        ),
        EvidenceField.COUNTRY: lambda: forms.CharField(
            label=_("Buyer country"), max_length=60, help_text=_("Name or code, e.g. United Arab Emirates or AE.")
        ),
        EvidenceField.DATE: lambda: forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"})),
        EvidenceField.FILE: lambda: MultipleFileField(
            label=_("Files"),
            help_text=_("PDF, image or Office files, up to 5 MB each; up to %(count)s at once.") % {"count": MAX_FILES},
        ),
        EvidenceField.NOTE: lambda: forms.CharField(
            label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
        ),
    }
    # Minimum counts that make a stage true (docs/domain.md#the-listing-stages: at least 10 products live).
    MINIMUM_NUMBER = {"products_listed": 10, "first_inquiry": 1}

    def __init__(self, *args, stage, previous=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.previous = previous
        # Only known fields: a name the stage's row holds but the portal does not know is ignored.
        required = stage.required_evidence
        optional = [EvidenceField.NOTE, EvidenceField.FILE]
        for name in required:
            self._add_evidence_field(name, required=True)
        # The checklist's documents, one labelled slot each, before the optional note and files.
        for kind in stage.required_documents:
            self.fields[document_field_name(kind)] = document_field(kind)
        for name in [f for f in optional if f not in required]:
            self._add_evidence_field(name, required=False)
        if stage.required_documents and EvidenceField.FILE not in required:
            self.fields["evidence_file"].label = _("Other files (optional)")
        if previous is not None:
            self._offer_previous(previous)

    def _add_evidence_field(self, name: EvidenceField, *, required: bool) -> None:
        field = self.FIELDS[name]()
        field.required = required
        self.fields[EVIDENCE_ATTRIBUTES[name]] = field

    def _offer_previous(self, previous) -> None:
        """After a rejection: start from what was sent, and offer its files again without uploading."""
        for name in self.fields:
            value = getattr(previous, name, None)
            if name != "evidence_file" and value not in (None, ""):
                self.initial.setdefault(name, value)
        files = previous.all_files()
        if files:
            names = ", ".join(f.file_name for f in files)
            self.fields["reuse_files"] = forms.BooleanField(
                required=False,
                initial=True,
                label=ngettext(
                    "Send the previous file again (%(names)s)", "Send the previous files again (%(names)s)", len(files)
                )
                % {"names": names},
            )
            self.fields["evidence_file"].required = False
        # A checklist document the rejected claim already had may be sent again instead of uploaded.
        sent = {document.kind: document for document in previous.documents.all() if document.kind}
        for kind in self.stage.required_documents:
            if kind in sent:
                slot = self.fields[document_field_name(kind)]
                slot.required = False
                slot.help_text = _("Leave empty to send “%(name)s” again. %(help)s") % {
                    "name": sent[kind].file_name,
                    "help": slot.help_text,
                }

    def _can_send_again(self, kind: str) -> bool:
        if self.previous is None or not self.cleaned_data.get("reuse_files"):
            return False
        return any(document.kind == kind for document in self.previous.documents.all())

    def clean(self):
        cleaned = super().clean()
        needs_file = EvidenceField.FILE in self.stage.required_evidence and not self.has_error("evidence_file")
        if needs_file and not cleaned.get("evidence_file") and not cleaned.get("reuse_files"):
            self.add_error("evidence_file", _("Upload the file(s) this stage asks for."))
        for kind in self.stage.required_documents:
            name = document_field_name(kind)
            if not self.has_error(name) and not cleaned.get(name) and not self._can_send_again(kind):
                self.add_error(name, _("Upload the %(document)s.") % {"document": in_sentence(kind.label)})
        return cleaned

    def clean_evidence_country(self) -> str:
        return (
            v.clean_country(self.cleaned_data["evidence_country"]) if self.cleaned_data.get("evidence_country") else ""
        )

    def clean_evidence_date(self):
        value = self.cleaned_data.get("evidence_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("This date is in the future."))
        return value

    def clean_evidence_number(self):
        value = self.cleaned_data.get("evidence_number")
        minimum = self.MINIMUM_NUMBER.get(self.stage.code)
        if value is not None and minimum and value < minimum:
            raise ValidationError(
                _("“%(stage)s” needs at least %(minimum)s.") % {"stage": self.stage, "minimum": minimum}
            )
        return value

    def evidence(self) -> dict:
        """The claim's fields; the first uploaded file is its `evidence_file`."""
        skip = ("evidence_file", "reuse_files")
        evidence = {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in skip and not k.startswith(DOCUMENT_PREFIX) and v not in (None, "")
        }
        if self.uploads():
            evidence["evidence_file"] = self.uploads()[0]
        return evidence

    def uploads(self) -> list:
        return list(self.cleaned_data.get("evidence_file") or [])

    def more_documents(self) -> list:
        """Uploaded files after the first: the claim's further documents."""
        return self.uploads()[1:]

    def checklist(self) -> dict:
        """The uploaded checklist documents: kind -> file."""
        uploads = {kind: self.cleaned_data.get(document_field_name(kind)) for kind in self.stage.required_documents}
        return {kind: upload for kind, upload in uploads.items() if upload}

    def reuse_from(self):
        """The rejected claim whose files are sent again where no new upload replaces them."""
        return self.previous if self.cleaned_data.get("reuse_files") else None


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the startup"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class RejectForm(forms.Form):
    """A rejection: the note is the reason, which the startup sees."""

    note = forms.CharField(
        label=gettext_lazy("Note to the startup"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": gettext_lazy("Say why the evidence is rejected: the startup sees this note.")},
    )


class ApproveForm(ReviewForm):
    """An approval: the note, and the reason for approving "Contacted" before the exporter
    confirmed the contact (asked only then; the service says when it is needed)."""

    unconfirmed_reason = forms.CharField(
        label=gettext_lazy("Approve without the exporter's confirmation because"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "Only when the exporter has not confirmed the contact: kept on the claim and in the monthly pack."
        ),
    )


class UndoForm(forms.Form):
    """Undoing a decision takes nothing but the claim (in the path): any body field is refused."""


class SetStageForm(forms.Form):
    stage = IdModelChoiceField(queryset=None, label=gettext_lazy("Stage"))
    reason = forms.CharField(
        max_length=500, label=gettext_lazy("Reason"), help_text=gettext_lazy("Recorded on the exporter's timeline.")
    )

    def __init__(self, *args, stages=None, **kwargs):
        """`stages`: the ordered stages when the page has them already (offered as they are;
        an answer is still checked against the table)."""
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.ordered()
        if stages is not None:
            self.fields["stage"].choices = [("", self.fields["stage"].empty_label), *((s.pk, str(s)) for s in stages)]
