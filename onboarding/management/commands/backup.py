"""Take a backup: the database and every stored file its rows name, with a manifest of row
counts and checksums (see onboarding/backups.py). Run it from cron or a timer; copy the folder
off the machine."""

from pathlib import Path

from django.core.management.base import BaseCommand

from ...backups import backup_prune, backup_take


class Command(BaseCommand):
    help = "Back up the database and the stored files into a new folder under --to."

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, type=Path, help="Folder that keeps the backups")
        parser.add_argument("--keep", type=int, default=0, help="Then delete all but the newest N backups there")

    def handle(self, *args, to: Path, keep: int, **options):
        done = backup_take(destination=to)
        self.stdout.write(
            f"Backed up {done.rows:,} rows of {done.tables} tables and {done.files:,} files "
            f"({done.bytes / 1e6:,.1f} MB) to {done.folder} in {done.seconds:.1f} s."
        )
        if done.missing:
            self.stderr.write(
                f"{len(done.missing):,} files named by rows were missing from storage: {done.missing[:10]}"
            )
        for folder in backup_prune(destination=to, keep=keep):
            self.stdout.write(f"Deleted the older backup {folder}.")
