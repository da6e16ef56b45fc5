"""XLSX downloads through openpyxl's write-only workbook."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .writing import safe_cell, written

TEXT_FORMAT = "@"  # Excel's "Text" number format: the cell keeps every digit as typed
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
