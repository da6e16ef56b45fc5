"""Restore a backup folder into a new, empty database and the configured storage, then check
every table's rows and every file's checksum against its manifest. It refuses a database that
has tables: a restore never mixes with what is there."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...backups import backup_restore


class Command(BaseCommand):
    help = "Restore a backup (made by `backup`) into an empty database and the storage, and check it."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="The backup's folder (portal-<time>)")

    def handle(self, *args, folder: Path, **options):
        try:
            done = backup_restore(folder=folder)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Restored {done.rows:,} rows of {done.tables} tables and {done.files:,} files "
            f"({done.bytes / 1e6:,.1f} MB) in {done.seconds:.1f} s; every count and checksum matches the backup."
        )
