"""Assign the pool's exporters to startups by the rules (the same engine as /assignments/auto/)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from ...models import User
from ...services.auto_assign import auto_assignment_apply, propose


class Command(BaseCommand):
    help = "Propose startups for every unassigned active exporter, with reasons, and apply the proposals."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print the proposals; write nothing")
        parser.add_argument("--as", dest="actor_email", default=None, help="Email of the admin to record as actor")
        parser.add_argument("--quiet", action="store_true", help="Print only the summary")

    def handle(self, *args, dry_run: bool, actor_email: str | None, quiet: bool, **opts):
        actor = None
        if actor_email:
            actor = User.objects.filter(email__iexact=actor_email).first()
            if actor is None or not actor.is_programme_admin:
                raise CommandError(f"{actor_email} is not a programme admin.")
        started = time.monotonic()
        plan = propose()
        if not quiet:
            for p in plan.proposals:
                self.stdout.write(f"{p.exporter.legal_name} → {p.startup.name}: {p.why}")
            for u in plan.unmatched:
                self.stdout.write(f"{u.exporter.legal_name}: unmatched, {u.why}")
        summary = f"{len(plan.proposals)} proposals, {len(plan.unmatched)} unmatched"
        if dry_run:
            self.stdout.write(f"{summary} (dry run: nothing written, {time.monotonic() - started:.1f} s).")
            return
        result = auto_assignment_apply(actor=actor, plan=plan)
        for proposal, why in result.skipped:
            self.stdout.write(f"{proposal.exporter.legal_name}: skipped, {why}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Assigned {result.assigned} exporters ({summary}, {len(result.skipped)} skipped) "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
