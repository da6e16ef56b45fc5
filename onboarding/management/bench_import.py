"""The import-memory part of `manage.py bench`: the importer's peak memory on a large file
and on a hostile one.

The hostile file is what a security review sent: a workbook of a few KB whose sheet
declares 16,384 columns (`<dimension ref="A1:XFD10000"/>`) over 10,000 rows. openpyxl
pads every row it reads to the declared width, so reading it naively held 1.3 GB. Peak
memory is Python's own (tracemalloc) while the import service stores and checks the file;
each run is rolled back.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

from django.db import transaction

from ..models import User
from ..services.imports import import_batch_create, import_batch_files_delete, import_batch_validate
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
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
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
    """Peak memory of checking a `rows`-row workbook and the hostile wide one; printed and returned.

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
    for label, figure in figures.items():
        command.stdout.write(
            f"import memory, {label} ({figure['file_kb']:,} KB, {figure['rows']:,} rows): "
            f"peak {figure['peak_mb']} MB ({figure['seconds_traced']} s traced), {figure['status']}"
            + (f" — {figure['message']}" if figure["status"] == "failed" else "")
        )
    return figures
