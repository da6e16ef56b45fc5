"""`send_reminders [--dry-run] [--now ISO-DATETIME] [--kind KIND ...]`: the beat's sweep, run here."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...models import OutboxMessage, User
from ...models.outbox import MessageKind, daily_period, programme_tz, weekly_period
from ...services.reminders import reminders_sweep


def parse_now(value: str) -> datetime:
    """An ISO date-time; without an offset it is read as programme time (IST)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--now: {value!r} is not an ISO date-time such as 2026-11-30T09:00+05:30.") from error
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=programme_tz())


class Command(BaseCommand):
    help = "Create the reminders owed now and queue their emails (the same sweep the beat runs)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; change nothing")
        parser.add_argument(
            "--now", help="Sweep as of this ISO date-time (default: now); IST unless an offset is given"
        )
        parser.add_argument(
            "--kind", action="append", choices=MessageKind.values, help="Only these kinds (default: what is due)"
        )

    def handle(self, *args, dry_run: bool, now: str | None, kind: list[str] | None, **options):
        moment = parse_now(now) if now else timezone.now()
        result = reminders_sweep(now=moment, kinds=tuple(kind) if kind else None, dry_run=dry_run)
        emails = dict(User.objects.filter(pk__in={p.recipient_id for p in result.created}).values_list("pk", "email"))
        queued = result.queued
        for planned in result.created:
            if dry_run:
                verb = "Would send"
            elif planned.outbox_message_id in queued.refused:
                verb = "Waiting for the broker:"
            else:
                verb = "Queued" if queued.done else "Will queue on commit:"
            about = f", {len(planned.exporter_ids)} exporter(s)" if planned.exporter_ids else ""
            self.stdout.write(
                f"{verb} {MessageKind(planned.kind).label} to {emails[planned.recipient_id]}"
                f" for {planned.period_key}{about}"
            )
        summary = f"{len(result.created)} new, {result.existing} already done for this period"
        if dry_run:
            self.stdout.write(self.style.SUCCESS(summary + "."))
            return
        summary += f", {result.requeued} stranded re-queued"
        if result.revived:
            summary += f", {result.revived} failed given another try"
        summary += f"; {len(queued.published)} queued, {len(queued.refused)} waiting for the broker"
        undelivered = self.undelivered(moment, result)
        summary += f"; {len(undelivered)} not delivered"
        self.stdout.write(self.style.SUCCESS(summary + "."))
        if queued.refused:
            self.stderr.write(
                f"The broker refused {len(queued.refused)} send task(s) (is Redis running?). They are kept and"
                " queued by the outbox recovery, every minute, once the broker is back."
            )
        for message in undelivered:
            self.stderr.write(
                f"Not delivered ({message.get_status_display().lower()}): {message.get_kind_display()} to"
                f" {message.address} for {message.period_key}: {message.last_error}"
            )

    def undelivered(self, moment: datetime, result) -> list[OutboxMessage]:
        """What could not be delivered in the periods this sweep covers (also on /outbox/?status=undelivered)."""
        periods = {p.period_key for p in result.created} | {daily_period(moment), weekly_period(moment)}
        return list(
            OutboxMessage.objects.filter(period_key__in=periods)
            .undelivered()
            .select_related("recipient", "to_exporter")
            .order_by("pk")
        )
