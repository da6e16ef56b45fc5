"""What each kind of outbox email says, as things stand at send time (services/outbox.py
sends them): a composer returns the subject it sent, or None when nothing is left to say
(the exporters moved on, the person opted out, the invitation was accepted)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from .. import emails
from ..models import ConfirmationRequest, ExporterLink, Notification, Reminder, StartupMember
from ..models.reminders import ReminderKind
from ..reports.digests import programme_week, startup_week


def _stalled_digest(reminder: Reminder, now: datetime, mail) -> str | None:
    exporters = reminder.stalled_exporters()
    return emails.send_stalled_digest(reminder, exporters=exporters, now=now, connection=mail) if exporters else None


def _escalation(reminder: Reminder, now: datetime, mail) -> str | None:
    exporters = reminder.stalled_exporters()
    if not exporters:
        return None
    groups = defaultdict(list)
    for exporter in exporters:
        groups[exporter.startup].append(exporter)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), str(item[0])))
    return emails.send_escalation(reminder, groups=ordered, count=len(exporters), now=now, connection=mail)


def _review_waiting(reminder: Reminder, now: datetime, mail) -> str | None:
    events = reminder.waiting_events()
    return emails.send_review_waiting(reminder, events=events, now=now, connection=mail) if events else None


def _undelivered(reminder: Reminder, now: datetime, mail) -> str | None:
    messages = reminder.undelivered_messages()
    return emails.send_undelivered(reminder, messages=messages, connection=mail) if messages else None


def _weekly_startup(reminder: Reminder, now: datetime, mail) -> str | None:
    if not reminder.recipient.weekly_digest:
        return None  # opted out after the sweep
    return emails.send_weekly_startup(reminder, digest=startup_week(reminder.startup, now), connection=mail)


def _weekly_programme(reminder: Reminder, now: datetime, mail) -> str | None:
    if not reminder.recipient.weekly_digest:
        return None
    return emails.send_weekly_programme(reminder, digest=programme_week(now), connection=mail)


def _invitation(reminder: Reminder, now: datetime, mail) -> str | None:
    """Skipped once the person has chosen a password or left the team."""
    user = reminder.recipient
    member = StartupMember.objects.active().filter(user=user, startup_id=reminder.startup_id).exists()
    if user.has_usable_password() or not user.is_active or not member:
        return None
    return emails.send_set_password(reminder, connection=mail)


def _exporter_message(reminder: Reminder, now: datetime, mail) -> str | None:
    """The exporter's status link and open questions; skipped if they opted out meanwhile."""
    link = ExporterLink.objects.filter(exporter_id=reminder.to_exporter_id).select_related("exporter").first()
    if link is None or link.opted_out or not link.exporter.contact_email:
        return None
    questions = ConfirmationRequest.objects.open_for(link.exporter_id, now)
    return emails.send_exporter_status(reminder, link=link, questions=questions, connection=mail)


def _notification(reminder: Reminder, now: datetime, mail) -> str | None:
    """Skipped when the person has switched notification emails off since."""
    if not reminder.recipient.notification_emails:
        return None
    notice = Notification.objects.get(pk=int(reminder.period_key.removeprefix("n")), recipient=reminder.recipient)
    return emails.send_notification(reminder, notification=notice, connection=mail)


COMPOSERS: dict[str, Callable[[Reminder, datetime, object], str | None]] = {
    ReminderKind.STALLED_DIGEST: _stalled_digest,
    ReminderKind.ESCALATION: _escalation,
    ReminderKind.REVIEW_WAITING: _review_waiting,
    ReminderKind.UNDELIVERED: _undelivered,
    ReminderKind.WEEKLY_STARTUP: _weekly_startup,
    ReminderKind.WEEKLY_PROGRAMME: _weekly_programme,
    ReminderKind.INVITATION: _invitation,
    ReminderKind.EXPORTER_DIGEST: _exporter_message,
    ReminderKind.EXPORTER_LINK: _exporter_message,
    ReminderKind.NOTIFICATION: _notification,
}
