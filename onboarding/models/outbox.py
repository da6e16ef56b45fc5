from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Func, IntegerField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import database
from .choice_labels import ChoiceLabels
from .exporters import Exporter, ExporterStatus
from .scoped import ScopedQuerySet
from .stages import StageEvent, StageEventStatus
from .startups import MemberRole


class MessageKind(models.TextChoices):
    STALLED_DIGEST = "stalled_digest", _("Stalled exporters digest")
    ESCALATION = "escalation", _("Escalation to officers")
    REVIEW_WAITING = "review_waiting", _("Evidence waiting for review")
    WEEKLY_STARTUP = "weekly_startup", _("Weekly pipeline digest")
    WEEKLY_PROGRAMME = "weekly_programme", _("Weekly programme digest")
    UNDELIVERED = "undelivered", _("Messages that could not be delivered")
    # Not planned by the sweep: written when a person is added to a startup's team.
    INVITATION = "invitation", _("Set-password invitation")
    # To an exporter (no account): their status link, with any questions about the work
    # logged with them. At most one a day, plus one a day sent again by hand.
    EXPORTER_DIGEST = "exporter_digest", _("Exporter status message")
    EXPORTER_LINK = "exporter_link", _("Exporter status link (sent by hand)")
    # Written with each in-app notification (services/notifications.py), one per notice.
    NOTIFICATION = "notification", _("Notification")
    # To an account's owner after TWO_FACTOR_ALERT_AFTER wrong two-factor codes in a row: their
    # password may be in someone else's hands. Once per run of failures (services/users.py).
    TWO_FACTOR_FAILURES = "two_factor_failures", _("Wrong two-factor codes")


DAILY_KINDS = (
    MessageKind.STALLED_DIGEST,
    MessageKind.ESCALATION,
    MessageKind.REVIEW_WAITING,
    MessageKind.UNDELIVERED,
)
WEEKLY_KINDS = (MessageKind.WEEKLY_STARTUP, MessageKind.WEEKLY_PROGRAMME)


def programme_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def daily_period(now: datetime) -> str:
    """The programme's calendar day of `now`, e.g. "2026-11-29" (IST, not UTC)."""
    return now.astimezone(programme_tz()).date().isoformat()


def weekly_period(now: datetime) -> str:
    """The ISO week of `now` on the programme's calendar, e.g. "2026-W48"."""
    year, week, _ = now.astimezone(programme_tz()).isocalendar()
    return f"{year}-W{week:02d}"


def period_end(kind: str, now: datetime) -> datetime:
    """When the period of a `kind` reminder planned at `now` ends: the next midnight (IST),
    or the next Monday's for a weekly digest. Retrying a send is worth it until then."""
    local = now.astimezone(programme_tz())
    days = 7 - local.weekday() if kind in WEEKLY_KINDS else 1
    return datetime.combine(local.date() + timedelta(days=days), time.min, tzinfo=programme_tz())


def kinds_due(now: datetime) -> tuple[str, ...]:
    """Daily kinds every day; the weekly digests on Mondays (programme time)."""
    monday = now.astimezone(programme_tz()).weekday() == 0
    return DAILY_KINDS + WEEKLY_KINDS if monday else DAILY_KINDS


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # The connection was lost after the message went out: the server may or may not have
    # accepted it. Not retried on its own (a second copy would be the worse mistake); counted
    # as not delivered until staff send it again (same Message-ID) or leave it.
    UNCONFIRMED = "unconfirmed", _("Not confirmed")
    SKIPPED = "skipped", _("Skipped (work moved on)")
    # The mail server refused the address for good (a 5xx answer): never retried.
    REJECTED = "rejected", _("Undeliverable")
    FAILED = "failed", _("Failed")


OPEN_STATUSES = (MessageStatus.PENDING, MessageStatus.SENDING)
# Not known to have arrived: what the command, the undelivered report, the dashboard and
# the outbox's "Not delivered" filter count, and what staff may send again.
UNDELIVERED_STATUSES = (MessageStatus.REJECTED, MessageStatus.FAILED, MessageStatus.UNCONFIRMED)


class JSONArrayLength(Func):
    """How many elements a JSON array column holds (an outbox row's exporters)."""

    function = "jsonb_array_length"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="json_array_length", **extra)


class OutboxMessageQuerySet(ScopedQuerySet):
    """Staff see every reminder; a startup user sees those about their own startup."""

    def about(self, exporter_id: int) -> OutboxMessageQuerySet:
        """Messages whose exporters include this one, without their ids (an escalation names
        tens of thousands): jsonb's @> off the GIN index of migration 0046 on PostgreSQL; on
        SQLite each row's array is read."""
        if database.reads_jsonb():
            about = self.filter(exporter_ids__contains=[exporter_id])
        else:
            table = self.model._meta.db_table
            rows = f"SELECT {table}.id FROM {table}, json_each({table}.exporter_ids) AS e WHERE e.value = %s"
            about = self.filter(pk__in=RawSQL(rows, [exporter_id]))
        return about.defer("exporter_ids")

    def with_exporter_count(self) -> OutboxMessageQuerySet:
        """Each message with how many exporters it names, in place of their ids (a list)."""
        return self.annotate(exporter_count=JSONArrayLength("exporter_ids")).defer("exporter_ids")

    def undelivered(self) -> OutboxMessageQuerySet:
        """Messages not known to have reached their recipient: refused for good, given up
        on, or lost with the connection after they went out (unconfirmed)."""
        return self.filter(status__in=UNDELIVERED_STATUSES)

    def undelivered_since(self, moment: datetime) -> int:
        """How many messages settled undelivered since `moment` (the dashboard's counter)."""
        return self.undelivered().filter(settled_at__gte=moment).count()


class OutboxMessage(ChoiceLabels, models.Model):
    """One email to one recipient for one period: the outbox's row, written only by
    `services.outbox.outbox_post` and delivered by `outbox_send`. The unique key makes the
    reminder sweep and the exporter digests idempotent."""

    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    # A person with an account, or (exporter messages) the exporter at its contact email.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    to_exporter = models.ForeignKey(
        "onboarding.Exporter", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages_to"
    )
    startup = models.ForeignKey(
        "onboarding.Startup", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    # The ids of the exporters it is about (a digest's stalled work, an exporter's own
    # message), kept on the row: a national sweep names 350,000 exporters, which as rows of a
    # link table cost seconds to write and more to check at commit. Read with `exporters()`
    # and `OutboxMessage.objects.about(exporter)`; an id whose exporter is gone matches none.
    exporter_ids = models.JSONField(default=list, blank=True)
    # The in-app notice it emails (kind "notification"); its period key is "n<pk>" only to
    # keep one email per notice under the unique key.
    notification = models.ForeignKey(
        "onboarding.Notification", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    period_key = models.CharField(max_length=20)
    channel = models.CharField(max_length=10, default="email")
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The outbox's bookkeeping (services/outbox.py). A send task for the row was published
    # then and has not started yet; a pending row without it (the broker was down) or with
    # an old one (the message was lost) is queued again by the recovery beat.
    queued_at = models.DateTimeField(null=True, blank=True)
    # When a send task took the row (status "sending"); an old claim means its worker died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The retry schedule: no attempt before `next_attempt_at`, none after `retry_until`
    # (the end of the reminder's day or week; empty: no deadline).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    retry_until = models.DateTimeField(null=True, blank=True)
    # When it reached its outcome (sent, unconfirmed, skipped, rejected, failed).
    settled_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "recipient", "period_key"], name="one_outbox_message_per_period"),
            models.UniqueConstraint(
                fields=["kind", "to_exporter", "period_key"],
                condition=Q(to_exporter__isnull=False),
                name="one_exporter_message_per_period",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | Q(to_exporter__isnull=False), name="outbox_message_has_recipient"
            ),
        ]
        indexes = [
            # The recovery beat's one query every minute reads only the open rows.
            models.Index(fields=["next_attempt_at"], name="outbox_open", condition=Q(status__in=OPEN_STATUSES)),
            models.Index(
                fields=["settled_at"], name="outbox_undelivered", condition=Q(status__in=UNDELIVERED_STATUSES)
            ),
            models.Index(fields=["startup", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.addressee} ({self.period_key})"

    @property
    def period(self) -> str:
        """The period a reminder covers, in words: "4 Dec 2026", "week 48 of 2026". Other keys
        ("n4" for a notice, "member-7" for an invitation) only keep one message per thing and
        mean nothing to a reader: "" for them."""
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.period_key):
            with contextlib.suppress(ValueError):
                return format_date(date.fromisoformat(self.period_key), "j M Y")
        if week := re.fullmatch(r"(\d{4})-W(\d{2})", self.period_key):
            return gettext("week %(week)s of %(year)s") % {"week": int(week[2]), "year": week[1]}
        return ""

    @property
    def addressee(self) -> str:
        """Whom it is for, in words: the person, or the exporter's contact."""
        if self.recipient_id is None and self.to_exporter_id is not None:
            return gettext("%(exporter)s (exporter)") % {"exporter": self.to_exporter}
        return str(self.recipient)

    @property
    def address(self) -> str:
        """The email address it goes to."""
        if self.recipient_id is None and self.to_exporter_id is not None:
            return self.to_exporter.contact_email
        return self.recipient.email

    # --- At send time: what is still worth saying ----------------------------------

    def still_stalled_q(self) -> Q:
        """Nothing happened since the reminder was planned: same startup, still active, no new
        stage and no activity logged since entering it. (Time alone never un-stalls work.)"""
        quiet = Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=F("stage_entered_at"))
        return Q(status=ExporterStatus.ACTIVE, startup__isnull=False, stage_entered_at__lt=self.created_at) & quiet

    def exporters(self):
        """The exporters it is about, as a query: the ids are unpacked in the database, so a
        digest of any size costs no list of parameters."""
        table = self._meta.db_table
        if database.reads_jsonb():
            ids = f"SELECT (jsonb_array_elements_text(exporter_ids))::bigint FROM {table} WHERE id = %s"
        else:
            ids = f"SELECT e.value FROM {table}, json_each({table}.exporter_ids) AS e WHERE {table}.id = %s"
        return Exporter.objects.filter(pk__in=RawSQL(ids, [self.pk]))

    def stalled_exporters(self) -> list:
        """The reminder's exporters that are still stalled in the same hands, longest first."""
        exporters = self.exporters().filter(self.still_stalled_q())
        if self.kind == MessageKind.STALLED_DIGEST:
            exporters = exporters.filter(startup_id=self.startup_id)
            is_manager = (
                self.recipient.memberships.active().filter(startup_id=self.startup_id, role=MemberRole.MANAGER).exists()
            )
            if not is_manager:
                exporters = exporters.filter(agent_id=self.recipient_id)
        return list(exporters.select_related("current_stage", "startup").order_by("stage_entered_at", "pk"))

    def waiting_events(self) -> list:
        """Evidence on the reminder's exporters still waiting for review, oldest first."""
        return list(
            StageEvent.objects.filter(
                exporter__in=self.exporters().values("pk"),
                status=StageEventStatus.SUBMITTED,
                submitted_at__lt=self.created_at,
            )
            .select_related("exporter", "startup", "stage")
            .order_by("submitted_at", "pk")
        )

    def undelivered_messages(self) -> list[OutboxMessage]:
        """For an undelivered-messages report: what could not be delivered since the
        previous report to the same person (or the day before), oldest first."""
        previous = (
            OutboxMessage.objects.filter(
                kind=MessageKind.UNDELIVERED, recipient_id=self.recipient_id, created_at__lt=self.created_at
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        since = previous or self.created_at - timedelta(days=1)
        return list(
            OutboxMessage.objects.undelivered()
            .filter(settled_at__gte=since, settled_at__lt=self.created_at)
            .defer("exporter_ids")
            .select_related("recipient", "to_exporter")
            .order_by("settled_at", "pk")
        )
