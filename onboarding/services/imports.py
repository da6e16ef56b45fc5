"""Bulk import of exporters: validate every row with ExporterForm, preview, then upsert by GSTIN.

Two phases. `import_batch_validate` fills an ImportBatch with the preview (new /
update / unchanged / error counts, every row's outcome and every error by row and column)
and writes no exporter. `import_batch_commit` checks again, against the database as it is
then, and writes the valid rows (or nothing, for an all-or-nothing batch) in one
transaction, with history rows. Checking again re-uses the preview's verdicts wherever
nothing they depended on has changed (services/import_rows.py, import_memo.py), so a
commit costs its writes, not a second validation. Queries per batch stay flat: existing
exporters are preloaded per chunk of rows, never fetched per row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from functools import cache

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..bulk import copy_instances, copy_new, fewer_collections, instance_maker, write_history
from ..forms.imports import Table, read_table
from ..models import Exporter, ImportBatch, User
from ..models.imports import DISCARDABLE, ImportRow, ImportStatus, RowOutcome
from ..spreadsheets import ImportFileError, cell_text, limits, too_big_message
from ..tasks import import_validate_task
from .import_memo import CheckedWriter, checked_header, checked_read, digest, memo_delete, rows_read, rows_save
from .import_rows import Checked, Checker, Report, Valid, check_again, check_table, chunked
from .summary import summary_changed

logger = logging.getLogger(__name__)

WRITE_BATCH = 1000
COPY_BATCH = 5000
Progress = Callable[[int], None]  # told the rows done after each chunk


@transaction.atomic
def write_report(*, report: Report, actor: User | None, reason: str) -> tuple[int, int]:
    """Create the new exporters and update the changed ones, with history rows; returns (created, updated)."""
    now = timezone.now()
    new = [r.data for r in report.valid if r.outcome == RowOutcome.NEW]
    # COPY with the history rows (bulk_create's per-value SQL compiling was most of the commit),
    # a few thousand at a time: 100,000 unsaved exporters at once held hundreds of MB.
    make = instance_maker(Exporter)  # without Model.__init__ per row: ~1 s of CPU less at 100,000 rows
    for chunk in chunked(new, COPY_BATCH):
        exporters = [make(**_attnames(data)) for data in chunk]
        copy_new(Exporter, exporters, actor=actor, reason=reason, when=now)
    updated = _update([r for r in report.valid if r.outcome == RowOutcome.UPDATE], when=now)
    if updated:
        write_history(Exporter, updated, actor=actor, reason=reason, when=now, history_type="~")
    summary_changed()
    return len(new), len(updated)


def _attnames(data: dict) -> dict:
    """A valid row's data as an exporter's attributes: the sector by its id."""
    values = dict(data)
    sector = values.pop("sector")
    values["sector_id"] = sector.pk if sector else None
    return values


def _update(rows: list[Valid], *, when: datetime) -> list[Exporter]:
    """Write each row's changes to its exporter: only the fields it changes, rows grouped by them,
    and the one updated_at for all by id. bulk_update builds a CASE per field and row: every
    field of 10,000 rows took 40 s."""
    by_fields: dict[tuple[str, ...], list[Exporter]] = {}
    for row in rows:
        changed = tuple(name for name, value in row.data.items() if getattr(row.instance, name) != value)
        for name in changed:
            setattr(row.instance, name, row.data[name])
        row.instance.updated_at = when
        by_fields.setdefault(changed, []).append(row.instance)
    for fields, exporters in by_fields.items():
        if fields:
            Exporter.objects.bulk_update(exporters, fields, batch_size=WRITE_BATCH)
    updated = [row.instance for row in rows]
    for chunk in chunked(updated, 900):  # under SQLite's parameter limit
        Exporter.objects.filter(pk__in=[exporter.pk for exporter in chunk]).update(updated_at=when)
    return updated


# --- ImportBatch bookkeeping ---------------------------------------------------


@transaction.atomic
def import_batch_store(
    *, actor: User | None, name: str, file: File, all_or_nothing: bool = False, replace_lists: bool = False
) -> ImportBatch:
    """Keep an uploaded file in storage as a batch waiting to be read; writes the batch and the file, reads none of it.

    This is all the upload request does, whatever the file's size: a worker reads and checks
    it (import_batch_validate), from storage, so it may run on another machine.
    """
    batch = ImportBatch(
        uploaded_by=actor, file_name=name[:255], all_or_nothing=all_or_nothing, replace_lists=replace_lists
    )
    batch.file.save(name, file, save=False)  # streamed to storage in chunks, never read whole here
    batch.save()
    return batch


def import_batch_create(
    *, actor: User | None, name: str, content: bytes, all_or_nothing: bool = False, replace_lists: bool = False
) -> ImportBatch:
    """Store a file as a batch and read it at once (the command line's path); an unreadable file
    gives a FAILED batch with why. Writes the batch, the file and (for a workbook) its rows."""
    batch = import_batch_store(
        actor=actor,
        name=name,
        file=ContentFile(content),
        all_or_nothing=all_or_nothing,
        replace_lists=replace_lists,
    )
    try:
        table = _read_table(batch, digest(content), content, None)
    except ImportFileError as exc:
        return _drop_upload(_fail(batch, str(exc)))
    batch.total_rows, batch.message = table.total_rows, " ".join(table.warnings)
    batch.save(update_fields=["total_rows", "message"])
    return batch


def _read_table(batch: ImportBatch, file_digest: str, content: bytes, on_read: Progress | None) -> Table:
    """Read the upload's rows (limits enforced as they are read) and keep a workbook's as JSON beside it."""
    table = read_table(content, batch.file_name, on_read)
    if table.kind == "xlsx":  # read once: openpyxl takes ~12 s of CPU for 100,000 rows, their JSON 0.7 s
        rows_save(batch, file_digest, table)
    return table


# A batch still waiting to be read this long after its upload was never queued (a queued one is
# claimed within seconds, unless the workers are that far behind; a second task for it then
# finds it claimed or done). Beat runs the recovery every minute.
STUCK_AFTER = timedelta(minutes=10)
WAITING_FOR_WORKER = gettext_lazy(
    "The background worker cannot be reached just now. The file is kept, and its check starts on"
    " its own as soon as the worker is back: this page updates by itself."
)


def import_batch_queue_check(*, batch: ImportBatch) -> bool:
    """Queue the background check of a large file. With the broker down the batch is kept
    waiting (`waiting_since`), and `imports_recover` queues it once the broker is back."""
    if import_validate_task.publish([(batch.pk,)]):
        return True
    batch.waiting_since, batch.message = timezone.now(), str(WAITING_FOR_WORKER)
    batch.save(update_fields=["waiting_since", "message"])
    return False


@transaction.atomic
def imports_recover() -> int:
    """Queue the check of every batch whose task the broker refused, or that no worker has taken
    for STUCK_AFTER (its task was lost: the web process died between storing the file and
    queuing it); returns how many reached the broker. SKIP LOCKED: concurrent runs split the batches."""
    refused = Q(waiting_since__isnull=False)
    lost = Q(waiting_since__isnull=True, created_at__lt=timezone.now() - STUCK_AFTER)
    waiting = list(
        ImportBatch.objects.filter(refused | lost, status=ImportStatus.UPLOADED)
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Published now, not on commit: the batches are committed already, and their row locks
    # hold the check's claim until `waiting_since` is cleared here.
    published = [pk for (pk,) in import_validate_task.publish((pk,) for pk in waiting)]
    ImportBatch.objects.filter(pk__in=published).update(waiting_since=None, message="")
    return len(published)


def _content(batch: ImportBatch) -> bytes:
    """The stored upload's bytes, from whichever storage holds it; refused past the size limit
    (the request checked it too, but the stored file is what is read)."""
    max_bytes, _rows = limits()
    try:
        size = batch.file.size
        if size > max_bytes:
            raise ImportFileError(too_big_message(size, max_bytes))
        with batch.file.open("rb") as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        raise ImportFileError(_("The uploaded file can no longer be read from storage: upload it again.")) from exc


def _read(batch: ImportBatch) -> tuple[str, Callable[[], Table]]:
    """The upload's digest, and its table (read when first asked for: from the rows kept at upload if any)."""
    content = _content(batch)
    file_digest = digest(content)
    return file_digest, cache(lambda: rows_read(batch, file_digest) or read_table(content, batch.file_name))


def _progress(batch: ImportBatch, progress: bool, also: Progress | None) -> Progress | None:
    def report(done: int) -> None:
        if progress:  # outside any transaction, so the page polling the batch sees it move
            ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=done)
        if also:
            also(done)

    return report if progress or also else None


def import_batch_claim(*, batch: ImportBatch, old: list[str], new: str) -> bool:
    """Move the batch from one of `old` to `new` unless another request or worker got there first."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status__in=old).update(status=new, processed_rows=0)
    if claimed:
        batch.status, batch.processed_rows = new, 0
    return bool(claimed)


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    batch.status, batch.message, batch.finished_at = ImportStatus.FAILED, message, timezone.now()
    batch.save(update_fields=["status", "message", "finished_at"])
    memo_delete(batch)
    return batch


def _drop_upload(batch: ImportBatch) -> ImportBatch:
    """A refused file is not kept: no step can use it, and it may be hostile (a workbook that
    expands to gigabytes). Its batch stays, FAILED with the message."""
    if batch.file:
        batch.file.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
    return batch


def _guarded(batch: ImportBatch, unexpected: str, check: Callable[[], Report]) -> Report | ImportBatch:
    """Run a check of the batch's rows: its report, or the failed batch.

    A bad file fails the batch with its message; anything else is logged, fails the batch
    with `unexpected`, and is raised for the task's retry.
    """
    try:
        return check()
    except ImportFileError as exc:
        return _fail(batch, str(exc))
    except Exception:
        logger.exception("import batch %s: checking the file failed", batch.pk)
        _fail(batch, unexpected)
        raise


def _walk(
    chunks: Iterable[list[Checked]],
    report: Report,
    on_progress: Progress | None,
    on_chunk: Callable[[list[Checked]], None] | None = None,
) -> Report:
    """Add every checked row to the report, telling `on_progress` the rows done after each chunk."""
    done = 0
    for chunk in chunks:
        for checked in chunk:
            report.add(checked)
        if on_chunk:
            on_chunk(chunk)
        done += len(chunk)
        if on_progress:
            on_progress(done)
    return report


@fewer_collections()
def import_batch_validate(
    *, batch: ImportBatch, progress: bool = True, on_progress: Progress | None = None
) -> ImportBatch:
    """Check every row and store the preview (and the verdicts, for the commit) on the batch; writes no exporter.

    `progress` shows the rows done on the batch as it goes; `on_progress` is told them too.
    """
    # READING, VALIDATING: a task delivered again (its worker died) starts over.
    waiting = [ImportStatus.UPLOADED, ImportStatus.READING, ImportStatus.VALIDATING]
    if not import_batch_claim(batch=batch, old=waiting, new=ImportStatus.READING):
        return batch
    ImportRow.objects.filter(batch=batch).delete()  # a task delivered again starts the preview afresh
    memo_delete(batch, ("checked",))
    unexpected = _("Checking the file failed unexpectedly; the team has been told. Try again later.")
    report = _guarded(batch, unexpected, lambda: _validate(batch, _progress(batch, progress, on_progress)))
    if isinstance(report, ImportBatch):  # the file was refused, with its message
        return _drop_upload(report)
    for name, value in report.counts.items():
        setattr(batch, name, value)
    batch.total_rows = batch.processed_rows = report.total
    batch.errors = report.errors
    batch.message = " ".join(report.warnings)
    batch.status = ImportStatus.PREVIEW
    batch.save()
    return batch


def _validate(batch: ImportBatch, on_progress: Progress | None) -> Report:
    content = _content(batch)
    file_digest = digest(content)
    # Read first, whole, with every limit (rows, cells, columns, stored bytes): a refused file
    # fails the batch before any preview row is written. The rows read count up on the page.
    table = rows_read(batch, file_digest) or _read_table(batch, file_digest, content, on_progress)
    del content
    batch.status, batch.total_rows, batch.processed_rows = ImportStatus.VALIDATING, table.total_rows, 0
    ImportBatch.objects.filter(pk=batch.pk).update(status=batch.status, total_rows=batch.total_rows, processed_rows=0)
    checker = Checker(replace_lists=batch.replace_lists)
    with CheckedWriter(checked_header(batch, file_digest, checker)) as verdicts:

        def store(chunk: list[Checked]) -> None:
            verdicts.add(chunk)
            # COPY: the preview of 100,000 rows is 100,000 inserts
            copy_instances(ImportRow, [checked.preview(batch.pk) for checked in chunk])

        report = _walk(check_table(table, checker), Report(warnings=table.warnings), on_progress, store)
        verdicts.save(batch)
    return report


def _check_again(batch: ImportBatch, on_progress: Progress | None) -> Report:
    """Every row judged as the database is now: the stored verdicts that still stand, the others again."""
    file_digest, table = _read(batch)  # the table is read only if some row is judged again
    checker = Checker(replace_lists=batch.replace_lists)
    stored = checked_read(batch, checked_header(batch, file_digest, checker), checker)
    chunks = check_table(table(), checker) if stored is None else check_again(stored, table, checker)
    return _walk(chunks, Report(keep_valid=True), on_progress)


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
        transaction.on_commit(lambda: memo_delete(batch))  # the upload stays, for the record
        logger.info("import batch %s discarded by user %s", batch.pk, actor.pk)
    return bool(discarded)


def import_batch_files_delete(batch: ImportBatch) -> None:
    """Delete what a batch keeps in storage (its upload, its checked rows): for a batch rolled back."""
    memo_delete(batch)
    if batch.file:
        batch.file.delete(save=False)


def import_errors_table(batch: ImportBatch) -> tuple[list[str], Iterator[list[str]]]:
    """The rows with errors as uploaded (every column, in the file's order) plus an "errors"
    column: a file to correct and upload again. Read again from the stored file."""
    by_row: dict[int, list[str]] = {}
    for error in batch.errors:
        where = f"{error['column']}: " if error.get("column") else ""
        by_row.setdefault(error["row"], []).append(where + error["message"])
    _digest, read = _read(batch)
    table = read()
    width = max([len(table.header_cells), *(len(r) for n, r in table.records if n in by_row)])
    header = [*table.header_cells, *[""] * (width - len(table.header_cells)), "errors"]

    def rows() -> Iterator[list[str]]:
        for number, record in table.records:
            if number in by_row:
                cells = [cell_text(cell) for cell in record]
                yield [*cells, *[""] * (width - len(cells)), "; ".join(by_row[number])]

    return header, rows()


@fewer_collections()
def import_batch_commit(
    *, actor: User | None, batch: ImportBatch, progress: bool = True, on_progress: Progress | None = None
) -> ImportBatch:
    """Check again and write the valid rows (or, all-or-nothing, none if any is bad) in one transaction.

    Progress (as for validation) counts the rows checked; the write that follows is one step.
    """
    waiting = [ImportStatus.PREVIEW, ImportStatus.COMMITTING]  # COMMITTING: claimed by the page for a task
    if not import_batch_claim(batch=batch, old=waiting, new=ImportStatus.COMMITTING):
        return batch
    unexpected = _("The import failed unexpectedly and wrote nothing; the team has been told.")
    report = _guarded(batch, unexpected, lambda: _check_again(batch, _progress(batch, progress, on_progress)))
    if isinstance(report, ImportBatch):
        return report
    batch.errors = report.errors
    batch.error_count = report.error_rows
    if batch.all_or_nothing and report.error_rows:
        batch.new_count = batch.update_count = 0
        batch.unchanged_count = report.count(RowOutcome.UNCHANGED)
        batch.save()
        return _fail(
            batch,
            _("Nothing was written: this import is all-or-nothing and %(count)s row(s) have errors.")
            % {"count": report.error_rows},
        )
    try:
        with transaction.atomic():
            created, updated = write_report(
                report=report, actor=actor, reason=f"Imported from {batch.file_name} (import #{batch.pk})"
            )
            batch.new_count, batch.update_count = created, updated
            batch.unchanged_count = report.count(RowOutcome.UNCHANGED)
            batch.status, batch.finished_at = ImportStatus.DONE, timezone.now()
            batch.processed_rows = report.total
            batch.message = _result_message(created, updated, batch.unchanged_count, report.error_rows)
            batch.save()
    except IntegrityError:
        # Another import (or a person) registered one of these GSTINs first: an expected
        # race, told to the user by the batch's message, not a bug with a traceback to log.
        message = _(
            "Someone registered one of these exporters while the import ran; nothing was written. Commit again."
        )
        ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.COMMITTING).update(
            status=ImportStatus.PREVIEW, message=message
        )
        batch.refresh_from_db()
    else:
        memo_delete(batch)  # a done batch is never checked again
    return batch


def _result_message(created: int, updated: int, unchanged: int, errors: int) -> str:
    parts = [
        _("%(count)s added") % {"count": created},
        _("%(count)s updated") % {"count": updated},
        _("%(count)s unchanged") % {"count": unchanged},
    ]
    if errors:
        parts.append(
            ngettext("%(count)s row skipped for errors", "%(count)s rows skipped for errors", errors)
            % {"count": errors}
        )
    return ", ".join(parts) + "."
