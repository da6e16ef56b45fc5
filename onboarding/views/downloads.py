"""Spreadsheet downloads as HTTP responses: every CSV and XLSX the portal hands out."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from django.http import Http404, HttpResponse

from ..spreadsheets import csv_bytes, xlsx_bytes

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_response(content: bytes, kind: str, filename: str) -> HttpResponse:
    """An attachment of a file already written: kind is "csv" or "xlsx"."""
    if kind not in CONTENT_TYPES:
        raise Http404("Downloads come as .csv or .xlsx.")
    response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def download_response(
    kind: str,
    filename: str,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    sheet: str = "Sheet1",
    text_columns: Collection[str] = (),
    bom: bool = True,
) -> HttpResponse:
    """The header and rows as a CSV or XLSX attachment, written with the formula guard."""
    if kind == "csv":
        content = csv_bytes(header, rows, bom=bom)
    elif kind == "xlsx":
        content = xlsx_bytes(header, rows, sheet=sheet, text_columns=text_columns)
    else:
        raise Http404("Downloads come as .csv or .xlsx.")
    return file_response(content, kind, filename)
