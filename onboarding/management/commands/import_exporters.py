"""`import_exporters PATH [--dry-run] [--all-or-nothing] [--replace-lists]`: the import page's service, from a shell."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...models import User
from ...models.imports import ImportStatus
from ...services.imports import (
    import_batch_commit,
    import_batch_create,
    import_batch_files_delete,
    import_batch_validate,
)


class Command(BaseCommand):
    help = "Import exporters from a .csv or .xlsx file; exit status 1 when rows had errors."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Check and print the summary; write no exporter")
        parser.add_argument("--all-or-nothing", action="store_true", help="Write nothing if any row has an error")
        parser.add_argument(
            "--replace-lists",
            action="store_true",
            help="A row's products and target markets replace the exporter's own (default: added to them)",
        )
        parser.add_argument("--user", default=None, help="Email of the staff member recorded as the importer")

    def handle(self, *args, path: str, dry_run: bool, all_or_nothing: bool, user: str | None, **opts):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file at {path}.")
        actor = None
        if user:
            actor = User.objects.filter(email__iexact=user).first()
            if actor is None or not actor.is_programme_staff:
                raise CommandError(f"{user} is not programme staff.")
        # A dry run leaves no trace: not even an ImportBatch someone could commit from the page.
        # Nor does a commit that lost the race to another import: its batch would sit
        # "ready to commit" with nobody to commit it.
        with transaction.atomic():
            batch = import_batch_create(
                actor=actor,
                name=file.name,
                content=file.read_bytes(),
                all_or_nothing=all_or_nothing,
                replace_lists=opts["replace_lists"],
            )
            if batch.status != ImportStatus.FAILED:
                batch = import_batch_validate(batch=batch, progress=False)
            lost_race = False
            if batch.status == ImportStatus.PREVIEW and not dry_run:
                batch = import_batch_commit(actor=actor, batch=batch, progress=False)
                lost_race = batch.status == ImportStatus.PREVIEW
            if dry_run or lost_race:
                transaction.set_rollback(True)
                import_batch_files_delete(batch)
        if lost_race:
            raise CommandError(
                "Another import registered some of these exporters while this one ran; nothing was written."
                " Run the command again to update them."
            )
        self.report(batch, dry_run)
        if batch.status == ImportStatus.FAILED and not batch.total_rows:
            raise CommandError(batch.message)
        if batch.error_count or batch.status == ImportStatus.FAILED:
            raise SystemExit(1)

    def report(self, batch, dry_run: bool) -> None:
        out = self.stdout
        verb = "would be" if dry_run or batch.status != ImportStatus.DONE else "were"
        where = "dry run" if dry_run else f"import #{batch.pk}, {batch.get_status_display()}"
        out.write(f"{batch.file_name}: {batch.total_rows} rows ({where})")
        out.write(f"  new:       {batch.new_count}")
        out.write(f"  update:    {batch.update_count}")
        out.write(f"  unchanged: {batch.unchanged_count}")
        out.write(f"  errors:    {batch.error_count}")
        for error in batch.errors:
            column = f" [{error['column']}]" if error["column"] else ""
            out.write(f"  row {error['row']}{column}: {error['message']}")
        if batch.message:
            out.write(batch.message)
        if dry_run:
            out.write(f"Dry run: nothing written; {batch.new_count + batch.update_count} rows {verb} written.")
