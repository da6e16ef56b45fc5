"""Replace the status links of exporters held by startups, once, after upgrading to the release
in which startups no longer see them: a link a startup user copied before keeps working until it
expires (EXPORTER_LINK_DAYS) unless it is replaced. Each exporter is emailed the new link."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ...models import Exporter
from ...services.exporter_link import exporter_links_rotate

BATCH = 5000
REASON = "Replaced: startups could see links before this release"


class Command(BaseCommand):
    help = "Replace (and email) the status link of every exporter held by a startup, or by one startup."

    def add_arguments(self, parser):
        parser.add_argument("--startup", type=int, help="Only the exporters this startup (id) holds")
        parser.add_argument("--dry-run", action="store_true", help="Count them, change nothing")

    def handle(self, *args, startup: int | None, dry_run: bool, **options):
        held = Exporter.objects.filter(startup__isnull=False).order_by("pk")
        if startup is not None:
            held = held.filter(startup_id=startup)
            if not held.exists():
                raise CommandError(f"Startup {startup} holds no exporter.")
        ids = list(held.values_list("pk", flat=True))
        if dry_run:
            self.stdout.write(f"{len(ids):,} exporters' links would be replaced.")
            return
        emailed = 0
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():  # a batch at a time: a failure keeps the batches done
                emailed += exporter_links_rotate(
                    actor=None, exporter_ids=ids[start : start + BATCH], reason=REASON, now=timezone.now()
                )
        self.stdout.write(f"{len(ids):,} links replaced; {emailed:,} exporters emailed their new link.")
