"""The work log and milestone evidence: logging work, submitting and reviewing stages."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import (
    Activity,
    Assignment,
    Commission,
    ConfirmationRequest,
    Dispute,
    EvidenceDocument,
    Exporter,
    Stage,
    StageEvent,
    User,
)
from ..models.activities import OUTCOME_KINDS, ContactOutcome
from ..models.commissions import CommissionStatus
from ..models.files import content_sha256
from ..models.stages import EVIDENCE_ATTRIBUTES, UNDO_WINDOW, DocumentKind, EvidenceField, StageEventStatus
from .audit import as_actor, log_action
from .commissions import commission_accrue
from .exporter_link import confirmation_ask_activity, confirmation_ask_milestone, exporter_news
from .summary import summary_changed

# What an approved stage teaches us about the exporter's marketplace presence.
EXPORTER_FIELDS_FROM_EVIDENCE = {
    "account_created": ("evidence_reference", "marketplace_member_id"),
    "storefront_live": ("evidence_url", "storefront_url"),
    "products_listed": ("evidence_number", "products_listed"),
}
# A logged call or visit that reached the exporter (Activity.reached) is proof of first contact.
OUTCOME_NEEDED = gettext_lazy(
    "Say how the call or visit went: only a call or visit that reached the exporter counts as contact."
)
# The code of a refusal because someone else got there first: the API answers it with 409.
CONFLICT = "conflict"


def in_english(label) -> str:
    """A label as the database keeps it (notes, history reasons, the audit log): in English,
    whatever the reader's language."""
    with translation.override("en"):
        return str(label)


def claim_decided_error(event: StageEvent) -> ValidationError:
    """The refusal for deciding a claim that is no longer waiting: said the same on pages and API."""
    status = event.get_status_display().lower()
    return ValidationError(
        _("This claim is already %(status)s: nothing was changed.") % {"status": status}, code=CONFLICT
    )


def _open_assignment(exporter: Exporter) -> Assignment | None:
    return exporter.assignments.open().first()


def _lock(exporter: Exporter) -> Exporter:
    # of=("self",): PostgreSQL cannot lock the nullable side of the stage join, nor need it.
    return Exporter.objects.select_for_update(of=("self",)).select_related("current_stage").get(pk=exporter.pk)


def _can_work_on(user: User, exporter: Exporter) -> bool:
    membership = user.active_membership
    return user.is_programme_staff or (
        exporter.startup_id is not None and membership is not None and membership.startup_id == exporter.startup_id
    )


@transaction.atomic
def activity_log(
    *,
    actor: User,
    exporter: Exporter,
    kind: str,
    occurred_at: datetime,
    duration_minutes: int | None = None,
    note: str = "",
    attachment=None,
    outcome: str = "",
) -> Activity:
    """Record work on an exporter (a call or visit with its `outcome`); refreshes its last
    activity, asks the exporter to confirm it, and a reached call or visit claims `contacted`."""
    _check_outcome(kind, outcome)
    exporter = _lock(exporter)
    if exporter.startup_id is None:
        raise ValidationError(_("This exporter is not assigned to a startup, so no work can be logged on it."))
    if not _can_work_on(actor, exporter):
        raise PermissionDenied
    activity = Activity.objects.create(
        startup_id=exporter.startup_id,
        exporter=exporter,
        user=actor,
        kind=kind,
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        note=note,
        outcome=outcome,
        attachment=attachment or "",
        attachment_name=getattr(attachment, "name", "")[:255],
    )
    confirmation_ask_activity(activity=activity)
    if exporter.last_activity_at is None or occurred_at > exporter.last_activity_at:
        exporter.last_activity_at = occurred_at
        exporter.save(update_fields=["last_activity_at"])
        summary_changed()  # an exporter with fresh work is no longer stalled
    if activity.reached:
        _auto_contact(actor=actor, exporter=exporter, activity=activity)
    return activity


def _check_outcome(kind: str, outcome: str) -> None:
    """A call or visit says how it went (one of ContactOutcome); other work has no outcome."""
    if kind in OUTCOME_KINDS and outcome not in ContactOutcome.values:
        raise ValidationError({"outcome": OUTCOME_NEEDED})
    if kind not in OUTCOME_KINDS and outcome:
        raise ValidationError({"outcome": _("Only a call or visit has an outcome: leave it empty for other work.")})


def _auto_contact(*, actor: User, exporter: Exporter, activity: Activity) -> None:
    contacted = Stage.objects.filter(code="contacted", auto_approve=True).first()
    current_order = exporter.current_stage.order if exporter.current_stage else 0
    if contacted is None or contacted.order != current_order + 1:
        return
    event = StageEvent.objects.create(
        exporter=exporter,
        startup_id=exporter.startup_id,
        assignment=_open_assignment(exporter),
        stage=contacted,
        submitted_by=actor,
        submitted_at=timezone.now(),
        note=f"{in_english(activity.get_kind_display())} logged (reached): {activity.note}".strip(": "),
    )
    if settings.REQUIRE_CONFIRMED_CONTACT or _dispute_holding(event):
        return  # an officer approves it once the exporter has confirmed the contact
    note = "Approved automatically: a call or visit that reached the exporter was logged."
    _approve(event=event, exporter=exporter, reviewer=None, note=note)


@transaction.atomic
def stage_event_submit(
    *,
    actor: User,
    exporter: Exporter,
    stage: Stage,
    evidence: dict,
    documents: list | tuple = (),
    checklist: dict | None = None,
    reuse_from: StageEvent | None = None,
) -> StageEvent:
    """Claim the exporter's next stage with evidence: further `documents` beside the first file,
    the stage's `checklist` documents (kind -> file), and the files of the rejected claim
    `reuse_from` sent again where nothing new replaces them; auto-approve stages advance at once."""
    exporter = _lock(exporter)
    checklist = dict(checklist or {})
    fresh_files = bool(evidence.get("evidence_file") or documents)
    if reuse_from is not None:
        again = _files_of_rejected(reuse_from, exporter=exporter, stage=stage)
        evidence = evidence if fresh_files else {**evidence, **again}
    if not _can_work_on(actor, exporter) or exporter.startup_id is None:
        raise PermissionDenied
    expected = exporter.next_stage(list(Stage.objects.ordered()))
    if expected is None or expected.pk != stage.pk:
        if expected is None:
            raise ValidationError(_("The next stage for this exporter is none: it has finished."))
        raise ValidationError(_("The next stage for this exporter is %(stage)s.") % {"stage": expected})
    if StageEvent.objects.filter(exporter=exporter, stage=stage, status=StageEventStatus.SUBMITTED).exists():
        raise ValidationError(_("Evidence for “%(stage)s” is already waiting for review.") % {"stage": stage})
    rows = _document_rows(stage, checklist, documents, reuse_from, fresh_files)
    received = {kind for kind, _stored, _name, _sha256 in rows}
    missing = [str(EvidenceField(f).label) for f in stage.required_evidence if not evidence.get(EVIDENCE_ATTRIBUTES[f])]
    missing += [str(kind.label) for kind in stage.required_documents if kind not in received]
    if missing:
        raise ValidationError(_("Missing evidence: %(missing)s.") % {"missing": ", ".join(missing)})
    upload = evidence.get("evidence_file")
    event = StageEvent.objects.create(
        exporter=exporter,
        startup_id=exporter.startup_id,
        assignment=_open_assignment(exporter),
        stage=stage,
        submitted_by=actor,
        submitted_at=timezone.now(),
        evidence_file_name=evidence.get("evidence_file_name") or getattr(upload, "name", "")[:255],
        evidence_sha256=evidence.get("evidence_sha256") or content_sha256(upload),
        **{attr: value for attr, value in evidence.items() if attr in EVIDENCE_ATTRIBUTES.values()},
    )
    confirmation_ask_milestone(event=event)
    for position, (kind, stored, name, sha256) in enumerate(rows, start=2):
        EvidenceDocument.objects.create(
            event=event, kind=kind, file=stored, file_name_kept=name, sha256=sha256, position=position
        )
    # Submitting evidence is work on the exporter: it is not stalled while an officer reviews.
    exporter.last_activity_at = event.submitted_at
    exporter.save(update_fields=["last_activity_at"])
    summary_changed()
    if stage.auto_approve and not _dispute_holding(event):
        _approve(event=event, exporter=exporter, reviewer=None, note="Approved automatically for this stage.")
    return event


def _files_of_rejected(previous: StageEvent, *, exporter: Exporter, stage: Stage) -> dict:
    """The first file of a rejected claim of the same startup, exporter and stage, to send again.
    Stored files are never changed or deleted, so the new claim may point at the same one."""
    same = (previous.exporter_id, previous.stage_id, previous.startup_id) == (
        exporter.pk,
        stage.pk,
        exporter.startup_id,
    )
    if not same or previous.status != StageEventStatus.REJECTED:
        raise ValidationError(_("Only the files of this exporter's rejected claim for this stage can be sent again."))
    if not previous.evidence_file:
        return {}
    return {
        "evidence_file": previous.evidence_file.name,
        "evidence_file_name": previous.evidence_file_name,
        "evidence_sha256": previous.evidence_sha256,
    }


def _fresh(upload) -> tuple:
    """(file, name, SHA-256) of a new upload: the digest lets officers spot one file in two claims."""
    return upload, getattr(upload, "name", "")[:255], content_sha256(upload)


def _document_rows(stage: Stage, checklist: dict, uploads, reuse_from: StageEvent | None, fresh_files: bool) -> list:
    """(kind, file, name, SHA-256) of the claim's further documents: the checklist's in the stage's order,
    then the unlabelled ones. A rejected claim's document is sent again unless replaced: a
    checklist document by a new one of its kind, the unlabelled ones by any new file."""
    unknown = [str(kind) for kind in checklist if kind not in DocumentKind.values]
    if unknown:
        raise ValidationError(_("Unknown document: %(unknown)s.") % {"unknown": ", ".join(unknown)})
    labelled = {kind: _fresh(upload) for kind, upload in checklist.items()}
    unlabelled = [_fresh(upload) for upload in uploads]
    if reuse_from is not None:
        for document in reuse_from.documents.all():
            if document.kind:
                labelled.setdefault(document.kind, (document.file.name, document.file_name, document.sha256))
            elif not fresh_files:
                unlabelled.append((document.file.name, document.file_name, document.sha256))
    order = {kind: index for index, kind in enumerate(stage.required_documents)}
    kinds = sorted(labelled, key=lambda kind: order.get(kind, len(order)))
    return [(kind, *labelled[kind]) for kind in kinds] + [("", *row) for row in unlabelled]


def _check_reviewer(actor: User, event: StageEvent) -> None:
    if not actor.is_programme_staff:
        raise PermissionDenied(_("Only programme officers and admins review evidence."))
    if event.submitted_by_id == actor.pk:
        raise PermissionDenied(_("Evidence is reviewed by someone other than who submitted it."))


def _approve(*, event: StageEvent, exporter: Exporter, reviewer: User | None, note: str) -> StageEvent:
    now = timezone.now()
    undo = {
        "stage": exporter.current_stage_id,
        "entered": exporter.stage_entered_at and exporter.stage_entered_at.isoformat(),
    }
    event.status = StageEventStatus.APPROVED
    event.reviewed_by = reviewer
    event.reviewed_at = now
    event.review_note = note
    current = exporter.current_stage.order if exporter.current_stage else 0
    if event.stage.order > current:
        exporter.current_stage = event.stage
        exporter.stage_entered_at = now
        exporter_news(exporter_id=exporter.pk, now=now)
    source, target = EXPORTER_FIELDS_FROM_EVIDENCE.get(event.stage.code, (None, None))
    if source and getattr(event, source) not in (None, ""):
        undo["fields"] = {target: getattr(exporter, target)}
        setattr(exporter, target, getattr(event, source))
    as_actor(exporter, reviewer).save()
    summary_changed()
    commission = commission_accrue(event=event, actor=reviewer)
    undo["commission"] = commission.pk if commission is not None and commission.stage_event_id == event.pk else None
    # An officer's decision is announced once it can no longer be undone; automatic ones never.
    event.undo_state, event.announcement_due = undo, reviewer is not None
    event.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "undo_state", "announcement_due"])
    return event


def _contact_unconfirmed(event: StageEvent) -> bool:
    """With REQUIRE_CONFIRMED_CONTACT, whether the claim is "contacted" and the exporter has not
    yet said yes to a reached call or visit of the claim's startup (what its approval needs)."""
    if not settings.REQUIRE_CONFIRMED_CONTACT or event.stage.code != "contacted":
        return False
    confirmed = ConfirmationRequest.objects.contact_confirmed()
    return not confirmed.filter(exporter_id=event.exporter_id, startup_id=event.startup_id).exists()


def _check_confirmed_contact(event: StageEvent, unconfirmed_reason: str) -> str:
    """The reason kept on the claim: "" when the exporter confirmed (or no confirmation is
    needed); else the officer's reason, refused when blank."""
    if not _contact_unconfirmed(event):
        return ""
    reason = unconfirmed_reason.strip()
    if not reason:
        raise ValidationError(
            _(
                "The exporter has not confirmed a call or visit from this startup yet: the programme approves "
                "“contacted” only after they do, or with your reason for approving without their confirmation."
            )
        )
    return reason[:500]


def _dispute_holding(event: StageEvent) -> Dispute | None:
    """The open dispute of the claim's exporter about the claiming startup, if any."""
    return Dispute.objects.open().filter(exporter_id=event.exporter_id, startup_id=event.startup_id).first()


def _check_no_dispute(event: StageEvent) -> None:
    """An exporter's open dispute holds the startup's claims for them until an officer resolves it."""
    if _dispute_holding(event) is not None:
        raise ValidationError(
            _("The exporter disputes the work of %(startup)s: resolve the dispute first, then decide this claim.")
            % {"startup": event.startup},
            code=CONFLICT,
        )


def _check_complete(event: StageEvent) -> None:
    """A claim is approved only with every field and document its stage requires."""
    if missing := event.missing_evidence():
        raise ValidationError(
            _("Missing: %(missing)s. Nothing was approved: reject it with a note asking the startup to send them.")
            % {"missing": ", ".join(missing)}
        )


def _lock_claim(event: StageEvent) -> tuple[StageEvent, Exporter]:
    """Lock the claim's exporter, then the claim, and check it can still be decided.

    The exporter first, as assignment changes lock it before withdrawing its claims:
    an approval and a reassignment of the same exporter take turns, never deadlock,
    and whichever comes second sees what the first did.
    """
    exporter = _lock(Exporter(pk=event.exporter_id))
    event = StageEvent.objects.select_for_update(of=("self",)).select_related("stage", "startup").get(pk=event.pk)
    if event.status != StageEventStatus.SUBMITTED:
        raise claim_decided_error(event)
    if event.startup_id != exporter.startup_id:
        raise ValidationError(
            _("%(startup)s no longer works this exporter, so its claim cannot be decided.") % {"startup": event.startup}
        )
    return event, exporter


@transaction.atomic
def stage_event_approve(*, actor: User, event: StageEvent, note: str = "", unconfirmed_reason: str = "") -> StageEvent:
    """Approve a waiting claim of the exporter's current startup: advances the stage and
    accrues any commission (once) to that startup; "contacted" before the exporter confirmed
    it needs `unconfirmed_reason`, kept on the claim and in the admin log."""
    event, exporter = _lock_claim(event)
    _check_reviewer(actor, event)
    _check_no_dispute(event)
    _check_complete(event)
    reason = _check_confirmed_contact(event, unconfirmed_reason)
    if reason:
        event.unconfirmed_reason = reason
        event.save(update_fields=["unconfirmed_reason"])
        message = f"Approved “{event.stage.name}” without the exporter's confirmation: {reason}"
        log_action(actor=actor, subject=event, message=message)
    return _approve(event=event, exporter=exporter, reviewer=actor, note=note)


@transaction.atomic
def stage_event_reject(*, actor: User, event: StageEvent, note: str) -> StageEvent:
    """Reject evidence with a reason the startup will see on its home page."""
    if not note.strip():
        raise ValidationError(_("Say why the evidence is rejected: the startup sees this note."))
    event, _exporter = _lock_claim(event)
    _check_reviewer(actor, event)
    event.status = StageEventStatus.REJECTED
    event.reviewed_by = actor
    event.reviewed_at = timezone.now()
    event.review_note = note.strip()
    event.undo_state, event.announcement_due = None, True  # told once it can no longer be undone
    event.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "undo_state", "announcement_due"])
    return event


@transaction.atomic
def stage_event_undo(*, actor: User, event: StageEvent) -> StageEvent:
    """Take back one's own decision within UNDO_WINDOW: the claim waits again, and an approval's
    stage, marketplace fields and accrued commission are put back. Nothing was announced yet.
    Logged on the exporter."""
    exporter = _lock(Exporter(pk=event.exporter_id))
    event = StageEvent.objects.select_for_update(of=("self",)).select_related("stage", "startup").get(pk=event.pk)
    _check_undoable(actor, event)
    if event.startup_id != exporter.startup_id:  # the claim could never be decided again
        raise ValidationError(
            _("%(startup)s no longer works this exporter: this decision stands.") % {"startup": event.startup},
            code=CONFLICT,
        )
    verdict = in_english(event.get_status_display()).lower()  # for the audit log, kept in English
    if event.status == StageEventStatus.APPROVED:
        _put_back(event, exporter, actor)
    event.status, event.reviewed_by, event.reviewed_at, event.review_note = StageEventStatus.SUBMITTED, None, None, ""
    event.undo_state, event.announcement_due, event.unconfirmed_reason = None, False, ""
    fields = ["status", "reviewed_by", "reviewed_at", "review_note", "undo_state", "announcement_due"]
    event.save(update_fields=[*fields, "unconfirmed_reason"])
    log_action(
        actor=actor,
        subject=exporter,
        message=f"Undid the decision ({verdict}) on “{event.stage.name}”: it waits again.",
    )
    summary_changed()
    return event


def _check_undoable(actor: User, event: StageEvent) -> None:
    if event.reviewed_by_id != actor.pk:
        raise PermissionDenied(_("Only the officer who made a decision can undo it."))
    if not event.announcement_due or event.reviewed_at < timezone.now() - UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise ValidationError(
            _("A decision can be undone for %(minutes)s minutes only: this one stands.") % {"minutes": minutes},
            code=CONFLICT,
        )


def _put_back(event: StageEvent, exporter: Exporter, actor: User) -> None:
    """Undo what an approval changed on the exporter and the ledger."""
    undo = event.undo_state or {}
    if exporter.current_stage_id != event.stage_id and undo.get("stage") != exporter.current_stage_id:
        raise ValidationError(_("The exporter has moved on since this approval: it cannot be undone."), code=CONFLICT)
    if exporter.current_stage_id == event.stage_id:
        exporter.current_stage_id = undo.get("stage")
        entered = undo.get("entered")
        exporter.stage_entered_at = datetime.fromisoformat(entered) if entered else None
    for field, value in (undo.get("fields") or {}).items():
        setattr(exporter, field, value)
    as_actor(exporter, actor).save()
    if undo.get("commission"):
        accrued = Commission.objects.select_for_update().filter(pk=undo["commission"]).first()
        if accrued is not None and accrued.status != CommissionStatus.ACCRUED:
            raise ValidationError(_("Its commission is already approved or paid: ask an admin to reverse it."))
        if accrued is not None:
            as_actor(accrued, actor).delete()  # its history row keeps who took it back


@transaction.atomic
def stage_events_approve_bulk(*, actor: User, event_ids: list[int], note: str = "") -> int:
    """Approve several waiting claims at once; those that cannot be approved any more
    (decided meanwhile, withdrawn) are left as they are. Returns how many were approved."""
    return _decide_each(stage_event_approve, actor=actor, event_ids=event_ids, note=note)


@transaction.atomic
def stage_events_reject_bulk(*, actor: User, event_ids: list[int], note: str) -> int:
    """Reject several waiting claims with one note; those decided or withdrawn meanwhile are
    left as they are. Returns how many were rejected."""
    return _decide_each(stage_event_reject, actor=actor, event_ids=event_ids, note=note)


@transaction.atomic
def stage_events_undo_bulk(*, actor: User, event_ids: list[int]) -> int:
    """Undo several of one's own decisions of the last UNDO_WINDOW; those that can no longer be
    undone are left as they are. Returns how many were undone."""
    mine = StageEvent.objects.announcement_due().filter(pk__in=event_ids, reviewed_by=actor).order_by("pk")
    undone = 0
    for event in mine:
        try:
            with transaction.atomic():
                stage_event_undo(actor=actor, event=event)
        except ValidationError:
            continue
        undone += 1
    return undone


def _decide_each(decide, *, actor: User, event_ids: list[int], note: str) -> int:
    decided = 0
    for event in StageEvent.objects.filter(pk__in=event_ids, status=StageEventStatus.SUBMITTED).order_by("pk"):
        try:
            with transaction.atomic():  # a refused claim rolls back alone
                decide(actor=actor, event=event, note=note)
        except ValidationError:
            continue
        decided += 1
    return decided


def claims_withdraw(*, actor: User | None, startup_id: int, reason: str, exporter_ids: list[int] | None = None) -> int:
    """Withdraw the startup's waiting claims (on `exporter_ids`, or all of them) because it no
    longer works those exporters: part of every assignment change and suspension, in its
    transaction, after the exporters are locked. A withdrawn claim can never be approved."""
    waiting = StageEvent.objects.filter(startup_id=startup_id, status=StageEventStatus.SUBMITTED)
    if exporter_ids is not None:
        waiting = waiting.filter(exporter_id__in=exporter_ids)
    return waiting.update(
        status=StageEventStatus.WITHDRAWN,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        review_note=f"Withdrawn: {reason}"[:2000],
    )


@transaction.atomic
def exporter_set_stage(*, actor: User, exporter: Exporter, stage: Stage, reason: str) -> StageEvent:
    """Admin correction: move an exporter to any stage (backwards too), with a recorded reason."""
    if not actor.is_programme_admin:
        raise PermissionDenied(_("Only programme admins can move an exporter's stage by hand."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for moving the stage by hand."))
    exporter = _lock(exporter)
    now = timezone.now()
    was = exporter.current_stage.name if exporter.current_stage else "none"
    event = StageEvent.objects.create(
        exporter=exporter,
        startup_id=exporter.startup_id,
        assignment=_open_assignment(exporter),
        stage=stage,
        submitted_by=actor,
        submitted_at=now,
        status=StageEventStatus.APPROVED,
        reviewed_by=actor,
        reviewed_at=now,
        note=f"Stage set by an admin from {was} to {stage.name}.",  # stored: the stages' English names
        review_note=reason.strip(),
    )
    exporter.current_stage = stage
    exporter.stage_entered_at = now
    as_actor(exporter, actor).save()
    exporter_news(exporter_id=exporter.pk, now=now)
    summary_changed()
    return event
