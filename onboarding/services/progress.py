"""The work log and milestone evidence: logging work, submitting and reviewing stages."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Activity, Assignment, ConfirmationRequest, EvidenceDocument, Exporter, Stage, StageEvent, User
from ..models.activities import ActivityKind
from ..models.exporter_link import CONTACT_KINDS as CONFIRMABLE_CONTACT
from ..models.exporter_link import Answer
from ..models.files import content_sha256
from ..models.stages import EVIDENCE_ATTRIBUTES, EvidenceField, StageEventStatus
from .audit import as_actor
from .commissions import commission_accrue
from .exporter_link import confirmation_ask_activity, confirmation_ask_milestone, exporter_news
from .notifications import notify_claim_decided
from .summary import summary_changed

# What an approved stage teaches us about the exporter's marketplace presence.
EXPORTER_FIELDS_FROM_EVIDENCE = {
    "account_created": ("evidence_reference", "marketplace_member_id"),
    "storefront_live": ("evidence_url", "storefront_url"),
    "products_listed": ("evidence_number", "products_listed"),
}
# A logged call or visit is proof of first contact.
CONTACT_KINDS = {ActivityKind.CALL, ActivityKind.VISIT}
# The code of a refusal because someone else got there first: the API answers it with 409.
CONFLICT = "conflict"


def claim_decided_error(event: StageEvent) -> ValidationError:
    """The refusal for deciding a claim that is no longer waiting: said the same on pages and API."""
    status = event.get_status_display().lower()
    return ValidationError(f"This claim is already {status}: nothing was changed.", code=CONFLICT)


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
) -> Activity:
    """Record work on an exporter; refreshes its last activity and may auto-approve `contacted`."""
    exporter = _lock(exporter)
    if exporter.startup_id is None:
        raise ValidationError("This exporter is not assigned to a startup, so no work can be logged on it.")
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
        attachment=attachment or "",
        attachment_name=getattr(attachment, "name", "")[:255],
    )
    confirmation_ask_activity(activity=activity)
    if exporter.last_activity_at is None or occurred_at > exporter.last_activity_at:
        exporter.last_activity_at = occurred_at
        exporter.save(update_fields=["last_activity_at"])
        summary_changed()  # an exporter with fresh work is no longer stalled
    if kind in CONTACT_KINDS:
        _auto_contact(actor=actor, exporter=exporter, activity=activity)
    return activity


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
        note=f"{activity.get_kind_display()} logged: {activity.note}".strip(": "),
    )
    if settings.REQUIRE_CONFIRMED_CONTACT:
        return  # an officer approves it once the exporter has confirmed the contact
    _approve(event=event, exporter=exporter, reviewer=None, note="Approved automatically: a call or visit was logged.")


@transaction.atomic
def stage_event_submit(
    *,
    actor: User,
    exporter: Exporter,
    stage: Stage,
    evidence: dict,
    documents: list | tuple = (),
    reuse_from: StageEvent | None = None,
) -> StageEvent:
    """Claim the exporter's next stage with evidence (further `documents` beside the first file, or
    the files of the rejected claim `reuse_from` sent again); auto-approve stages advance at once."""
    exporter = _lock(exporter)
    if reuse_from is not None:
        evidence = {**evidence, **_files_of_rejected(reuse_from, exporter=exporter, stage=stage)}
    if not _can_work_on(actor, exporter) or exporter.startup_id is None:
        raise PermissionDenied
    expected = exporter.next_stage(list(Stage.objects.ordered()))
    if expected is None or expected.pk != stage.pk:
        raise ValidationError(f"The next stage for this exporter is {expected or 'none: it has finished'}.")
    if StageEvent.objects.filter(exporter=exporter, stage=stage, status=StageEventStatus.SUBMITTED).exists():
        raise ValidationError(f"Evidence for “{stage}” is already waiting for review.")
    missing = [f for f in stage.required_evidence if not evidence.get(EVIDENCE_ATTRIBUTES[f])]
    if missing:
        raise ValidationError(f"Missing evidence: {', '.join(EvidenceField(f).label for f in missing)}.")
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
    _add_documents(event, documents, reuse_from)
    # Submitting evidence is work on the exporter: it is not stalled while an officer reviews.
    exporter.last_activity_at = event.submitted_at
    exporter.save(update_fields=["last_activity_at"])
    summary_changed()
    if stage.auto_approve:
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
        raise ValidationError("Only the files of this exporter's rejected claim for this stage can be sent again.")
    if not previous.evidence_file:
        return {}
    return {
        "evidence_file": previous.evidence_file.name,
        "evidence_file_name": previous.evidence_file_name,
        "evidence_sha256": previous.evidence_sha256,
    }


def _add_documents(event: StageEvent, uploads, reuse_from: StageEvent | None) -> None:
    again = [(d.file.name, d.file_name, d.sha256) for d in reuse_from.documents.all()] if reuse_from else []
    rows = [*again, *[(upload, getattr(upload, "name", "")[:255], content_sha256(upload)) for upload in uploads]]
    for position, (stored, name, sha256) in enumerate(rows, start=2):
        EvidenceDocument.objects.create(event=event, file=stored, file_name_kept=name, sha256=sha256, position=position)


def _check_reviewer(actor: User, event: StageEvent) -> None:
    if not actor.is_programme_staff:
        raise PermissionDenied("Only programme officers and admins review evidence.")
    if event.submitted_by_id == actor.pk:
        raise PermissionDenied("Evidence is reviewed by someone other than who submitted it.")


def _approve(*, event: StageEvent, exporter: Exporter, reviewer: User | None, note: str) -> StageEvent:
    now = timezone.now()
    event.status = StageEventStatus.APPROVED
    event.reviewed_by = reviewer
    event.reviewed_at = now
    event.review_note = note
    event.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    current = exporter.current_stage.order if exporter.current_stage else 0
    if event.stage.order > current:
        exporter.current_stage = event.stage
        exporter.stage_entered_at = now
        exporter_news(exporter_id=exporter.pk, now=now)
    source, target = EXPORTER_FIELDS_FROM_EVIDENCE.get(event.stage.code, (None, None))
    if source and getattr(event, source) not in (None, ""):
        setattr(exporter, target, getattr(event, source))
    as_actor(exporter, reviewer).save()
    summary_changed()
    commission_accrue(event=event, actor=reviewer)
    if reviewer is not None:  # an officer's decision; automatic approvals need no notice
        notify_claim_decided(event=event)
    return event


def _check_confirmed_contact(event: StageEvent) -> None:
    """With REQUIRE_CONFIRMED_CONTACT, "contacted" needs the exporter's yes to a call or visit."""
    if not settings.REQUIRE_CONFIRMED_CONTACT or event.stage.code != "contacted":
        return
    confirmed = ConfirmationRequest.objects.filter(
        exporter_id=event.exporter_id, startup_id=event.startup_id, kind__in=CONFIRMABLE_CONTACT, answer=Answer.YES
    )
    if not confirmed.exists():
        raise ValidationError(
            "The exporter has not confirmed a call or visit from this startup yet: "
            "the programme approves “contacted” only after they do."
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
        raise ValidationError(f"{event.startup} no longer works this exporter, so its claim cannot be decided.")
    return event, exporter


@transaction.atomic
def stage_event_approve(*, actor: User, event: StageEvent, note: str = "") -> StageEvent:
    """Approve a waiting claim of the exporter's current startup: advances the stage and
    accrues any commission (once) to that startup."""
    event, exporter = _lock_claim(event)
    _check_reviewer(actor, event)
    _check_confirmed_contact(event)
    return _approve(event=event, exporter=exporter, reviewer=actor, note=note)


@transaction.atomic
def stage_event_reject(*, actor: User, event: StageEvent, note: str) -> StageEvent:
    """Reject evidence with a reason the startup will see on its home page."""
    if not note.strip():
        raise ValidationError("Say why the evidence is rejected: the startup sees this note.")
    event, _exporter = _lock_claim(event)
    _check_reviewer(actor, event)
    event.status = StageEventStatus.REJECTED
    event.reviewed_by = actor
    event.reviewed_at = timezone.now()
    event.review_note = note.strip()
    event.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    notify_claim_decided(event=event)
    return event


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
        raise PermissionDenied("Only programme admins can move an exporter's stage by hand.")
    if not reason.strip():
        raise ValidationError("Give the reason for moving the stage by hand.")
    exporter = _lock(exporter)
    now = timezone.now()
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
        note=f"Stage set by an admin from {exporter.current_stage or 'none'} to {stage}.",
        review_note=reason.strip(),
    )
    exporter.current_stage = stage
    exporter.stage_entered_at = now
    as_actor(exporter, actor).save()
    exporter_news(exporter_id=exporter.pk, now=now)
    summary_changed()
    return event
