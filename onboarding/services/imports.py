"""Bulk import of exporters: validate every row with ExporterForm, preview, then upsert by GSTIN.

Two phases. `import_batch_validate` fills an ImportBatch with the preview (new /
update / unchanged / error counts and every error by row and column) and writes no
exporter. `import_batch_commit` validates again, against the database as it is
then, and writes the valid rows (or nothing, for an all-or-nothing batch) in one
transaction, with history rows. Queries per batch stay flat: existing exporters are
preloaded per chunk of rows, never fetched per row.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ..bulk import copy_new
from ..forms.exporters import ExporterForm, KnownExporters
from ..forms.imports import Row, Table, changes_between, merged_list, read_table
from ..models import Exporter, ImportBatch, Sector, User
from ..models.imports import DISCARDABLE, ImportRow, ImportStatus, RowOutcome
from ..spreadsheets import ImportFileError, cell_text
from ..validators import compact
from .exporters import exporter_derived_fields
from .summary import summary_changed

logger = logging.getLogger(__name__)

CHUNK = 500  # rows per existing-exporter lookup and per progress update
MAX_STORED_ERRORS = 10_000  # the error list kept on the batch (and in its CSV); the counts are always exact
WRITE_BATCH = 1000
FORM_FIELDS = ExporterForm._meta.fields
WRITTEN_FIELDS = [*FORM_FIELDS, "sector"]
# Lists a row adds to (unless the batch replaces lists): re-importing ['5208'] for an exporter
# with ['5208', '630710'] must not silently drop 630710.
LIST_FIELDS = ("products", "target_markets")


@dataclass
class RowResult:
    number: int
    action: str  # "new", "update" or "unchanged"
    data: dict
    instance: Exporter | None


@dataclass
class Report:
    """What validating a file found: the rows to write, and every error by row and column."""

    valid: list[RowResult] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_rows: int = 0
    warnings: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.valid if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new_count": self.count("new"),
            "update_count": self.count("update"),
            "unchanged_count": self.count("unchanged"),
            "error_count": self.error_rows,
        }


def validate_table(
    table: Table,
    *,
    on_progress: Callable[[int], None] | None = None,
    on_rows: Callable[[list[ImportRow]], None] | None = None,
    replace_lists: bool = False,
) -> Report:
    """Run every row through ExporterForm with duplicates checked against the database and earlier rows.

    `on_rows` receives each chunk's preview rows (unsaved ImportRows without a batch).
    """
    check = _Check(KnownExporters.load(), {s.code: s for s in Sector.objects.all()}, replace_lists)
    report = Report(warnings=table.warnings)
    chunk: list[Row] = []
    done = 0
    for row in [*table.rows(), None]:
        if row is not None:
            chunk.append(row)
        if chunk and (row is None or len(chunk) >= CHUNK):
            preview = _validate_chunk(chunk, table, check, report)
            done += len(chunk)
            chunk = []
            if on_rows:
                on_rows(preview)
            if on_progress:
                on_progress(done)
    return report


@dataclass
class _Check:
    known: KnownExporters
    sectors: dict
    replace_lists: bool


def _existing(gstins: set[str]) -> dict[str, Exporter]:
    found = {}
    gstins = sorted(g for g in gstins if len(g) == 15)
    for start in range(0, len(gstins), 900):  # under SQLite's parameter limit
        # With its sector: an update's diff names the old one without a query per row.
        for exporter in Exporter.objects.select_related("sector").filter(gstin__in=gstins[start : start + 900]):
            found[exporter.gstin] = exporter
    return found


def _validate_chunk(rows: list[Row], table: Table, check: _Check, report: Report) -> list[ImportRow]:
    existing = _existing({compact(r.values.get("gstin")) for r in rows})
    preview = []
    for row in rows:
        instance = existing.get(compact(row.values.get("gstin")))
        # The form works on a copy: the stored values stay on `instance` to compare and update.
        form = ExporterForm(_form_data(row.values, instance), instance=copy.copy(instance), known=check.known)
        valid = form.is_valid()
        gstin = form.cleaned_data.get("gstin")
        if gstin:
            check.known.claim_row(row=row.number, gstin=gstin, pk=instance.pk if instance else None)
        shown = {
            "number": row.number,
            "gstin": row.values.get("gstin", "")[:40],
            "name": row.values.get("legal_name", "")[:200],
        }
        errors = [(name, message) for name, message in row.errors]
        if not valid:  # a cell refused while reading (a formula) is not also "required"
            read = {name for name, _message in errors}
            errors += [(n, m) for n, messages in form.errors.items() if n not in read for m in messages]
        if errors:
            report.error_rows += 1
            for name, message in errors:
                if len(report.errors) < MAX_STORED_ERRORS:
                    column = table.column(name) if name != "__all__" else ""
                    value = row.values.get(name, "") if name != "__all__" else ""
                    report.errors.append(
                        {"row": row.number, "column": column, "value": value[:100], "message": message}
                    )
            messages = [[table.column(n) if n != "__all__" else "", m] for n, m in errors]
            preview.append(ImportRow(outcome=RowOutcome.ERROR, messages=messages, **shown))
            continue
        cleaned = dict(form.cleaned_data)
        if instance is not None and not check.replace_lists:
            for name in LIST_FIELDS:
                cleaned[name] = merged_list(getattr(instance, name), cleaned.get(name))
        data = exporter_derived_fields(cleaned, sectors_by_code=check.sectors)
        changes = changes_between(instance, data) if instance is not None else []
        action = "new" if instance is None else ("update" if changes else "unchanged")
        report.valid.append(RowResult(row.number, action, data, instance))
        preview.append(ImportRow(outcome=action, changes=changes, **shown))
    return preview


def _form_data(values: dict[str, str], instance: Exporter | None) -> dict:
    """The row's cells over what is already known: a blank cell or a missing column keeps the stored value."""
    base = {"is_manufacturer": True} if instance is None else model_to_dict(instance, fields=FORM_FIELDS)
    base.update({name: text for name, text in values.items() if text != ""})
    return base


@transaction.atomic
def write_report(*, report: Report, actor: User | None, reason: str) -> tuple[int, int]:
    """Create the new exporters and update the changed ones, with history rows; returns (created, updated)."""
    now = timezone.now()
    new = [Exporter(**r.data) for r in report.valid if r.action == "new"]
    updated = []
    for result in report.valid:
        if result.action == "update":
            for name, value in result.data.items():
                setattr(result.instance, name, value)
            result.instance.updated_at = now
            updated.append(result.instance)
    if new:  # COPY with the history rows: bulk_create's per-value SQL compiling was most of the commit
        copy_new(Exporter, new, actor=actor, reason=reason, when=now)
    if updated:
        bulk_update_with_history(
            updated,
            Exporter,
            [*WRITTEN_FIELDS, "updated_at"],
            batch_size=WRITE_BATCH,
            default_user=actor,
            default_change_reason=reason,
            default_date=now,
        )
    summary_changed()
    return len(new), len(updated)


# --- ImportBatch bookkeeping ---------------------------------------------------


def import_batch_create(
    *, actor: User | None, name: str, content: bytes, all_or_nothing: bool = False, replace_lists: bool = False
) -> ImportBatch:
    """Store an uploaded file as a batch and read its header; an unreadable file gives a FAILED batch with why."""
    batch = ImportBatch(
        uploaded_by=actor, file_name=name[:255], all_or_nothing=all_or_nothing, replace_lists=replace_lists
    )
    try:
        table = read_table(content, name)
    except ImportFileError as exc:
        batch.status, batch.message, batch.finished_at = ImportStatus.FAILED, str(exc), timezone.now()
    else:
        batch.total_rows = table.total_rows
        batch.message = " ".join(table.warnings)
        batch.file.save(name, ContentFile(content), save=False)  # kept for the commit and the record
    batch.save()
    return batch


def _load(batch: ImportBatch) -> Table:
    with batch.file.open("rb") as fh:
        return read_table(fh.read(), batch.file_name)


def _progress(batch: ImportBatch) -> Callable[[int], None]:
    def report(done: int) -> None:
        # Outside any transaction, so the page polling the batch sees it move.
        ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=done)

    return report


def import_batch_claim(*, batch: ImportBatch, old: list[str], new: str) -> bool:
    """Move the batch from one of `old` to `new` unless another request or worker got there first."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status__in=old).update(status=new, processed_rows=0)
    if claimed:
        batch.status, batch.processed_rows = new, 0
    return bool(claimed)


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    batch.status, batch.message, batch.finished_at = ImportStatus.FAILED, message, timezone.now()
    batch.save(update_fields=["status", "message", "finished_at"])
    return batch


def _check(batch: ImportBatch, progress: bool, unexpected: str, on_rows=None):
    """Read the batch's file and check every row: (table, report), or the failed batch.

    Both validation and commit run this (commit checks again against the database as it
    is then). A bad file fails the batch with its message; anything else is logged,
    fails the batch with `unexpected`, and is raised for the task's retry.
    """
    try:
        table = _load(batch)
        on_progress = _progress(batch) if progress else None
        return table, validate_table(table, on_progress=on_progress, on_rows=on_rows, replace_lists=batch.replace_lists)
    except ImportFileError as exc:
        return _fail(batch, str(exc))
    except Exception:
        logger.exception("import batch %s: checking the file failed", batch.pk)
        _fail(batch, unexpected)
        raise


def import_batch_validate(*, batch: ImportBatch, progress: bool = True) -> ImportBatch:
    """Check every row and store the preview on the batch; writes no exporter."""
    waiting = [ImportStatus.UPLOADED, ImportStatus.VALIDATING]  # VALIDATING: a task delivered again
    if not import_batch_claim(batch=batch, old=waiting, new=ImportStatus.VALIDATING):
        return batch
    ImportRow.objects.filter(batch=batch).delete()  # a task delivered again starts the preview afresh
    checked = _check(
        batch,
        progress,
        "Checking the file failed unexpectedly; the team has been told. Try again later.",
        on_rows=lambda rows: _store_preview(batch, rows),
    )
    if isinstance(checked, ImportBatch):
        return checked
    table, report = checked
    for name, value in report.counts.items():
        setattr(batch, name, value)
    batch.total_rows = batch.processed_rows = table.total_rows
    batch.errors = report.errors
    batch.message = " ".join(report.warnings)
    batch.status = ImportStatus.PREVIEW
    batch.save()
    return batch


def _store_preview(batch: ImportBatch, rows: list[ImportRow]) -> None:
    for row in rows:
        row.batch = batch
    ImportRow.objects.bulk_create(rows, batch_size=WRITE_BATCH)


@transaction.atomic
def import_batch_discard(*, actor: User, batch: ImportBatch) -> bool:
    """Throw away a batch that is waiting (nothing of it written); records who and when. False if it
    was no longer waiting (committed, or discarded, meanwhile)."""
    now = timezone.now()
    discarded = ImportBatch.objects.filter(pk=batch.pk, status__in=DISCARDABLE).update(
        status=ImportStatus.DISCARDED, discarded_by=actor, discarded_at=now, finished_at=now
    )
    if discarded:
        batch.status, batch.discarded_by, batch.discarded_at = ImportStatus.DISCARDED, actor, now
        logger.info("import batch %s discarded by user %s", batch.pk, actor.pk)
    return bool(discarded)


def import_errors_table(batch: ImportBatch) -> tuple[list[str], Iterator[list[str]]]:
    """The rows with errors as uploaded (every column, in the file's order) plus an "errors"
    column: a file to correct and upload again. Read again from the stored file."""
    by_row: dict[int, list[str]] = {}
    for error in batch.errors:
        where = f"{error['column']}: " if error.get("column") else ""
        by_row.setdefault(error["row"], []).append(where + error["message"])
    table = _load(batch)
    width = max([len(table.header_cells), *(len(r) for n, r in table.records if n in by_row)])
    header = [*table.header_cells, *[""] * (width - len(table.header_cells)), "errors"]

    def rows() -> Iterator[list[str]]:
        for number, record in table.records:
            if number in by_row:
                cells = [cell_text(cell) for cell in record]
                yield [*cells, *[""] * (width - len(cells)), "; ".join(by_row[number])]

    return header, rows()


def import_batch_commit(*, actor: User | None, batch: ImportBatch, progress: bool = True) -> ImportBatch:
    """Validate again and write the valid rows (or, all-or-nothing, none if any is bad) in one transaction."""
    waiting = [ImportStatus.PREVIEW, ImportStatus.COMMITTING]  # COMMITTING: claimed by the page for a task
    if not import_batch_claim(batch=batch, old=waiting, new=ImportStatus.COMMITTING):
        return batch
    checked = _check(batch, progress, "The import failed unexpectedly and wrote nothing; the team has been told.")
    if isinstance(checked, ImportBatch):
        return checked
    table, report = checked
    batch.errors = report.errors
    batch.error_count = report.error_rows
    if batch.all_or_nothing and report.error_rows:
        batch.new_count = batch.update_count = 0
        batch.unchanged_count = report.count("unchanged")
        batch.save()
        return _fail(
            batch, f"Nothing was written: this import is all-or-nothing and {report.error_rows} row(s) have errors."
        )
    try:
        with transaction.atomic():
            created, updated = write_report(
                report=report, actor=actor, reason=f"Imported from {batch.file_name} (import #{batch.pk})"
            )
            batch.new_count, batch.update_count = created, updated
            batch.unchanged_count = report.count("unchanged")
            batch.status, batch.finished_at = ImportStatus.DONE, timezone.now()
            batch.processed_rows = table.total_rows
            batch.message = _result_message(created, updated, batch.unchanged_count, report.error_rows)
            batch.save()
    except IntegrityError:
        # Another import (or a person) registered one of these GSTINs first: an expected
        # race, told to the user by the batch's message, not a bug with a traceback to log.
        message = "Someone registered one of these exporters while the import ran; nothing was written. Commit again."
        ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.COMMITTING).update(
            status=ImportStatus.PREVIEW, message=message
        )
        batch.refresh_from_db()
    return batch


def _result_message(created: int, updated: int, unchanged: int, errors: int) -> str:
    parts = [f"{created} added", f"{updated} updated", f"{unchanged} unchanged"]
    if errors:
        parts.append(f"{errors} row{'s' if errors != 1 else ''} skipped for errors")
    return ", ".join(parts) + "."
