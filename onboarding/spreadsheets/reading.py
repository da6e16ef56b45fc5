"""Reading uploaded spreadsheets: CSV (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252) and XLSX.

Reading turns a file's bytes into numbered rows of raw cells, refusing a file it
cannot read with a message that says what to do; it knows nothing of what the
columns mean (forms/imports.py does).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter

from .sheet_cells import FirstSheet

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 60  # the template has 20; councils add a few of their own
# What a workbook may unpack to. A 100,000-row file of the template's columns is about
# 60 MB of XML; a "zip bomb" of a few MB could unpack to gigabytes and keep a worker
# parsing for minutes, so it is refused from the archive's directory before any parsing.
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
# The longest cell any exporter column needs (forms/imports.py holds each column to less).
# A workbook stores a text once and lets any number of cells point at it: 50,000 cells naming
# one 30 KB string are a small file but 1.5 GB once each is written out, so a longer cell
# stops the file as it is read, before anything copies it.
MAX_CELL_CHARS = 1000
ALLOWED_EXTENSIONS = (".csv", ".xlsx")
HEADER_SEARCH_ROWS = 10  # title rows a council may put above the header
# Rows read between two calls of a reader's `on_read` (the batch page's "rows read"): each call
# is a database write in the worker, so not one per row.
READ_PROGRESS_ROWS = 5000
# A cell a spreadsheet would run as a formula (CSV injection): "=…", "@SUM(…)", "+cmd|…", "-2+3+cmd|…".
FORMULA_RE = re.compile(r"^(=|[+\-@][A-Za-z(=@]|[+\-@].*[|!])")
_MAGIC = {
    b"%PDF": gettext_lazy("a PDF document"),
    b"\xd0\xcf\x11\xe0": gettext_lazy("an old Excel (.xls) or password-protected workbook: save it as .xlsx or CSV"),
    b"\x89PNG": gettext_lazy("a PNG image"),
    b"\xff\xd8\xff": gettext_lazy("a JPEG image"),
    b"GIF8": gettext_lazy("a GIF image"),
    b"\x1f\x8b": gettext_lazy("a gzip archive"),
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message tells a person why and what to do."""


# --- Limits -------------------------------------------------------------------


def limits() -> tuple[int, int]:
    """(most bytes, most rows) an uploaded file may have."""
    return (
        getattr(settings, "IMPORT_MAX_BYTES", MAX_BYTES),
        getattr(settings, "IMPORT_MAX_ROWS", MAX_ROWS),
    )


def max_columns() -> int:
    """The most columns a file may use: cells past them are never read into memory."""
    return getattr(settings, "IMPORT_MAX_COLUMNS", MAX_COLUMNS)


def too_long_cell_error(number: int, column: str, length: int, limit: int) -> ImportFileError:
    return ImportFileError(
        _(
            "Row %(number)s, column %(column)s: the cell holds %(length)s characters; this column needs at most "
            "%(limit)s. Shorten it (or delete the column if it is not exporter data) and upload the file again."
        )
        % {"number": number, "column": column, "length": f"{length:,}", "limit": f"{limit:,}"}
    )


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def too_big_message(size: int, max_bytes: int) -> str:
    return _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.") % {
        "size": human_size(size),
        "limit": human_size(max_bytes),
    }


def too_many_rows_error(max_rows: int) -> ImportFileError:
    return ImportFileError(
        _("The file has more than %(rows)s rows: split it into smaller files.") % {"rows": f"{max_rows:,}"}
    )


def too_wide_error(what: str, limit: int) -> ImportFileError:
    return ImportFileError(
        _(
            "%(what)s; an exporter file may use at most %(limit)s columns. Delete the columns "
            "to the right of your data (even empty-looking ones) and save the file again."
        )
        % {"what": what, "limit": limit}
    )


# --- Reading ------------------------------------------------------------------


def check_name(name: str) -> None:
    """Refuse a file whose name says it is neither CSV nor XLSX: cheap enough for the upload request."""
    lower = name.lower()
    if not lower.endswith(ALLOWED_EXTENSIONS):
        if lower.endswith(".xls"):
            raise ImportFileError(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV."))
        raise ImportFileError(_("Upload a .csv or .xlsx file; “%(name)s” is neither.") % {"name": name})


def read_records(data: bytes, name: str, on_read: Callable[[int], None] | None = None) -> tuple[str, list]:
    """A CSV or XLSX file's kind ("csv" or "xlsx") and its non-blank rows as (row number, raw cells).

    `on_read` is told the rows read so far, every READ_PROGRESS_ROWS rows. Raises
    ImportFileError with a clear message when the file cannot be read.
    """
    max_bytes, max_rows = limits()
    lower = name.lower()
    check_name(name)
    if len(data) > max_bytes:
        raise ImportFileError(too_big_message(len(data), max_bytes))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    # Judged by content, not name: a workbook renamed .csv is still read as a workbook.
    if data.startswith(b"PK"):
        return "xlsx", _xlsx_records(data, max_rows, on_read)
    if lower.endswith(".xlsx"):
        raise ImportFileError(_("This .xlsx file is not an Excel workbook: save it again from Excel, or as CSV."))
    return "csv", _csv_records(data, max_rows, on_read)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252, which Excel on Windows writes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The file says it is UTF-16 text but is not: save it as CSV UTF-8.")) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_records(data: bytes, max_rows: int, on_read: Callable[[int], None] | None) -> list:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(_("This is not a CSV file: it looks like %(what)s.") % {"what": what})
    text = decode(data)
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or "\ufffd" in sample or controls > len(sample) // 100:
        raise ImportFileError(_("This is not a CSV file: it holds binary data. Save the sheet as CSV or .xlsx."))
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    delimiter = max(",;\t|", key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _non_blank(_narrow(enumerate(reader, start=1), max_columns()), max_rows, on_read)
    except csv.Error as exc:
        raise ImportFileError(
            _("Line %(line)s cannot be read as CSV (%(error)s). Save the sheet as CSV again.")
            % {"line": reader.line_num, "error": exc}
        ) from exc


def _xlsx_records(data: bytes, max_rows: int, on_read: Callable[[int], None] | None) -> list:
    _check_unzipped_size(data)
    try:
        sheet = FirstSheet(io.BytesIO(data))
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, …) on damaged files
        raise ImportFileError(
            _("This file cannot be opened as an Excel workbook: save it again from Excel as .xlsx, or as CSV.")
        ) from exc
    try:
        if sheet.path is None:
            raise ImportFileError(_("The workbook has no sheet."))
        limit = max_columns()
        # A sheet declaring itself wider than any import (<dimension ref="A1:XFD10000"/>) is
        # refused before any row is read, in the words a person can act on.
        declared = sheet.declared_columns() or 0
        if declared > limit:
            raise too_wide_error(_("The first sheet is %(columns)s columns wide") % {"columns": f"{declared:,}"}, limit)
        # One column more than the limit, to notice data past it; no row is wider.
        return _non_blank(_narrow(enumerate(sheet.rows(max_col=limit + 1), start=1), limit), max_rows, on_read)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(_("The workbook's first sheet cannot be read: save it again, or as CSV.")) from exc
    finally:
        sheet.close()


def _check_unzipped_size(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_UNZIPPED_BYTES (the zip directory says)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # load_workbook reports a damaged file in words
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ImportFileError(
            _(
                "This workbook unpacks to %(size)s, far more than exporter rows need "
                "(the limit is %(limit)s): copy the rows into a new workbook, or save it as CSV."
            )
            % {"size": human_size(unzipped), "limit": human_size(MAX_UNZIPPED_BYTES)}
        )


def _narrow(numbered_records: Iterable, limit: int) -> Iterator[tuple[int, Sequence]]:
    """Rows without their trailing empty cells; a row with data past `limit` columns, or a cell
    longer than MAX_CELL_CHARS, stops the file."""
    for number, record in numbered_records:
        end = len(record)
        while end and not cell_text(record[end - 1]):
            end -= 1
        if end > limit:
            raise too_wide_error(
                _("Row %(number)s has data past column %(column)s")
                % {"number": number, "column": get_column_letter(limit)},
                limit,
            )
        for index in range(end):
            cell = record[index]
            if cell.__class__ is str and len(cell) > MAX_CELL_CHARS:
                raise too_long_cell_error(number, get_column_letter(index + 1), len(cell), MAX_CELL_CHARS)
        yield number, tuple(record[:end])


def _non_blank(numbered_records, max_rows: int, on_read: Callable[[int], None] | None = None) -> list:
    """Rows with something in them (rows come without trailing empty cells); stops early on a
    file far past the row limit."""
    records, blank_run = [], 0
    append = records.append
    for number, record in numbered_records:
        if not record:
            blank_run += 1
            if blank_run > 1000:  # formatting down to row 1,048,576 is not data
                break
            continue
        blank_run = 0
        append((number, record))
        read = len(records)
        if read > max_rows + HEADER_SEARCH_ROWS:
            raise too_many_rows_error(max_rows)
        if on_read is not None and not read % READ_PROGRESS_ROWS:
            on_read(read)
    return records


def cell_text(value: object) -> str:
    """A cell as text, undoing what spreadsheets do to numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 411001.0 -> "411001"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith("'"):  # Excel's "treat as text" marker, kept by some exports
        text = text[1:].strip()
    return text
