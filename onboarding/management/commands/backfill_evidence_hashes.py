"""Fill the SHA-256 of evidence files stored before claims kept one (the "same file" fraud
signal reads it). Idempotent: rows that have a digest are left alone."""

from django.core.management.base import BaseCommand

from ...services.evidence_hashes import BATCH, HASHED, evidence_hashes_fill


class Command(BaseCommand):
    help = "Compute the SHA-256 of evidence files that have none yet (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help="Rows per transaction")

    def handle(self, *args, batch: int, **options):
        for kind in HASHED:
            after, hashed, missing = 0, 0, 0
            while (done := evidence_hashes_fill(kind=kind, after_pk=after, batch=max(batch, 1))).last_pk is not None:
                after, hashed, missing = done.last_pk, hashed + done.hashed, missing + done.missing
            line = f"{kind}s: {hashed:,} hashed"
            self.stdout.write(line + (f", {missing:,} files missing from storage" if missing else ""))
