"""Bring the analytics figures up to date now (what the 10-minute beat task runs); `--full`
rebuilds every journey from the events."""

from django.core.management.base import BaseCommand

from ...services.outcomes import outcomes_refresh


class Command(BaseCommand):
    help = "Refresh the outcome figures behind /reports/ analytics (incremental; --full rebuilds them all)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Rebuild every journey, not only those changed")

    def handle(self, *args, full: bool, **options):
        marker = outcomes_refresh(full=full)
        self.stdout.write(
            f"Outcome figures as of {marker.as_of:%Y-%m-%d %H:%M}: {marker.journeys:,} journeys in {marker.seconds} s"
        )
