"""Spreadsheet files in and out: CSV (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252) and XLSX.

Reading turns a file's bytes into numbered rows of raw cells, refusing a file it
cannot read with a message that says what to do; it knows nothing of what the
columns mean (forms/imports.py does). Writing makes every download in the project,
with the formula guard on every text cell: a value a person typed never runs as a
formula in the spreadsheet that opens the file.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 60  # the template has 20; councils add a few of their own
# What a workbook may unpack to. A 100,000-row file of the template's columns is about
# 60 MB of XML; a "zip bomb" of a few MB could unpack to gigabytes and keep a worker
# parsing for minutes, so it is refused from the archive's directory before any parsing.
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
ALLOWED_EXTENSIONS = (".csv", ".xlsx")
HEADER_SEARCH_ROWS = 10  # title rows a council may put above the header
# A cell a spreadsheet would run as a formula (CSV injection): "=…", "@SUM(…)", "+cmd|…", "-2+3+cmd|…".
FORMULA_RE = re.compile(r"^(=|[+\-@][A-Za-z(=@]|[+\-@].*[|!])")
# What a written text cell must not start with: a spreadsheet may read it as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 500  # rows per piece of a streamed CSV: few, large writes to the socket
TEXT_FORMAT = "@"  # Excel's "Text" number format: the cell keeps every digit as typed
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or password-protected workbook: save it as .xlsx or CSV",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
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


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def too_big_message(size: int, max_bytes: int) -> str:
    return f"The file is {human_size(size)}; the limit is {human_size(max_bytes)}. Split it into smaller files."


def too_many_rows_error(max_rows: int) -> ImportFileError:
    return ImportFileError(f"The file has more than {max_rows:,} rows: split it into smaller files.")


def too_wide_error(what: str, limit: int) -> ImportFileError:
    return ImportFileError(
        f"{what}; an exporter file may use at most {limit} columns. Delete the columns "
        "to the right of your data (even empty-looking ones) and save the file again."
    )


# --- Reading ------------------------------------------------------------------


def read_records(data: bytes, name: str) -> tuple[str, list]:
    """A CSV or XLSX file's kind ("csv" or "xlsx") and its non-blank rows as (row number, raw cells).

    Raises ImportFileError with a clear message when the file cannot be read.
    """
    max_bytes, max_rows = limits()
    lower = name.lower()
    if not lower.endswith(ALLOWED_EXTENSIONS):
        if lower.endswith(".xls"):
            raise ImportFileError("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV.")
        raise ImportFileError(f"Upload a .csv or .xlsx file; “{name}” is neither.")
    if len(data) > max_bytes:
        raise ImportFileError(too_big_message(len(data), max_bytes))
    if not data.strip():
        raise ImportFileError("The file is empty.")
    # Judged by content, not name: a workbook renamed .csv is still read as a workbook.
    if data.startswith(b"PK"):
        return "xlsx", _xlsx_records(data, max_rows)
    if lower.endswith(".xlsx"):
        raise ImportFileError("This .xlsx file is not an Excel workbook: save it again from Excel, or as CSV.")
    return "csv", _csv_records(data, max_rows)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252, which Excel on Windows writes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError("The file says it is UTF-16 text but is not: save it as CSV UTF-8.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_records(data: bytes, max_rows: int) -> list:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(f"This is not a CSV file: it looks like {what}.")
    text = decode(data)
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or "\ufffd" in sample or controls > len(sample) // 100:
        raise ImportFileError("This is not a CSV file: it holds binary data. Save the sheet as CSV or .xlsx.")
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    delimiter = max(",;\t|", key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _non_blank(_narrow(enumerate(reader, start=1), max_columns()), max_rows)
    except csv.Error as exc:
        raise ImportFileError(
            f"Line {reader.line_num} cannot be read as CSV ({exc}). Save the sheet as CSV again."
        ) from exc


def _xlsx_records(data: bytes, max_rows: int) -> list:
    _check_unzipped_size(data)
    try:
        # read_only streams the sheet; data_only=False so formulas arrive as "=…" and are refused.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, …) on damaged files
        raise ImportFileError(
            "This file cannot be opened as an Excel workbook: save it again from Excel as .xlsx, or as CSV."
        ) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError("The workbook has no sheet.")
        sheet, limit = workbook.worksheets[0], max_columns()
        # The sheet's declared size (its <dimension ref="A1:XFD10000"/>) is checked before any
        # row is read: openpyxl pads every row to the declared width, so a 3 KB file claiming
        # 16,384 columns would otherwise cost gigabytes.
        if (sheet.max_column or 0) > limit:
            raise too_wide_error(f"The first sheet is {sheet.max_column:,} columns wide", limit)
        # max_col bounds every row whatever the file declares (one more column, to notice
        # data past the limit); a missing dimension would otherwise size rows by their last cell.
        rows = sheet.iter_rows(min_row=1, max_col=limit + 1, values_only=True)
        return _non_blank(_narrow(enumerate(rows, start=1), limit), max_rows)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError("The workbook's first sheet cannot be read: save it again, or as CSV.") from exc
    finally:
        workbook.close()


def _check_unzipped_size(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_UNZIPPED_BYTES (the zip directory says)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # load_workbook reports a damaged file in words
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ImportFileError(
            f"This workbook unpacks to {human_size(unzipped)}, far more than exporter rows need "
            f"(the limit is {human_size(MAX_UNZIPPED_BYTES)}): copy the rows into a new workbook, or save it as CSV."
        )


def _narrow(numbered_records: Iterable, limit: int) -> Iterator[tuple[int, Sequence]]:
    """Rows without their trailing empty cells; a row with data past `limit` columns stops the file."""
    for number, record in numbered_records:
        end = len(record)
        while end and not cell_text(record[end - 1]):
            end -= 1
        if end > limit:
            raise too_wide_error(f"Row {number} has data past column {get_column_letter(limit)}", limit)
        yield number, tuple(record[:end])


def _non_blank(numbered_records, max_rows: int) -> list:
    """Rows with something in them (rows come without trailing empty cells); stops early on a
    file far past the row limit."""
    records, blank_run = [], 0
    for number, record in numbered_records:
        if not record:
            blank_run += 1
            if blank_run > 1000:  # formatting down to row 1,048,576 is not data
                break
            continue
        blank_run = 0
        records.append((number, record))
        if len(records) > max_rows + HEADER_SEARCH_ROWS:
            raise too_many_rows_error(max_rows)
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


# --- Writing ------------------------------------------------------------------


def safe_cell(value: object) -> object:
    """Keep a spreadsheet from running a text value as a formula; anything but text is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain(value: object) -> object:
    """A value a spreadsheet can hold: aware datetimes in local time (Excel has no time zones),
    lists as "a; b"."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return value


_FIRST = frozenset(FORMULA_STARTS)  # every formula start is one character


def written(value: object) -> object:
    """plain() then safe_cell(): what a writer puts in a cell. Called for every cell of a
    100,000-row export, so plain text (most cells) takes the shortest path."""
    if type(value) is str:
        return "'" + value if value[:1] in _FIRST else value
    return safe_cell(plain(value))


def csv_stream(header: Sequence[object], rows: Iterable[Sequence[object]], *, bom: bool = True) -> Iterator[bytes]:
    """A CSV file in pieces (UTF-8, with a BOM that makes Excel read it as UTF-8 unless bom=False).

    Rows are consumed as they come and sent CSV_BATCH_ROWS at a time: memory stays flat
    however many rows.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    if bom:
        out.write("\ufeff")
    writer.writerow([written(cell) for cell in header])
    batch: list[list] = []
    for row in rows:
        batch.append([written(cell) for cell in row])
        if len(batch) >= CSV_BATCH_ROWS:
            writer.writerows(batch)
            batch = []
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    writer.writerows(batch)
    yield out.getvalue().encode()


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]], *, bom: bool = True) -> bytes:
    """A whole CSV file (see csv_stream), for small files built in memory."""
    return b"".join(csv_stream(header, rows, bom=bom))


DATE_FORMAT = "d mmm yyyy"


def xlsx_write(
    target: object,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    sheet: str,
    text_columns: Collection[str] = (),
    widths: Sequence[float] = (),
) -> None:
    """A one-sheet workbook written to `target` (a path or binary file) with a bold header;
    numbers stay numbers, text is formula-guarded.

    The workbook is write-only: openpyxl streams the rows to disk, so memory stays flat.
    text_columns names header cells whose column is written in Excel's Text format
    (so GSTINs, PIN codes and mobile numbers keep every digit); widths are column
    widths in order.
    """
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    as_text = {index for index, label in enumerate(header) if label in text_columns}

    def cell(index: int, value: object, *, bold: bool = False) -> object:
        if isinstance(value, date) and not isinstance(value, datetime):
            dated = WriteOnlyCell(worksheet, value=value)
            dated.number_format = DATE_FORMAT  # a real date that sorts and filters, shown as 30 Nov 2026
            return dated
        value = written(value)
        if not (bold or index in as_text):
            return value
        styled = WriteOnlyCell(worksheet, value=value)
        if bold:
            styled.font = Font(bold=True)
        if index in as_text:
            styled.number_format = TEXT_FORMAT
        return styled

    worksheet.append([cell(index, value, bold=True) for index, value in enumerate(header)])
    for row in rows:
        worksheet.append([cell(index, value) for index, value in enumerate(row)])
    workbook.save(target)


def xlsx_file(header: Sequence[object], rows: Iterable[Sequence[object]], **options) -> IO[bytes]:
    """The workbook (see xlsx_write) in an anonymous temporary file, rewound; closing it deletes it."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- handed to the response, which closes it
    try:
        xlsx_write(out, header, rows, **options)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def xlsx_bytes(header: Sequence[object], rows: Iterable[Sequence[object]], **options) -> bytes:
    """The workbook (see xlsx_write) as bytes, for small files built in memory."""
    out = io.BytesIO()
    xlsx_write(out, header, rows, **options)
    return out.getvalue()


def xlsx_sheets_bytes(sheets: Iterable[tuple[str, Sequence[object], Iterable[Sequence[object]]]]) -> bytes:
    """A workbook with one sheet per (name, header, rows), each with a bold header and formula-guarded text."""
    workbook = Workbook(write_only=True)
    for name, header, rows in sheets:
        worksheet = workbook.create_sheet(name[:31])
        bold = []
        for value in header:
            styled = WriteOnlyCell(worksheet, value=safe_cell(value))
            styled.font = Font(bold=True)
            bold.append(styled)
        worksheet.append(bold)
        for row in rows:
            worksheet.append([safe_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
