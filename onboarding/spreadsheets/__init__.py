"""Spreadsheet files in and out: CSV (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252) and XLSX.

`reading` turns an uploaded file's bytes into numbered rows of raw cells, refusing a file
it cannot read with a message that says what to do. `writing` holds the formula guard
and the CSV writer, `xlsx` the XLSX writer (SpreadsheetML written by hand, streamed):
together they make every download in the project, with the guard on every text cell.
Everything is imported from here: `from ..spreadsheets import xlsx_bytes`.
"""

from .reading import (
    ALLOWED_EXTENSIONS,
    FORMULA_RE,
    HEADER_SEARCH_ROWS,
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNZIPPED_BYTES,
    ImportFileError,
    cell_text,
    check_name,
    decode,
    human_size,
    limits,
    max_columns,
    read_records,
    too_big_message,
    too_long_cell_error,
    too_many_rows_error,
    too_wide_error,
)
from .writing import CSV_BATCH_ROWS, FORMULA_STARTS, csv_bytes, csv_row, csv_stream, plain, safe_cell, written
from .xlsx import DATE_FORMAT, DATETIME_FORMAT, TEXT_FORMAT, xlsx_bytes, xlsx_file, xlsx_sheets_bytes, xlsx_write

__all__ = [
    "ALLOWED_EXTENSIONS",
    "CSV_BATCH_ROWS",
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "FORMULA_RE",
    "FORMULA_STARTS",
    "HEADER_SEARCH_ROWS",
    "MAX_BYTES",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UNZIPPED_BYTES",
    "TEXT_FORMAT",
    "ImportFileError",
    "cell_text",
    "check_name",
    "csv_bytes",
    "csv_row",
    "csv_stream",
    "decode",
    "human_size",
    "limits",
    "max_columns",
    "plain",
    "read_records",
    "safe_cell",
    "too_big_message",
    "too_long_cell_error",
    "too_many_rows_error",
    "too_wide_error",
    "written",
    "xlsx_bytes",
    "xlsx_file",
    "xlsx_sheets_bytes",
    "xlsx_write",
]
