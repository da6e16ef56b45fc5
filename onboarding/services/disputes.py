"""Disputes: opened by the exporter's "No" (or "Nobody has contacted me"), closed by the
exporter's change of answer or by an officer's resolution, which the startup is told of."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..control_characters import MESSAGE as CONTROL_MESSAGE
from ..control_characters import has_control_characters
from ..models import ConfirmationRequest, Dispute, User
from .audit import log_action
from .notifications import notify_dispute_opened, notify_dispute_resolved


def dispute_open(*, confirmation: ConfirmationRequest) -> Dispute:
    """In the caller's transaction: open (or open again) the dispute of an exporter's "No" and
    tell the officers. The same "No" tapped again changes nothing."""
    now = timezone.now()
    dispute, created = Dispute.objects.select_for_update().get_or_create(
        confirmation=confirmation,
        defaults={"exporter_id": confirmation.exporter_id, "startup_id": confirmation.startup_id, "opened_at": now},
    )
    if not created and dispute.is_open:
        return dispute
    if not created:  # resolved earlier, and the exporter says "No" again: it is open once more
        dispute.opened_at, dispute.resolved_at, dispute.resolved_by, dispute.resolution = now, None, None, ""
        dispute.save(update_fields=["opened_at", "resolved_at", "resolved_by", "resolution"])
    notify_dispute_opened(dispute=dispute)
    return dispute


def dispute_withdraw_by_exporter(*, confirmation: ConfirmationRequest) -> None:
    """In the caller's transaction: the exporter changed their "No" to "Yes", which closes its dispute."""
    Dispute.objects.open().filter(confirmation=confirmation).update(
        resolved_at=timezone.now(), resolution="The exporter changed their answer to yes."
    )


@transaction.atomic
def dispute_resolve(*, actor: User, dispute: Dispute, note: str) -> Dispute:
    """An officer closes a dispute with a note the startup sees; its claims for the exporter may
    then be decided. Logged, and the startup's managers are told."""
    if not actor.is_programme_staff:
        raise PermissionDenied(_("Only programme officers and admins resolve disputes."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what you found: the startup sees this note.")})
    if has_control_characters(note):
        raise ValidationError({"note": CONTROL_MESSAGE})
    dispute = Dispute.objects.select_for_update().select_related("exporter", "startup").get(pk=dispute.pk)
    if not dispute.is_open:
        raise ValidationError(_("This dispute is already resolved: nothing was changed."), code="conflict")
    dispute.resolved_at, dispute.resolved_by, dispute.resolution = timezone.now(), actor, note[:2000]
    dispute.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    log_action(actor=actor, subject=dispute.exporter, message=f"Resolved the dispute about {dispute.startup}: {note}")
    notify_dispute_resolved(dispute=dispute)
    return dispute
