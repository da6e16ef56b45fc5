"""`send_reminders [--dry-run] [--now ISO-DATETIME] [--kind KIND ...]`: the beat's sweep, run here."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...models import User
from ...models.reminders import ReminderKind, programme_tz
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
            "--kind", action="append", choices=ReminderKind.values, help="Only these kinds (default: what is due)"
        )

    def handle(self, *args, dry_run: bool, now: str | None, kind: list[str] | None, **options):
        moment = parse_now(now) if now else timezone.now()
        result = reminders_sweep(now=moment, kinds=tuple(kind) if kind else None, dry_run=dry_run)
        emails = dict(User.objects.filter(pk__in={p.recipient_id for p in result.created}).values_list("pk", "email"))
        verb = "Would send" if dry_run else "Queued"
        for planned in result.created:
            about = f", {len(planned.exporter_ids)} exporter(s)" if planned.exporter_ids else ""
            self.stdout.write(
                f"{verb} {ReminderKind(planned.kind).label} to {emails[planned.recipient_id]}"
                f" for {planned.period_key}{about}"
            )
        summary = f"{len(result.created)} new, {result.existing} already done for this period"
        if not dry_run:
            summary += f", {result.requeued} stranded re-queued"
        self.stdout.write(self.style.SUCCESS(summary + "."))
