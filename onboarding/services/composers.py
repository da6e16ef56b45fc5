"""What each kind of outbox email says, as things stand at send time (services/outbox.py
sends them): a composer returns the subject it sent, or None when nothing is left to say
(the exporters moved on, the person opted out, the invitation was accepted)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from .. import emails
from ..models import ConfirmationRequest, ExporterLink, Notification, OutboxMessage, StartupMember
from ..models.contact_changes import ContactChange
from ..models.outbox import MessageKind
from ..reports.digests import programme_week, startup_week


def _stalled_digest(message: OutboxMessage, now: datetime, mail) -> str | None:
    exporters = message.stalled_exporters()
    return emails.send_stalled_digest(message, exporters=exporters, now=now, connection=mail) if exporters else None


def _escalation(message: OutboxMessage, now: datetime, mail) -> str | None:
    exporters = message.stalled_exporters()
    if not exporters:
        return None
    groups = defaultdict(list)
    for exporter in exporters:
        groups[exporter.startup].append(exporter)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), str(item[0])))
    return emails.send_escalation(message, groups=ordered, count=len(exporters), now=now, connection=mail)


def _review_waiting(message: OutboxMessage, now: datetime, mail) -> str | None:
    events = message.waiting_events()
    return emails.send_review_waiting(message, events=events, now=now, connection=mail) if events else None


def _undelivered(message: OutboxMessage, now: datetime, mail) -> str | None:
    messages = message.undelivered_messages()
    return emails.send_undelivered(message, messages=messages, connection=mail) if messages else None


def _weekly_startup(message: OutboxMessage, now: datetime, mail) -> str | None:
    if not message.recipient.weekly_digest:
        return None  # opted out after the sweep
    return emails.send_weekly_startup(message, digest=startup_week(message.startup, now), connection=mail)


def _weekly_programme(message: OutboxMessage, now: datetime, mail) -> str | None:
    if not message.recipient.weekly_digest:
        return None
    return emails.send_weekly_programme(message, digest=programme_week(now), connection=mail)


def _invitation(message: OutboxMessage, now: datetime, mail) -> str | None:
    """Skipped once the person has chosen a password or left the team."""
    user = message.recipient
    member = StartupMember.objects.active().filter(user=user, startup_id=message.startup_id).exists()
    if user.has_usable_password() or not user.is_active or not member:
        return None
    return emails.send_set_password(message, connection=mail)


def _exporter_message(message: OutboxMessage, now: datetime, mail) -> str | None:
    """The exporter's status link and open questions; skipped if they opted out meanwhile."""
    link = ExporterLink.objects.filter(exporter_id=message.to_exporter_id).select_related("exporter").first()
    if link is None or link.opted_out or not link.exporter.contact_email:
        return None
    questions = ConfirmationRequest.objects.open_for(link.exporter_id, now)
    # Sent to the contact of record: a change a startup proposed is asked about there.
    change = ContactChange.objects.pending().filter(exporter_id=link.exporter_id).first()
    return emails.send_exporter_status(message, link=link, questions=questions, contact_change=change, connection=mail)


def _notification(message: OutboxMessage, now: datetime, mail) -> str | None:
    """Skipped when the person has switched notification emails off since, or can no longer see
    the notice (they left the startup it is about)."""
    if not message.recipient.notification_emails:
        return None
    if not Notification.objects.for_user(message.recipient).filter(pk=message.notification_id).exists():
        return None
    return emails.send_notification(message, notification=message.notification, connection=mail)


def _two_factor_failures(message: OutboxMessage, now: datetime, mail) -> str | None:
    """Sent whatever happened since: the owner should know their password was used."""
    return emails.send_two_factor_failures(message, connection=mail)


COMPOSERS: dict[str, Callable[[OutboxMessage, datetime, object], str | None]] = {
    MessageKind.STALLED_DIGEST: _stalled_digest,
    MessageKind.ESCALATION: _escalation,
    MessageKind.REVIEW_WAITING: _review_waiting,
    MessageKind.UNDELIVERED: _undelivered,
    MessageKind.WEEKLY_STARTUP: _weekly_startup,
    MessageKind.WEEKLY_PROGRAMME: _weekly_programme,
    MessageKind.INVITATION: _invitation,
    MessageKind.EXPORTER_DIGEST: _exporter_message,
    MessageKind.EXPORTER_LINK: _exporter_message,
    MessageKind.NOTIFICATION: _notification,
    MessageKind.TWO_FACTOR_FAILURES: _two_factor_failures,
}
