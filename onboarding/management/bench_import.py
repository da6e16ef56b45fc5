"""The import parts of `manage.py bench` beyond the 10,000-row CSV: a large workbook through
the page's path (upload, validation task, commit task: seconds, progress and memory per
phase), and the importer's peak memory on a large file and on a hostile one.

The hostile files are what security reviews sent. One is a workbook of a few KB whose sheet
declares 16,384 columns (`<dimension ref="A1:XFD10000"/>`) over 10,000 rows. openpyxl
pads every row it reads to the declared width, so reading it naively held 1.3 GB. The other
points 50,000 cells at one 30 KB shared string: openpyxl keeps that string once, but writing
the rows out (as JSON, beside the upload) wrote it 50,000 times and took a worker to 3 GB.
Peak memory is Python's own (tracemalloc) while the import service stores and checks the
file; each run is rolled back.
"""

from __future__ import annotations

import io
import re
import resource
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from contextlib import suppress
from itertools import pairwise
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ..models import Exporter, ImportBatch, User
from ..services.imports import (
    import_batch_commit,
    import_batch_create,
    import_batch_files_delete,
    import_batch_store,
    import_batch_validate,
)
from ..spreadsheets import xlsx_bytes
from . import demo

HOSTILE_BUDGET_MB = 200

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Exporters" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _text(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def wide_xlsx(rows: int = 10_000, *, declared_columns: int = 16_384, far_cell: bool = False) -> bytes:
    """A few-KB workbook whose sheet claims `declared_columns` columns over `rows` rows.

    Rows carry no `r` attribute (it is optional), so the XML repeats and compresses to
    almost nothing. With `declared_columns=0` the sheet has no dimension at all; with
    `far_cell` every row also has a cell in the last column Excel allows (XFD).
    """
    dimension = f'<dimension ref="A1:{_column(declared_columns)}{rows}"/>' if declared_columns else ""
    # Rows and cells without an `r` attribute follow on from the previous one; "XFD1" puts
    # the far cell in column XFD (openpyxl takes only its column).
    far = '<c r="XFD1" t="inlineStr"><is><t>x</t></is></c>' if far_cell else ""
    header = f"<row>{_text('Legal name')}{_text('GSTIN')}{far}</row>"
    body = header + f"<row>{_text('x')}{_text('y')}{far}</row>" * (rows - 1)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dimension}<sheetData>{body}</sheetData></worksheet>"
    )
    return one_sheet_workbook(sheet)


def shared_string_xlsx(cells: int = 50_000, *, length: int = 30_000, per_row: int = 5, from_column: int = 0) -> bytes:
    """A small workbook whose `cells` cells all point at one shared string of `length` characters.

    The sheet is the template's two required columns, then rows of `per_row` cells each naming
    shared string 0 (`<c t="s"><v>0</v></c>`): compressed, a few hundred KB; written out cell by
    cell, `cells` × `length` characters. With `from_column` the cells left of it hold a short
    text instead (so that only the columns the import ignores are long).
    """
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        f"<si><t>{'Handloom sarees ' * (length // 16)}{'x' * (length % 16)}</t></si></sst>"
    )
    header = "<row>" + _text("Legal name") + _text("GSTIN") + "".join(_text(f"Notes {n}") for n in range(per_row - 2))
    row = "<row>" + _text("x") * from_column + '<c t="s"><v>0</v></c>' * (per_row - from_column) + "</row>"
    body = header + "</row>" + row * (cells // per_row)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    return one_sheet_workbook(sheet, shared_strings=shared)


def one_sheet_workbook(sheet: str, *, shared_strings: str = "") -> bytes:
    """A one-sheet workbook, zipped as Excel does (its shared strings part only if given)."""
    content_types, workbook_rels = _CONTENT_TYPES, _WORKBOOK_RELS
    if shared_strings:
        content_types = content_types.replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        workbook_rels = workbook_rels.replace(
            "</Relationships>",
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>',
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        if shared_strings:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def _column(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def import_peak(*, staff: User | None, name: str, content: bytes) -> dict:
    """Store and check one file through the import service, rolled back: peak MB, traced seconds, outcome."""
    batch = None
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            batch = import_batch_create(actor=staff, name=name, content=content)
            if batch.file:
                batch = import_batch_validate(batch=batch, progress=False)
            _current, peak = tracemalloc.get_traced_memory()
            outcome = {"status": batch.status, "rows": batch.total_rows, "message": batch.message[:200]}
            transaction.set_rollback(True)
    finally:
        tracemalloc.stop()
        if batch is not None:
            import_batch_files_delete(batch)
    return {
        "file_kb": round(len(content) / 1024, 1),
        "peak_mb": round(peak / 1024 / 1024, 1),
        # tracemalloc slows Python down several times: these seconds are not the import's speed.
        "seconds_traced": round(time.perf_counter() - started, 2),
        **outcome,
    }


def bench_import_memory(command, staff: User, rows: int) -> dict:
    """Peak memory of checking a `rows`-row workbook and the two hostile ones; printed and returned.

    The large file is an .xlsx: 100,000 rows of CSV are about 14 MB, past the 10 MB upload limit,
    while the same rows as a workbook are about 8 MB.
    """
    figures = {}
    if rows:
        records = demo.exporter_file_rows(rows)
        content = xlsx_bytes(list(records[0]), (list(r.values()) for r in records), sheet="Exporters")
        del records
        figures["large_xlsx"] = import_peak(staff=staff, name="bench-memory.xlsx", content=content)
        del content
    figures["hostile_xlsx"] = import_peak(staff=staff, name="bench-wide.xlsx", content=wide_xlsx())
    figures["hostile_xlsx"]["budget_mb"] = HOSTILE_BUDGET_MB
    figures["shared_string_xlsx"] = import_peak(staff=staff, name="bench-shared.xlsx", content=shared_string_xlsx())
    figures["shared_string_xlsx"]["budget_mb"] = HOSTILE_BUDGET_MB
    for label, figure in figures.items():
        command.stdout.write(
            f"import memory, {label} ({figure['file_kb']:,} KB, {figure['rows']:,} rows): "
            f"peak {figure['peak_mb']} MB ({figure['seconds_traced']} s traced), {figure['status']}"
            + (f" — {figure['message']}" if figure["status"] == "failed" else "")
        )
    return figures


# --- A large workbook through the page's path --------------------------------------------


def bench_import_large(command, staff: User, rows: int) -> dict:
    """A `rows`-row workbook of new exporters through the services the page and its Celery tasks
    call, in-process and rolled back: the upload request (which only stores the file), the
    worker's read and check with progress, and the commit with progress.

    Per phase: wall and CPU seconds, queries, the longest wait between two progress updates
    (what the page's bar shows; the commit's write is one step after its checks) and the
    peak RSS. Each phase loads the batch afresh, as a task does. End to end is the three
    phases' sum: what the person waits from pressing "Upload" to the written exporters, less
    the queue and their own reading of the preview.
    """
    records = demo.exporter_file_rows(rows, start=6_000_000)
    content = xlsx_bytes(list(records[0]), (list(r.values()) for r in records), sheet="Exporters")
    del records
    phases: dict[str, dict] = {}
    batch = None

    def upload(_tick) -> ImportBatch:  # what the upload request does with the posted file
        posted = SimpleUploadedFile("bench-large.xlsx", content)
        return import_batch_store(actor=staff, name=posted.name, file=posted)

    def validate(tick) -> ImportBatch:  # the batch loaded afresh, as the task does
        return import_batch_validate(batch=ImportBatch.objects.get(pk=batch.pk), on_progress=tick)

    def commit(tick) -> ImportBatch:
        committed = import_batch_commit(actor=staff, batch=ImportBatch.objects.get(pk=batch.pk), on_progress=tick)
        # What the commit's own COMMIT would check and the rollback skips: the deferred foreign
        # keys of every exporter and history row written (SQLite: the exporters' table alone).
        connection.check_constraints(table_names=[Exporter._meta.db_table])
        return committed

    try:
        with transaction.atomic():
            for label, step in (("upload", upload), ("validate", validate), ("commit", commit)):
                batch = _phase(phases, label, step)
            written = batch.new_count
            transaction.set_rollback(True)
    finally:
        if batch is not None:
            import_batch_files_delete(batch)
    total = round(sum(p["seconds"] for p in phases.values()), 1)
    peak = max(p["peak_rss_mb"] for p in phases.values())
    command.stdout.write(
        f"import of {rows:,} rows (.xlsx, {len(content) / 1024 / 1024:.1f} MB, the page's path in-process): "
        f"upload request {phases['upload']['seconds']} s, end to end {total} s, peak RSS {peak} MB, "
        f"{written:,} written and rolled back"
    )
    for label, figure in phases.items():
        waits = f", longest wait between progress updates {figure['longest_wait_s']} s" if figure["updates"] else ""
        command.stdout.write(
            f"  {label:<9} {figure['seconds']:>6} s (CPU {figure['cpu_s']} s), {figure['queries']} queries, "
            f"peak RSS {figure['peak_rss_mb']} MB, {figure['updates']} progress updates{waits}"
        )
    return {
        "rows": rows,
        "written": written,
        "upload_request_s": phases["upload"]["seconds"],
        "total_s": total,
        "peak_rss_mb": peak,
        "phases": phases,
    }


def _phase(phases: dict, label: str, run: Callable[[Callable[[int], None]], ImportBatch]) -> ImportBatch:
    ticks: list[float] = []
    _reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        batch = run(lambda _done: ticks.append(time.perf_counter()))
    ended = time.perf_counter()
    moments = [started, *ticks, ended]
    phases[label] = {
        "seconds": round(ended - started, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "queries": len(queries),
        "updates": len(ticks),
        "longest_wait_s": round(max(b - a for a, b in pairwise(moments)), 2),
        "peak_rss_mb": _peak_rss_mb(),
        "status": batch.status,
    }
    return batch


_STATUS = Path("/proc/self/status")


def _reset_peak_rss() -> None:
    """Linux lets a process reset its high-water mark, so each phase reports its own peak."""
    with suppress(OSError):  # elsewhere the peak is the process's so far
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> int:
    try:
        return int(re.search(r"VmHWM:\s+(\d+) kB", _STATUS.read_text()).group(1)) // 1024
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
