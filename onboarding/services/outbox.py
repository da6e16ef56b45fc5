"""The outbox: every email the portal sends is one OutboxMessage row (digests, escalations, the
undelivered-messages report, invitations, notifications, the exporter's messages; a new kind
is a new MessageKind and an entry in composers.COMPOSERS), and every row is delivered under
the same rules.

- Post. `outbox_post` is the only code that writes rows (an architecture test holds every
  other module to it): the services say what to send, to whom, for which period.
- Queue. The transaction that creates or picks rows leases them (`queued_at`) and one
  `send_outbox_message_task` each is published after commit; a broker that refuses it hands the
  lease back, so the recovery queues the row as soon as the broker is back.
- Claim. The task takes its row with a conditional UPDATE (pending and due, or claimed
  longer ago than OUTBOX_CLAIM_TIMEOUT): a duplicate or redelivered task finds nothing.
- Send. The server's 250 is followed by the UPDATE marking the row sent, before QUIT or
  any other work. Each message's Message-ID is derived from its row.
- Outcome. A transient failure (mail server, network, database, broker) puts the row back
  to pending with its next attempt on OUTBOX_RETRY_SCHEDULE until `retry_until` (then
  failed); a 5xx for the address makes it rejected, for good; a connection lost after the
  body went out makes it unconfirmed: the server may or may not have accepted it, so it is
  not retried on its own. Failed, rejected and unconfirmed count as not delivered
  (UNDELIVERED_STATUSES), and staff may send any of them again (`outbox_resend`).
- Recovery. `outbox_recover`, every minute from beat, queues the rows nobody will pick
  up: due and not leased (or leased longer ago than OUTBOX_REQUEUE_AFTER: the message was
  lost), or claimed by a worker that died.
- Copies. A row goes out twice only when its worker dies between the server's 250 and the
  UPDATE, when the database stays away longer than DATABASE_PATIENCE right after the 250,
  or when staff send again an unconfirmed message that had arrived; every copy has the
  same Message-ID.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone, translation
from django.utils.translation import gettext

from ..emails import language_of
from ..models import OutboxMessage
from ..models.outbox import OPEN_STATUSES, UNDELIVERED_STATUSES, MessageStatus
from ..tasks import BROKER_ERRORS, DATABASE_ERRORS, DATABASE_PATIENCE, send_outbox_message_task
from .audit import log_action
from .composers import COMPOSERS

logger = logging.getLogger(__name__)

# Worth another attempt: SMTP errors (smtplib's are OSErrors) and lost connections, a send
# cut short by its time limit, a database or broker that went away.
TRANSIENT = (OSError, SoftTimeLimitExceeded, *DATABASE_ERRORS, *BROKER_ERRORS)
UNCONFIRMED_NOTE = (
    "The connection was lost after the message went out: the server may have accepted it, or not. It is not"
    " retried on its own: send it again if the recipient did not get it."
)
EXPIRED_NOTE = "Not delivered before its period ended. "
# A message sent again by hand is retried like any other for this long.
RESEND_RETRY_FOR = timedelta(days=1)
RESEND_FIELDS = ("status", "claimed_at", "settled_at", "next_attempt_at", "queued_at", "retry_until")


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the schedule's steps, then its last one."""
    schedule = settings.OUTBOX_RETRY_SCHEDULE
    return timedelta(seconds=schedule[min(max(attempts, 1), len(schedule)) - 1])


def _with_database(statement: Callable[[], int]) -> int:
    """Run a bookkeeping statement, reconnecting while the database is away (for longer than
    the claim timeout, see tasks.DATABASE_PATIENCE); raised again once patience runs out.
    The send's soft time limit, should it fall in the wait, does not cut it short: the mail
    has gone, and only its outcome is left to write."""
    for pause in (*DATABASE_PATIENCE, None):
        try:
            return statement()
        except (*DATABASE_ERRORS, SoftTimeLimitExceeded):
            if pause is None:
                raise
            if not connection.in_atomic_block:
                connection.close()  # the next statement opens a fresh connection
            with contextlib.suppress(SoftTimeLimitExceeded):
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
        return MessageStatus.REJECTED if codes and min(codes) >= 500 else MessageStatus.PENDING
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError) and error.smtp_code >= 500:
        return MessageStatus.REJECTED
    if isinstance(error, smtplib.SMTPResponseException):
        return MessageStatus.PENDING  # an explicit "not now" from the server: nothing was accepted
    if body_sent and isinstance(error, OSError | SoftTimeLimitExceeded):
        return MessageStatus.UNCONFIRMED
    if isinstance(error, TRANSIENT):
        return MessageStatus.PENDING
    return MessageStatus.FAILED


def describe(error: BaseException) -> str:
    """The error in words for the log and the message list, the server's answer decoded."""
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


@dataclass(frozen=True)
class NewMessage:
    """An email to write to the outbox: what kind, to whom (a person or an exporter), for
    which period (one per kind, addressee and period), and until when it is worth retrying."""

    kind: str
    period_key: str
    retry_until: datetime | None
    recipient_id: int | None = None
    to_exporter_id: int | None = None
    startup_id: int | None = None
    notification_id: int | None = None
    exporter_ids: tuple[int, ...] = ()

    @property
    def key(self) -> tuple:
        return (self.kind, self.recipient_id, self.to_exporter_id, self.period_key)


@dataclass
class Posted:
    """What `outbox_post` wrote: the messages and their rows' ids, in the same order (a
    message whose period already had its row is left out), and which sends were queued."""

    messages: list[NewMessage]
    ids: list[int]
    queued: Queued


def outbox_post(
    messages: Sequence[NewMessage],
    *,
    lease: datetime | None = None,
    skip_existing: bool = False,
    also_queue: Sequence[int] = (),
    send_here_if_refused: bool = False,
) -> Posted:
    """The outbox's one door, inside the caller's transaction: write each message as a
    pending row leased for sending (`queued_at`), its exporters' ids on the row, and publish
    one send task per row after commit (see `outbox_queue`).

    A message for a period that has its row already raises IntegrityError, or with
    `skip_existing` is left out (a concurrent run's row wins). `also_queue`: rows the caller
    leased with the same `lease` (the sweep's stranded ones), queued alongside."""
    lease = lease or timezone.now()
    rows = [
        OutboxMessage(
            kind=m.kind,
            recipient_id=m.recipient_id,
            to_exporter_id=m.to_exporter_id,
            startup_id=m.startup_id,
            notification_id=m.notification_id,
            period_key=m.period_key,
            retry_until=m.retry_until,
            next_attempt_at=lease,
            queued_at=lease,  # leased: a concurrent sweep or the recovery leaves it be
            exporter_ids=list(m.exporter_ids),
        )
        for m in messages
    ]
    if skip_existing:
        # PostgreSQL returns no ids for rows written with ON CONFLICT DO NOTHING: this run's
        # rows are the untried ones carrying its lease.
        OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
        written = OutboxMessage.objects.filter(
            kind__in={m.kind for m in messages},
            period_key__in={m.period_key for m in messages},
            queued_at=lease,
            attempts=0,
        ).values_list("pk", "kind", "recipient_id", "to_exporter_id", "period_key")
        ids_by_key = {tuple(key): pk for pk, *key in written}
        messages = [m for m in messages if m.key in ids_by_key]
        ids = [ids_by_key[m.key] for m in messages]
    else:
        ids = [row.pk for row in OutboxMessage.objects.bulk_create(rows)]
    queued = outbox_queue(
        outbox_message_ids=[*ids, *also_queue], lease=lease, send_here_if_refused=send_here_if_refused
    )
    return Posted(messages=list(messages), ids=ids, queued=queued)


def outbox_queue(*, outbox_message_ids: Sequence[int], lease: datetime, send_here_if_refused: bool = False) -> Queued:
    """After commit, publish one send task per row the caller leased (`queued_at=lease`).
    Rows the broker refuses get their lease back, so the recovery queues them later; with
    `send_here_if_refused` this process sends them at once instead."""
    report = Queued()

    def after(published: list[tuple], refused: list[tuple]) -> None:
        report.published, report.refused, report.done = [a[0] for a in published], [a[0] for a in refused], True
        if refused:
            unleased = OutboxMessage.objects.filter(
                pk__in=report.refused, status=MessageStatus.PENDING, queued_at=lease
            )
            _with_database(lambda: unleased.update(queued_at=None))
        for pk in report.refused if send_here_if_refused else []:
            try:
                outbox_send(outbox_message_id=pk)
            except Exception:  # recorded on the row; the recovery retries it
                logger.exception("Outbox message %s could not be sent in-process", pk)

    send_outbox_message_task.queue_on_commit([(pk,) for pk in outbox_message_ids], on_published=after)
    return report


def lease_stranded(*, now: datetime, exclude: list[int] = (), limit: int = 5000) -> list[int]:
    """Lease (inside the caller's transaction) the open rows no task will pick up: due with
    no live lease, or claimed by a worker that died. SKIP LOCKED: concurrent runs split them."""
    alive = Q(retry_until__isnull=True) | Q(retry_until__gt=now)
    unleased = Q(queued_at__isnull=True) | Q(queued_at__lt=now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER))
    due = Q(Q(attempts=0) | Q(next_attempt_at__lte=now), status=MessageStatus.PENDING)
    abandoned = Q(status=MessageStatus.SENDING, claimed_at__lt=now - claim_timeout())
    ids = list(
        OutboxMessage.objects.filter(status__in=OPEN_STATUSES)
        .filter((due | abandoned) & unleased & alive)
        .exclude(pk__in=exclude)
        .order_by("pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        OutboxMessage.objects.filter(pk__in=ids).update(queued_at=now)
    return ids


@transaction.atomic
def outbox_recover(*, now: datetime) -> Recovered:
    """Give up on open rows whose period is over (failed), and queue a send task for each
    row no task will pick up. Cheap when there is nothing to do: one indexed query."""
    over = Q(status=MessageStatus.PENDING) | Q(claimed_at__lt=now - claim_timeout())
    expired = (
        OutboxMessage.objects.filter(status__in=OPEN_STATUSES, retry_until__lte=now)
        .filter(over)
        .update(
            status=MessageStatus.FAILED,
            claimed_at=None,
            queued_at=None,
            settled_at=now,
            last_error=Concat(Value(EXPIRED_NOTE), F("last_error")),
        )
    )
    ids = lease_stranded(now=now)
    return Recovered(requeued=len(ids), expired=expired, queued=outbox_queue(outbox_message_ids=ids, lease=now))


def outbox_resend(*, actor, message: OutboxMessage) -> OutboxMessage:
    """Send an email that was not delivered (unconfirmed, failed or refused) again, now,
    composed as things stand, under the same Message-ID: a mail system that has the first
    copy drops the second. Programme staff only; recorded in the admin log."""
    if not actor.is_programme_staff:
        raise PermissionDenied(gettext("Only programme staff can send an email again."))
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if row.status not in UNDELIVERED_STATUSES:
            raise ValidationError(
                f"This email is {row.get_status_display().lower()}: only one that was not delivered can be sent again."
            )
        before, now = row.get_status_display(), timezone.now()
        row.status, row.claimed_at, row.settled_at = MessageStatus.PENDING, None, None
        row.next_attempt_at = row.queued_at = now  # leased: its send is queued below
        row.retry_until = now + RESEND_RETRY_FOR
        row.last_error = f"{before}, sent again by {actor.get_full_name() or actor.email}. {row.last_error}"[:2000]
        row.save(update_fields=[*RESEND_FIELDS, "last_error"])
        log_action(actor=actor, subject=row, message=f"Sent again (was {before.lower()}).")
        outbox_queue(outbox_message_ids=[row.pk], lease=now)
    return row


# --- Sending one row --------------------------------------------------------------------


def outbox_send(*, outbox_message_id: int) -> str:
    """Claim an outbox row, compose and email it as things stand now, record the outcome.
    Returns the new status, or "" when the row is not this task's to send. A transient
    failure is recorded and its retry queued, not raised; an unexpected error is raised."""
    now = timezone.now()
    alive = Q(retry_until__isnull=True) | Q(retry_until__gt=now)
    # A first attempt is never early (another machine's clock may run a little ahead); a
    # retry waits for its time, whatever duplicate task turns up before.
    due = Q(attempts=0) | Q(next_attempt_at__lte=now)
    claimable = (
        Q(due, status=MessageStatus.PENDING) | Q(status=MessageStatus.SENDING, claimed_at__lt=now - claim_timeout())
    ) & alive
    # `claimed_at=now` is this task's own claim, should a lost connection hide its success.
    rows = OutboxMessage.objects.filter(
        claimable | Q(status=MessageStatus.SENDING, claimed_at=now), pk=outbox_message_id
    )
    if not _with_database(lambda: rows.update(status=MessageStatus.SENDING, claimed_at=now, queued_at=None)):
        return ""
    mine = OutboxMessage.objects.filter(pk=outbox_message_id, status=MessageStatus.SENDING, claimed_at=now)
    mail = HeldConnection()
    message = None
    try:
        message = OutboxMessage.objects.select_related("recipient", "startup", "to_exporter").get(pk=outbox_message_id)
        # Composed in its reader's language, whatever this worker's or the queuing request's:
        # subject, body and dates of one message are all in one language.
        with translation.override(language_of(message)):
            subject = COMPOSERS[message.kind](message, now, mail)
    except Exception as error:
        return _record_failure(mine, message, outbox_message_id, error, body_sent=mail.body_sent)
    else:
        if subject is None:
            _with_database(lambda: mine.update(status=MessageStatus.SKIPPED, claimed_at=None, settled_at=now))
            return MessageStatus.SKIPPED
        # The server said 250: this UPDATE is the very next thing, before QUIT.
        sent = {"status": MessageStatus.SENT, "sent_at": timezone.now(), "subject": subject[:200], "last_error": ""}
        _with_database(lambda: mine.update(**sent, settled_at=sent["sent_at"], attempts=F("attempts") + 1))
        return MessageStatus.SENT
    finally:
        mail.close()


def _record_failure(
    mine, message: OutboxMessage | None, outbox_message_id: int, error: Exception, *, body_sent: bool
) -> str:
    """Write down what went wrong and what happens next; queue the retry, or raise a bug."""
    status = outcome_of(error, body_sent=body_sent)
    now = timezone.now()
    note = describe(error)
    change = {"attempts": F("attempts") + 1, "claimed_at": None, "settled_at": now}
    retry_at = None
    if status == MessageStatus.PENDING:
        retry_at = now + retry_delay((message.attempts if message else 0) + 1)
        if message is not None and message.retry_until and retry_at >= message.retry_until:
            status, note, retry_at = MessageStatus.FAILED, EXPIRED_NOTE + note, None
        else:  # leased for the retry queued below
            change.update(next_attempt_at=retry_at, queued_at=retry_at, settled_at=None)
    elif status == MessageStatus.UNCONFIRMED:
        note = f"{UNCONFIRMED_NOTE} {note}"
    _with_database(lambda: mine.update(**change, status=status, last_error=note))
    logger.warning("Outbox message %s not sent (%s): %s", outbox_message_id, status, error)
    if retry_at is not None:
        _queue_retry(outbox_message_id, retry_at, countdown=(retry_at - now).total_seconds())
    elif status == MessageStatus.FAILED and not note.startswith(EXPIRED_NOTE):
        raise error
    return status


def _queue_retry(outbox_message_id: int, lease: datetime, *, countdown: float) -> None:
    """Publish the retry now, to run when due; if the broker refuses, the recovery will."""
    if not send_outbox_message_task.publish([(outbox_message_id,)], countdown=countdown):
        unleased = OutboxMessage.objects.filter(pk=outbox_message_id, status=MessageStatus.PENDING, queued_at=lease)
        _with_database(lambda: unleased.update(queued_at=None))
