"""Changes to an exporter's contact of record proposed by the startup working it: proposed,
then confirmed by the exporter from their current channel, approved or refused by staff,
refused by the exporter, or replaced by a later change. Only a confirmation or an approval
writes the exporter's contact; until then every message goes to the contact of record.

Each step leaves a history row on the proposal (and, when applied, on the exporter) naming
who acted; the exporter has no account, so their steps name nobody and say so in the reason.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ContactChange, Exporter, ExporterLink, User
from ..models.contact_changes import ContactChangeStatus, DecidedHow
from ..models.exporter_link import Answer
from .audit import as_actor
from .exporter_link import exporter_news


def _current(exporter: Exporter) -> dict[str, str]:
    return {
        "contact_name": exporter.contact_name,
        "contact_email": exporter.contact_email,
        "contact_mobile": exporter.contact_mobile,
    }


def _decide(change: ContactChange, *, status: str, how: str, actor: User | None, reason: str) -> ContactChange:
    change.status, change.decided_how, change.decided_by, change.decided_at = status, how, actor, timezone.now()
    change._change_reason = reason
    as_actor(change, actor).save(update_fields=["status", "decided_how", "decided_by", "decided_at"])
    return change


def contact_changes_supersede(*, actor: User | None, exporter_id: int, reason: str) -> int:
    """In the caller's transaction: mark the exporter's waiting proposal replaced (a staff
    correction or a newer proposal); history row. Returns how many (0 or 1)."""
    waiting = list(ContactChange.objects.select_for_update().pending().filter(exporter_id=exporter_id))
    for change in waiting:
        _decide(change, status=ContactChangeStatus.SUPERSEDED, how=DecidedHow.LATER, actor=actor, reason=reason)
    return len(waiting)


@transaction.atomic
def contact_change_propose(
    *, actor: User, exporter: Exporter, contact_name: str, contact_email: str, contact_mobile: str
) -> ContactChange | None:
    """A startup user's correction of the exporter's contact, kept waiting for the exporter
    (told at the old address in their next message) or staff; replaces the startup's earlier
    waiting proposal. History rows. None when the values are the contact of record already
    (which withdraws a waiting proposal)."""
    membership = actor.active_membership
    if membership is None or exporter.startup_id is None or membership.startup_id != exporter.startup_id:
        raise PermissionDenied(_("Only the startup working this exporter may propose a change to its contact."))
    exporter = Exporter.objects.select_for_update().get(pk=exporter.pk)
    if exporter.startup_id != membership.startup_id:
        raise PermissionDenied(_("Only the startup working this exporter may propose a change to its contact."))
    proposed = {"contact_name": contact_name, "contact_email": contact_email, "contact_mobile": contact_mobile}
    waiting = ContactChange.objects.select_for_update().pending().filter(exporter=exporter).first()
    if waiting is not None and waiting.new == proposed and waiting.old == _current(exporter):
        return waiting
    if proposed == _current(exporter):
        contact_changes_supersede(actor=actor, exporter_id=exporter.pk, reason="Withdrawn by the startup")
        return None
    contact_changes_supersede(actor=actor, exporter_id=exporter.pk, reason="Replaced by a newer proposal")
    now = timezone.now()
    old = _current(exporter)
    change = as_actor(
        ContactChange(
            exporter=exporter,
            startup_id=membership.startup_id,
            proposed_by=actor,
            proposed_at=now,
            old_name=old["contact_name"],
            old_email=old["contact_email"],
            old_mobile=old["contact_mobile"],
            new_name=contact_name,
            new_email=contact_email,
            new_mobile=contact_mobile,
        ),
        actor,
    )
    change.save()
    # The exporter's next message, to the contact of record, asks them about it.
    exporter_news(exporter_id=exporter.pk, now=now)
    return change


def _apply(change: ContactChange, *, actor: User | None, how: str, reason: str) -> ContactChange:
    """Write the proposal's values on the exporter, if its contact is still the one the
    proposal was made against; otherwise nothing is applied and the proposal ends replaced
    (the caller reads the returned status)."""
    exporter = Exporter.objects.select_for_update().get(pk=change.exporter_id)
    if _current(exporter) != change.old:
        reason = "The contact changed after the proposal was made: nothing applied"
        return _decide(change, status=ContactChangeStatus.SUPERSEDED, how=DecidedHow.LATER, actor=actor, reason=reason)
    status = ContactChangeStatus.CONFIRMED if how == DecidedHow.EXPORTER else ContactChangeStatus.APPROVED
    _decide(change, status=status, how=how, actor=actor, reason=reason)
    exporter.contact_name, exporter.contact_email, exporter.contact_mobile = (
        change.new_name,
        change.new_email,
        change.new_mobile,
    )
    exporter._change_reason = reason
    as_actor(exporter, actor).save(update_fields=["contact_name", "contact_email", "contact_mobile", "updated_at"])
    # The new contact of record gets the exporter's next message, link included.
    exporter_news(exporter_id=exporter.pk)
    return change


def _waiting(change_id: int, *, exporter_id: int | None = None) -> ContactChange:
    rows = ContactChange.objects.select_for_update().filter(pk=change_id)
    if exporter_id is not None:
        rows = rows.filter(exporter_id=exporter_id)
    change = rows.first()
    if change is None:
        raise ValidationError(_("This change is not on your page."), code="not_yours")
    if change.status != ContactChangeStatus.PENDING:
        raise ValidationError(
            _("This change is already decided: %(status)s.") % {"status": change.get_status_display().lower()},
            code="decided",
        )
    return change


@transaction.atomic
def contact_change_approve(*, actor: User, change: ContactChange) -> ContactChange:
    """Programme staff apply a proposed contact change (without the exporter's confirmation);
    history rows on the proposal and the exporter naming them; the new contact gets the next
    message. Returned superseded, not applied, when the contact changed since it was proposed."""
    if not actor.is_programme_staff:
        raise PermissionDenied(_("Only programme staff can approve a contact change."))
    change = _waiting(change.pk)
    return _apply(change, actor=actor, how=DecidedHow.STAFF, reason="Contact change approved by programme staff")


@transaction.atomic
def contact_change_reject(*, actor: User, change: ContactChange) -> ContactChange:
    """Programme staff refuse a proposed contact change: the contact of record stays; history row."""
    if not actor.is_programme_staff:
        raise PermissionDenied(_("Only programme staff can refuse a contact change."))
    change = _waiting(change.pk)
    return _decide(
        change,
        status=ContactChangeStatus.REJECTED,
        how=DecidedHow.STAFF,
        actor=actor,
        reason="Refused by programme staff",
    )


@transaction.atomic
def contact_change_answer(*, link: ExporterLink, change_id: int, answer: str) -> ContactChange:
    """The exporter, on their status page (whose link went to the contact of record), says
    whether the proposed change is right: yes applies it (unless the contact changed since:
    returned superseded), no keeps the contact. History rows (no user: the exporter has no
    account). Refusals carry a code the page words."""
    if answer not in Answer.values:
        raise ValidationError("unknown_answer", code="unknown_answer")
    change = _waiting(change_id, exporter_id=link.exporter_id)
    if answer == Answer.NO:
        return _decide(
            change,
            status=ContactChangeStatus.REJECTED,
            how=DecidedHow.EXPORTER,
            actor=None,
            reason="Refused by the exporter on their status page",
        )
    return _apply(change, actor=None, how=DecidedHow.EXPORTER, reason="Confirmed by the exporter on their status page")
