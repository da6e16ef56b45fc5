"""The outbox: every email the portal sends is one Reminder row (digests, escalations, the
undelivered-messages report, invitations…; a new kind is a new entry in composers.COMPOSERS), and
every row is delivered under the same rules.

- Queue. The transaction that creates or picks rows leases them (`queued_at`) and one
  `send_reminder_task` each is published after commit; a broker that refuses it hands the
  lease back, so the recovery queues the row as soon as the broker is back.
- Claim. The task takes its row with a conditional UPDATE (pending and due, or claimed
  longer ago than OUTBOX_CLAIM_TIMEOUT): a duplicate or redelivered task finds nothing.
- Send. The server's 250 is followed by the UPDATE marking the row sent, before QUIT or
  any other work. Each message's Message-ID is derived from its row.
- Outcome. A transient failure (mail server, network, database, broker) puts the row back
  to pending with its next attempt on OUTBOX_RETRY_SCHEDULE until `retry_until` (then
  failed); a 5xx for the address makes it rejected, for good; a connection lost after the
  body went out makes it unconfirmed: the server may have accepted it, so it is not sent
  again.
- Recovery. `reminders_recover`, every minute from beat, queues the rows nobody will pick
  up: due and not leased (or leased longer ago than OUTBOX_REQUEUE_AFTER: the message was
  lost), or claimed by a worker that died. Only that last case can send twice, when the
  worker died between the server's 250 and the UPDATE; the copy has the same Message-ID.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from ..models import Reminder
from ..models.reminders import OPEN_STATUSES, ReminderStatus
from ..tasks import BROKER_ERRORS, DATABASE_ERRORS, send_reminder_task
from .composers import COMPOSERS

logger = logging.getLogger(__name__)

# Worth another attempt: SMTP errors (smtplib's are OSErrors) and lost connections, a send
# cut short by its time limit, a database or broker that went away.
TRANSIENT = (OSError, SoftTimeLimitExceeded, *DATABASE_ERRORS, *BROKER_ERRORS)
# Pauses while the database is away during bookkeeping: ~12 s, well beyond a restart.
DATABASE_PATIENCE = (0.1, 0.25, 0.5, 1, 2, 3, 5)
UNCONFIRMED_NOTE = (
    "The connection was lost after the message went out: the server may have accepted it, so it is not sent again."
)
EXPIRED_NOTE = "Not delivered before its period ended. "


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the schedule's steps, then its last one."""
    schedule = settings.OUTBOX_RETRY_SCHEDULE
    return timedelta(seconds=schedule[min(max(attempts, 1), len(schedule)) - 1])


def _with_database(statement: Callable[[], int]) -> int:
    """Run a bookkeeping statement, reconnecting while the database is away; raised again
    once patience runs out (the claim timeout then hands the row to another task)."""
    for pause in (*DATABASE_PATIENCE, None):
        try:
            return statement()
        except DATABASE_ERRORS:
            if pause is None:
                raise
            if not connection.in_atomic_block:
                connection.close()  # the next statement opens a fresh connection
            time.sleep(pause)
    raise AssertionError("unreachable")


# --- The connection: held open until the outcome is recorded ----------------------------


class _BodyTracking:
    """Notes the server's 354 (go ahead) to DATA: from then on the message body is on its
    way, and a connection lost before the server's answer may hide an acceptance."""

    body_started = False

    def getreply(self):
        code, message = super().getreply()
        if code == 354:
            self.body_started = True
        return code, message


class _SMTP(_BodyTracking, smtplib.SMTP):
    pass


class _SMTPS(_BodyTracking, smtplib.SMTP_SSL):
    pass


class TrackedSMTPBackend(SMTPBackend):
    """Django's SMTP backend, with connections that know whether the body went out."""

    @property
    def connection_class(self):
        return _SMTPS if self.use_ssl else _SMTP


class HeldConnection:
    """The configured mail backend, opened by the first send and closed by the outbox only
    after the server's answer is recorded: nothing, not even QUIT, comes between the 250
    and marking the row sent."""

    def __init__(self) -> None:
        smtp = settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
        self.backend = TrackedSMTPBackend() if smtp else get_connection()

    def send_messages(self, messages) -> int:
        self.backend.open()  # opened here, so the backend leaves it open after sending
        return self.backend.send_messages(messages)

    @property
    def body_sent(self) -> bool:
        return getattr(getattr(self.backend, "connection", None), "body_started", False)

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception as error:  # the outcome is recorded already; a failed QUIT changes nothing
            logger.info("Closing the mail connection failed: %s", error)


def outcome_of(error: BaseException, *, body_sent: bool) -> str:
    """The row's status after `error`: rejected (a 5xx for this address or message),
    unconfirmed (lost after the body went out), pending (worth retrying) or failed (a bug)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return ReminderStatus.REJECTED if codes and min(codes) >= 500 else ReminderStatus.PENDING
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError) and error.smtp_code >= 500:
        return ReminderStatus.REJECTED
    if isinstance(error, smtplib.SMTPResponseException):
        return ReminderStatus.PENDING  # an explicit "not now" from the server: nothing was accepted
    if body_sent and isinstance(error, OSError | SoftTimeLimitExceeded):
        return ReminderStatus.UNCONFIRMED
    if isinstance(error, TRANSIENT):
        return ReminderStatus.PENDING
    return ReminderStatus.FAILED


def describe(error: BaseException) -> str:
    """The error in words for the log and the reminder list, the server's answer decoded."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"{to}: {code} {answer.decode(errors='replace')}" for to, (code, answer) in error.recipients.items()
        )
    elif isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        text = f"{error.smtp_code} {answer}"
    else:
        text = str(error)
    return f"{type(error).__name__}: {text}"[:2000]


# --- Queueing and recovery --------------------------------------------------------------


@dataclass
class Queued:
    """Which leased rows reached the broker, filled in after commit (`done`)."""

    published: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    done: bool = False


@dataclass
class Recovered:
    requeued: int = 0
    expired: int = 0
    queued: Queued = field(default_factory=Queued)


def reminders_queue(*, reminder_ids: list[int], lease: datetime, send_here_if_refused: bool = False) -> Queued:
    """After commit, publish one send task per row the caller leased (`queued_at=lease`).
    Rows the broker refuses get their lease back, so the recovery queues them later; with
    `send_here_if_refused` this process sends them at once instead."""
    report = Queued()

    def after(published: list[tuple], refused: list[tuple]) -> None:
        report.published, report.refused, report.done = [a[0] for a in published], [a[0] for a in refused], True
        if refused:
            unleased = Reminder.objects.filter(pk__in=report.refused, status=ReminderStatus.PENDING, queued_at=lease)
            _with_database(lambda: unleased.update(queued_at=None))
        for pk in report.refused if send_here_if_refused else []:
            try:
                reminder_send(reminder_id=pk)
            except Exception:  # recorded on the row; the recovery retries it
                logger.exception("Reminder %s could not be sent in-process", pk)

    send_reminder_task.queue_on_commit([(pk,) for pk in reminder_ids], on_published=after)
    return report


def lease_stranded(*, now: datetime, exclude: list[int] = (), limit: int = 5000) -> list[int]:
    """Lease (inside the caller's transaction) the open rows no task will pick up: due with
    no live lease, or claimed by a worker that died. SKIP LOCKED: concurrent runs split them."""
    alive = Q(retry_until__isnull=True) | Q(retry_until__gt=now)
    unleased = Q(queued_at__isnull=True) | Q(queued_at__lt=now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER))
    due = Q(Q(attempts=0) | Q(next_attempt_at__lte=now), status=ReminderStatus.PENDING)
    abandoned = Q(status=ReminderStatus.SENDING, claimed_at__lt=now - claim_timeout())
    ids = list(
        Reminder.objects.filter(status__in=OPEN_STATUSES)
        .filter((due | abandoned) & unleased & alive)
        .exclude(pk__in=exclude)
        .order_by("pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        Reminder.objects.filter(pk__in=ids).update(queued_at=now)
    return ids


@transaction.atomic
def reminders_recover(*, now: datetime) -> Recovered:
    """Give up on open rows whose period is over (failed), and queue a send task for each
    row no task will pick up. Cheap when there is nothing to do: one indexed query."""
    over = Q(status=ReminderStatus.PENDING) | Q(claimed_at__lt=now - claim_timeout())
    expired = (
        Reminder.objects.filter(status__in=OPEN_STATUSES, retry_until__lte=now)
        .filter(over)
        .update(
            status=ReminderStatus.FAILED,
            claimed_at=None,
            queued_at=None,
            settled_at=now,
            last_error=Concat(Value(EXPIRED_NOTE), F("last_error")),
        )
    )
    ids = lease_stranded(now=now)
    return Recovered(requeued=len(ids), expired=expired, queued=reminders_queue(reminder_ids=ids, lease=now))


# --- Sending one row --------------------------------------------------------------------


def reminder_send(*, reminder_id: int) -> str:
    """Claim an outbox row, compose and email it as things stand now, record the outcome.
    Returns the new status, or "" when the row is not this task's to send. A transient
    failure is recorded and its retry queued, not raised; an unexpected error is raised."""
    now = timezone.now()
    alive = Q(retry_until__isnull=True) | Q(retry_until__gt=now)
    # A first attempt is never early (another machine's clock may run a little ahead); a
    # retry waits for its time, whatever duplicate task turns up before.
    due = Q(attempts=0) | Q(next_attempt_at__lte=now)
    claimable = (
        Q(due, status=ReminderStatus.PENDING) | Q(status=ReminderStatus.SENDING, claimed_at__lt=now - claim_timeout())
    ) & alive
    # `claimed_at=now` is this task's own claim, should a lost connection hide its success.
    rows = Reminder.objects.filter(claimable | Q(status=ReminderStatus.SENDING, claimed_at=now), pk=reminder_id)
    if not _with_database(lambda: rows.update(status=ReminderStatus.SENDING, claimed_at=now, queued_at=None)):
        return ""
    mine = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING, claimed_at=now)
    mail = HeldConnection()
    reminder = None
    try:
        reminder = Reminder.objects.select_related("recipient", "startup").get(pk=reminder_id)
        subject = COMPOSERS[reminder.kind](reminder, now, mail)
    except Exception as error:
        return _record_failure(mine, reminder, reminder_id, error, body_sent=mail.body_sent)
    else:
        if subject is None:
            _with_database(lambda: mine.update(status=ReminderStatus.SKIPPED, claimed_at=None, settled_at=now))
            return ReminderStatus.SKIPPED
        # The server said 250: this UPDATE is the very next thing, before QUIT.
        sent = {"status": ReminderStatus.SENT, "sent_at": timezone.now(), "subject": subject[:200], "last_error": ""}
        _with_database(lambda: mine.update(**sent, settled_at=sent["sent_at"], attempts=F("attempts") + 1))
        return ReminderStatus.SENT
    finally:
        mail.close()


def _record_failure(mine, reminder: Reminder | None, reminder_id: int, error: Exception, *, body_sent: bool) -> str:
    """Write down what went wrong and what happens next; queue the retry, or raise a bug."""
    status = outcome_of(error, body_sent=body_sent)
    now = timezone.now()
    note = describe(error)
    change = {"attempts": F("attempts") + 1, "claimed_at": None, "settled_at": now}
    retry_at = None
    if status == ReminderStatus.PENDING:
        retry_at = now + retry_delay((reminder.attempts if reminder else 0) + 1)
        if reminder is not None and reminder.retry_until and retry_at >= reminder.retry_until:
            status, note, retry_at = ReminderStatus.FAILED, EXPIRED_NOTE + note, None
        else:  # leased for the retry queued below
            change.update(next_attempt_at=retry_at, queued_at=retry_at, settled_at=None)
    elif status == ReminderStatus.UNCONFIRMED:
        note = f"{UNCONFIRMED_NOTE} {note}"
    _with_database(lambda: mine.update(**change, status=status, last_error=note))
    logger.warning("Reminder %s not sent (%s): %s", reminder_id, status, error)
    if retry_at is not None:
        _queue_retry(reminder_id, retry_at, countdown=(retry_at - now).total_seconds())
    elif status == ReminderStatus.FAILED and not note.startswith(EXPIRED_NOTE):
        raise error
    return status


def _queue_retry(reminder_id: int, lease: datetime, *, countdown: float) -> None:
    """Publish the retry now, to run when due; if the broker refuses, the recovery will."""
    if not send_reminder_task.publish([(reminder_id,)], countdown=countdown):
        unleased = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING, queued_at=lease)
        _with_database(lambda: unleased.update(queued_at=None))
