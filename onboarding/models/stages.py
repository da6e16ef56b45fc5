from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Expression, F, IntegerField
from django.db.models.functions import Lower, Upper
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choice_labels import ChoiceLabels
from .files import PrivateFileMixin, PrivateUploadPath
from .scoped import ScopedQuerySet
from .shown_as import ShownAs


class EvidenceField(models.TextChoices):
    """What a stage may require as proof; each maps to a StageEvent column."""

    URL = "url", _("URL")
    NUMBER = "number", _("Count")
    REFERENCE = "reference", _("Reference")
    AMOUNT = "amount", _("Value (USD)")
    COUNTRY = "country", _("Buyer country")
    DATE = "date", _("Date")
    FILE = "file", _("File")
    NOTE = "note", _("Note")


# What a stage requires -> the StageEvent column that holds it.
EVIDENCE_ATTRIBUTES = {
    EvidenceField.URL: "evidence_url",
    EvidenceField.NUMBER: "evidence_number",
    EvidenceField.REFERENCE: "evidence_reference",
    EvidenceField.AMOUNT: "evidence_amount",
    EvidenceField.COUNTRY: "evidence_country",
    EvidenceField.DATE: "evidence_date",
    EvidenceField.FILE: "evidence_file",
    EvidenceField.NOTE: "note",
}


class DocumentKind(models.TextChoices):
    """A document a stage may require, each a separate upload of its own kind (its checklist)."""

    GST_CERTIFICATE = "gst_certificate", _("GST certificate")
    IEC_CERTIFICATE = "iec_certificate", _("IEC certificate")
    BANK_PROOF = "bank_proof", _("Bank proof (cancelled cheque or bank letter)")
    CATALOGUE = "catalogue", _("Product catalogue")
    MEMBERSHIP_CONTRACT = "membership_contract", _("Membership contract")


# The file types each kind may be (checked by content too, validators.validate_attachment):
# certificates and proofs are scans or photos; a catalogue is often a price-list spreadsheet.
SCANS = (".pdf", ".jpg", ".jpeg", ".png")
DOCUMENT_FILE_TYPES = {
    DocumentKind.GST_CERTIFICATE: SCANS,
    DocumentKind.IEC_CERTIFICATE: SCANS,
    DocumentKind.BANK_PROOF: SCANS,
    DocumentKind.CATALOGUE: (*SCANS, ".xlsx"),
    DocumentKind.MEMBERSHIP_CONTRACT: SCANS,
}
# What a stored document without a kind (sent before checklists, or as an extra file) is called.
UNLABELLED = _("Other file")


def _given(value) -> bool:
    """Whether a piece of evidence was given: 0 is a count given, an empty file or text is not."""
    return value is not None and value != "" and (bool(value) or value == 0)


class StageQuerySet(models.QuerySet):
    def ordered(self) -> StageQuerySet:
        return self.order_by("order")


class Stage(ShownAs, models.Model):
    """A step on the listing path (docs/domain.md#the-listing-stages). Data, not code: admins can edit it."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    order = models.PositiveSmallIntegerField(unique=True)
    sla_days = models.PositiveSmallIntegerField(help_text=_("Days an exporter may stay here before it is stalled"))
    description = models.CharField(max_length=200, blank=True)
    evidence_fields = models.JSONField(default=list, blank=True, help_text=_("EvidenceField values required"))
    documents = models.JSONField(default=list, blank=True, help_text=_("DocumentKind values required, one upload each"))
    auto_approve = models.BooleanField(default=False)
    # Evidence sent sooner than this after the exporter's assignment or previous stage is
    # shown to officers as a fraud signal (reports/fraud_signals.py); it never blocks a claim.
    earliest_after_minutes = models.PositiveIntegerField(
        _("earliest after (minutes)"),
        default=0,
        db_default=0,
        help_text=_("A claim sent sooner after the assignment or previous stage is flagged, never refused."),
    )
    history = HistoricalRecords()

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["order"]

    STR_FIELDS = ("name",)

    def __str__(self) -> str:
        # The seeded stages' names have their Hindi in the catalogue (reference.STAGES); a name an
        # admin typed is shown as typed.
        return gettext(self.name)

    # Stage codes are named in code ("assigned", "contacted"…): plain lower-case words.
    CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

    def clean(self) -> None:
        errors = {}
        if not self.CODE_PATTERN.fullmatch(self.code or ""):
            errors["code"] = _(
                "Use lower-case letters, digits and underscores, starting with a letter (e.g. first_order)."
            )
        if self.order is not None and self.order < 1:
            errors["order"] = _("Stages are numbered from 1.")
        if problem := self.evidence_problem(self.evidence_fields):
            errors["evidence_fields"] = problem
        if problem := self.documents_problem(self.documents):
            errors["documents"] = problem
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def evidence_problem(fields) -> str | None:
        """Why `fields` cannot be a stage's required evidence, or None when it can."""
        return _choices_problem(
            fields,
            EvidenceField,
            (
                _("List the evidence as a list of field names."),
                _("Unknown evidence field: %(unknown)s. Choose from %(choices)s."),
                _("Each evidence field may be listed once."),
            ),
        )

    @staticmethod
    def documents_problem(kinds) -> str | None:
        """Why `kinds` cannot be a stage's document checklist, or None when it can."""
        return _choices_problem(
            kinds,
            DocumentKind,
            (
                _("List the documents as a list of document kinds."),
                _("Unknown document: %(unknown)s. Choose from %(choices)s."),
                _("Each document may be listed once."),
            ),
        )

    @property
    def required_documents(self) -> list[DocumentKind]:
        """The documents this stage asks for, as `required_evidence` reads its fields."""
        return _known_choices(self.documents, DocumentKind)

    @property
    def required_evidence(self) -> list[EvidenceField]:
        """The evidence this stage asks for: known fields, each once, in the stored order.
        `clean()` refuses anything else; a row written around it is still read without error."""
        return _known_choices(self.evidence_fields, EvidenceField)


def _choices_problem(values, choices, messages: tuple[str, str, str]) -> str | None:
    """Why `values` is not a list of distinct `choices`, said with `messages` (not a list, an
    unknown item, an item twice), or None when it is: a stage's evidence fields and its documents alike."""
    not_a_list, unknown_item, twice = messages
    if not isinstance(values, list):
        return str(not_a_list)
    unknown = [str(v) for v in values if v not in choices.values]
    if unknown:
        return str(unknown_item) % {"unknown": ", ".join(unknown), "choices": ", ".join(choices.values)}
    if len(set(values)) != len(values):
        return str(twice)
    return None


def _known_choices(values, choices) -> list:
    """The known `choices` among a stored JSON list, each once, in the stored order."""
    values = values if isinstance(values, list) else []
    return list(dict.fromkeys(choices(v) for v in values if isinstance(v, str) and v in choices.values))


# How long an officer may take back a decision; the startup is told of it only afterwards.
UNDO_WINDOW = timedelta(minutes=10)


class StageEventStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # The exporter left the startup (reassigned, returned to the pool, declined, the startup
    # exited) while the claim waited: it can never be approved.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class StageOrder(Expression):
    """The `order` of the stage whose id is in `column`, as `CASE column WHEN id THEN order …
    END` written from `stages` (every stage): comparing two stages' order needs no join to the
    stage table. Joined twice (a claim's stage and its exporter's), the table made PostgreSQL
    take 3.6 ms to plan a startup's unanswered rejections, which ran in 2; without the joins,
    1.1 and 0.8. NULL for no stage (an exporter not started), as the join left such rows out."""

    output_field = IntegerField()

    def __init__(self, column: str, stages):
        super().__init__()
        self.column = F(column)
        self.orders = tuple((stage.pk, stage.order) for stage in stages)

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        if not self.orders:
            return "NULL", []
        column, column_params = compiler.compile(self.column)
        params = [*column_params, *(value for pair in self.orders for value in pair)]
        return f"(CASE {column}{' WHEN %s THEN %s' * len(self.orders)} END)", params


class StageEventQuerySet(ScopedQuerySet):
    # A startup sees the claims it made (stored on the claim, not derived from whoever
    # holds the exporter now): ScopedQuerySet's default `startup_id` lookup.

    def reached_on(self) -> dict[int, object]:
        """Stage id -> when it was first approved, whoever claimed it: what the step bar shows
        everyone who may see the exporter (dates only, never the evidence)."""
        rows = self.filter(status=StageEventStatus.APPROVED).order_by("reviewed_at")
        reached: dict[int, object] = {}
        for stage_id, when in rows.values_list("stage_id", "reviewed_at"):
            reached.setdefault(stage_id, when)
        return reached

    def waiting(self) -> StageEventQuerySet:
        """Evidence waiting for review, oldest first, with what a review card shows."""
        return (
            self.filter(status=StageEventStatus.SUBMITTED)
            .select_related("exporter", "startup", "stage", "submitted_by")
            .order_by("submitted_at", "pk")
        )

    def announcement_due(self) -> StageEventQuerySet:
        """Officers' decisions the startup has not been told of yet (read off a small partial index)."""
        return self.filter(announcement_due=True)

    def undoable_by(self, user, now: datetime) -> StageEventQuerySet:
        """The decisions `user` made within UNDO_WINDOW and may still take back, newest first."""
        return (
            self.announcement_due()
            .filter(reviewed_by=user, reviewed_at__gt=now - UNDO_WINDOW)
            .select_related("exporter", "stage")
            .order_by("-reviewed_at", "-pk")
        )

    def withdrawn_since(self, when) -> StageEventQuerySet:
        """Claims withdrawn since `when` (the exporter left the startup), newest first."""
        return (
            self.filter(status=StageEventStatus.WITHDRAWN, reviewed_at__gte=when)
            .select_related("exporter", "stage")
            .order_by("-reviewed_at")
        )

    def last_rejected(self, *, exporter, stage) -> StageEvent | None:
        """The newest claim for `exporter` and `stage` when it was rejected (what a resubmission answers), else None."""
        latest = self.filter(exporter=exporter, stage=stage).exclude(status=StageEventStatus.WITHDRAWN)
        latest = latest.select_related("reviewed_by").prefetch_related("documents").order_by("-submitted_at", "-pk")
        event = latest.first()
        return event if event is not None and event.status == StageEventStatus.REJECTED else None

    def rejected_open_newest(self, limit: int = 20, window: int = 60, stages=None) -> list[StageEvent]:
        """The newest `limit` rejections the startup has not yet answered (no newer claim for
        that stage, stage not reached), newest first, each with its exporter and stage. Looked
        for first among the newest `window` rejections (a subquery read off the partial index of
        a startup's rejections). Exact: when the window holds `limit` open ones, every older
        rejection is older than they are; when it does not and older rejections exist, every
        rejection is read. `stages`: every stage (read if not given), for their order and names."""
        stages = list(Stage.objects.all() if stages is None else stages)
        rejected = self.filter(status=StageEventStatus.REJECTED)
        newest = rejected.order_by("-reviewed_at", "-pk").values("pk")[:window]
        found = list(self.filter(pk__in=newest)._rejected_open(stages)[:limit])
        if len(found) < limit and rejected.order_by()[window : window + 1].exists():
            found = list(self._rejected_open(stages)[:limit])
        by_pk = {stage.pk: stage for stage in stages}
        for event in found:
            event.stage = by_pk[event.stage_id]
        return found

    def _rejected_open(self, stages: list[Stage]) -> StageEventQuerySet:
        newer = StageEvent.objects.filter(
            exporter=models.OuterRef("exporter"),
            stage=models.OuterRef("stage"),
            submitted_at__gt=models.OuterRef("submitted_at"),
        )
        claimed, reached = StageOrder("stage_id", stages), StageOrder("exporter__current_stage_id", stages)
        return (
            self.filter(status=StageEventStatus.REJECTED)
            .filter(GreaterThan(claimed, reached))
            .filter(exporter__startup_id=models.F("startup_id"))  # still theirs to answer
            .exclude(models.Exists(newer))
            # Reviewers (a few staff) come in a second query: a fifth join doubled the planning.
            .select_related("exporter")
            .prefetch_related("reviewed_by")
            .order_by("-reviewed_at")
        )


class StageEvent(ChoiceLabels, PrivateFileMixin, models.Model):
    """A claim that an exporter reached a stage, with its evidence. Append-only."""

    # Both indexed first in (exporter, submitted_at) and (startup, submitted_at) below.
    exporter = models.ForeignKey(
        "onboarding.Exporter", on_delete=models.CASCADE, related_name="stage_events", db_index=False
    )
    # Whose claim this is: the startup holding the exporter when it was made. Set once by
    # the service; it never follows the exporter to another startup. None: made in the pool.
    startup = models.ForeignKey(
        "onboarding.Startup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stage_events",
        db_index=False,
    )
    assignment = models.ForeignKey(
        "onboarding.Assignment", null=True, blank=True, on_delete=models.PROTECT, related_name="stage_events"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="events")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(db_index=True)
    evidence_url = models.URLField(blank=True)
    evidence_number = models.PositiveIntegerField(null=True, blank=True)
    evidence_reference = models.CharField(max_length=120, blank=True)
    evidence_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    evidence_country = models.CharField(max_length=2, blank=True)
    evidence_date = models.DateField(null=True, blank=True)
    evidence_file = models.FileField(upload_to=PrivateUploadPath("evidence"), blank=True)
    # db_default too: bulk loads (COPY) that name only the older columns still get "".
    evidence_file_name = models.CharField(_("file name"), max_length=255, blank=True, default="", db_default="")
    # The first file's content digest, set where it is stored: the same file in another
    # exporter's or startup's claim is a fraud signal. "" without a file (or before the backfill).
    evidence_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True, default="", db_default="")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=StageEventStatus.choices, default=StageEventStatus.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    # What an officer's approval changed on the exporter (stage, when it entered it, marketplace
    # fields), kept so the officer can undo the decision within UNDO_WINDOW. Nullable (and a
    # db_default for the flag below) so that bulk loads (COPY) naming only older columns work.
    undo_state = models.JSONField(null=True, blank=True)
    # The startup is still to be told of an officer's decision: it is, once UNDO_WINDOW has
    # passed without an undo, so an undone decision is never announced.
    announcement_due = models.BooleanField(default=False, db_default=False)
    # Why an officer approved "Contacted" before the exporter confirmed the contact; empty for
    # every other approval. db_default: bulk loads that name only the older columns get "".
    unconfirmed_reason = models.CharField(
        _("approved without the exporter's confirmation because"), max_length=500, blank=True, default="", db_default=""
    )

    objects = StageEventQuerySet.as_manager()
    file_field, file_name_field, download_route = "evidence_file", "evidence_file_name", "onboarding:file-evidence"

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            # Claims waiting for review, oldest first (the queue, its badge, the reminders): a
            # few per cent of the claims, so the index is small and quick to build.
            models.Index(
                fields=["submitted_at", "id"], condition=models.Q(status="submitted"), name="stageevent_waiting"
            ),
            models.Index(fields=["exporter", "submitted_at"]),
            models.Index(fields=["startup", "submitted_at"]),
            # A startup's home lists its newest unanswered rejections: read newest first off this
            # index until twenty qualify, instead of every claim of every exporter it holds.
            models.Index(
                fields=["startup", "-reviewed_at"],
                condition=models.Q(status="rejected"),
                name="stageevent_rejected_recent",
            ),
            # Its claims withdrawn lately (the exporter left it): a handful, found without
            # reading every claim of the startup.
            models.Index(
                fields=["startup", "-reviewed_at"],
                condition=models.Q(status="withdrawn"),
                name="stageevent_withdrawn_recent",
            ),
            # Officers' decisions not yet announced (the last ten minutes'): the announcing job
            # and a reviewer's undo panel read this handful, never the whole history.
            models.Index(
                fields=["reviewed_at"],
                condition=models.Q(announcement_due=True),
                name="stageevent_unannounced",
            ),
            # The fraud signals look up files, links and references across every claim.
            models.Index(
                fields=["evidence_sha256"], condition=~models.Q(evidence_sha256=""), name="stageevent_file_sha256"
            ),
            # A link's or reference's claims in time order, read a few at a time by the review
            # queue's "same link or reference" signal (a generic link may be in thousands).
            models.Index(
                Lower("evidence_url"),
                F("submitted_at"),
                F("id"),
                condition=~models.Q(evidence_url=""),
                name="stageevent_url_time",
            ),
            models.Index(
                Upper("evidence_reference"),
                F("submitted_at"),
                F("id"),
                condition=~models.Q(evidence_reference=""),
                name="stageevent_reference_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exporter} → {self.stage} ({self.get_status_display()})"

    def all_files(self) -> list:
        """The claim's files, each with `file_name` and `download_url`: the first, then further documents."""
        first = [self] if self.evidence_file else []
        return first + list(self.documents.all())

    def missing_evidence(self) -> list[str]:
        """What the stage requires and this claim lacks, in plain labels: its evidence fields,
        then the documents of its checklist with no stored document of that kind."""
        stage = self.stage
        missing = [str(f.label) for f in stage.required_evidence if not _given(getattr(self, EVIDENCE_ATTRIBUTES[f]))]
        if stage.required_documents:
            received = {document.kind for document in self.documents.all()}
            missing += [str(kind.label) for kind in stage.required_documents if kind not in received]
        return missing

    def evidence_fields_shown(self) -> list[tuple[str, object]]:
        """(label, value) of each piece of evidence given, files and note aside, for people to read."""
        labels = {attr: EvidenceField(name).label for name, attr in EVIDENCE_ATTRIBUTES.items()}
        skip = ("evidence_file", "note")
        return [(labels[a], getattr(self, a)) for a in labels if a not in skip and getattr(self, a) not in (None, "")]


class EvidenceDocumentQuerySet(ScopedQuerySet):
    # A document is its claim's: the startup that made the claim, never whoever holds the exporter now.
    startup_lookup = "event__startup_id"


class EvidenceDocument(ChoiceLabels, PrivateFileMixin, models.Model):
    """A further file of a claim, beyond `StageEvent.evidence_file` (the first): stages such as
    "Documents collected" are proven by several documents. Append-only, like its claim."""

    event = models.ForeignKey(StageEvent, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=PrivateUploadPath("evidence"))
    file_name_kept = models.CharField(_("file name"), max_length=255, blank=True)
    # As StageEvent.evidence_sha256, for this file.
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, default="", db_default="")
    position = models.PositiveSmallIntegerField(default=1)
    # Which of its stage's checklist documents this is; blank for an extra file or one sent before checklists.
    kind = models.CharField(max_length=30, choices=DocumentKind.choices, blank=True, default="", db_default="")

    objects = EvidenceDocumentQuerySet.as_manager()
    file_field, file_name_field, download_route = "file", "file_name_kept", "onboarding:file-evidence-document"

    class Meta:
        ordering = ["event", "position", "pk"]
        indexes = [models.Index(fields=["sha256"], condition=~models.Q(sha256=""), name="evidencedocument_sha256")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def kind_label(self) -> str:
        """What the document is, for people ("GST certificate", or "Other file" without a kind)."""
        return self.get_kind_display() if self.kind else UNLABELLED
