"""`copy_files_to_storage [--dry-run] [--verify] [--source DIR]`: copy the files the database
names from local disk into the bucket (S3_BUCKET), checking each copy; safe to run again."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError

from ..file_copy import Outcome, files_copy

SHOWN = 20  # names listed per problem; the count says how many there are


class Command(BaseCommand):
    help = (
        "Copy every file the database names from local disk (MEDIA_ROOT) into the configured storage "
        "(the S3 bucket), reading each copy back to check its size and SHA-256. Files already there are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be copied; copy nothing")
        parser.add_argument(
            "--verify", action="store_true", help="Also compare the SHA-256 of files already in storage (reads them)"
        )
        parser.add_argument("--source", help="The folder the files are in (default: MEDIA_ROOT)")

    def handle(self, *args, dry_run: bool, verify: bool, source: str | None, **options):
        target = storages["default"]
        if isinstance(target, FileSystemStorage):
            raise CommandError("The files are kept on local disk: set S3_BUCKET (docs/operations.md) to copy them.")
        folder = Path(source or settings.MEDIA_ROOT)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder: nothing to copy from.")
        report = files_copy(source=FileSystemStorage(location=folder), target=target, dry_run=dry_run, verify=verify)
        done = Outcome.TO_COPY if dry_run else Outcome.COPIED
        self.stdout.write(
            f"{report.counts[done]:,} {done} ({report.bytes_copied / 1_048_576:,.1f} MB), "
            f"{report.counts[Outcome.PRESENT]:,} {Outcome.PRESENT}, "
            f"{report.counts[Outcome.MISSING]:,} {Outcome.MISSING}"
        )
        for outcome in (Outcome.MISSING, Outcome.CONFLICT, Outcome.FAILED):
            for name in report.names[outcome][:SHOWN]:
                self.stderr.write(f"{outcome}: {name}")
        trouble = report.counts[Outcome.CONFLICT] + report.counts[Outcome.FAILED]
        if trouble:
            raise CommandError(
                f"{report.counts[Outcome.CONFLICT]:,} {Outcome.CONFLICT}, {report.counts[Outcome.FAILED]:,} "
                f"{Outcome.FAILED}: left as they are; look at them, then run the command again."
            )
