"""Spreadsheet downloads as HTTP responses: every CSV and XLSX the portal hands out.

A list page answers `?format=csv` or `?format=xlsx` with its current filters through
`list_export`: the rows are streamed (CSV piece by piece, XLSX from a temporary file),
so 100,000 rows cost no more memory than ten.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse

from ..reports.exports import Column, export_rows
from ..spreadsheets import csv_bytes, csv_stream, xlsx_bytes, xlsx_file

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
NOT_A_FORMAT = "Downloads come as .csv or .xlsx."


def file_response(content: bytes, kind: str, filename: str) -> HttpResponse:
    """An attachment of a file already written: kind is "csv" or "xlsx"."""
    if kind not in CONTENT_TYPES:
        raise Http404(NOT_A_FORMAT)
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
    """The header and rows as a CSV or XLSX attachment built in memory, with the formula guard
    (for small files; lists use stream_response)."""
    if kind == "csv":
        content = csv_bytes(header, rows, bom=bom)
    elif kind == "xlsx":
        content = xlsx_bytes(header, rows, sheet=sheet, text_columns=text_columns)
    else:
        raise Http404(NOT_A_FORMAT)
    return file_response(content, kind, filename)


def stream_response(
    kind: str,
    filename: str,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    sheet: str = "Sheet1",
    text_columns: Collection[str] = (),
    bom: bool = True,
) -> StreamingHttpResponse | FileResponse:
    """The header and rows as a streamed CSV or XLSX attachment, with the formula guard."""
    if kind == "csv":
        response = StreamingHttpResponse(csv_stream(header, rows, bom=bom), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if kind == "xlsx":
        workbook = xlsx_file(header, rows, sheet=sheet, text_columns=text_columns)
        # FileResponse reads the temporary file in blocks and closes (so deletes) it at the end.
        return FileResponse(workbook, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"])
    raise Http404(NOT_A_FORMAT)


def requested_format(request, param: str = "format") -> str | None:
    """ "csv" or "xlsx" when the query string asks for a download, None when it does not.

    Any other value is a 404: a link to `?format=pdf` is broken, not a page.
    """
    kind = request.GET.get(param)
    if kind is None or kind == "":
        return None
    if kind not in CONTENT_TYPES:
        raise Http404(NOT_A_FORMAT)
    return kind


def list_export(
    request, queryset, columns: Sequence[Column], name: str, *, kind: str | None = None, bom: bool = True
) -> StreamingHttpResponse | FileResponse | None:
    """The list's rows (already filtered and scoped) as a download when `?format=` asks for one."""
    kind = kind or requested_format(request)
    if kind is None:
        return None
    return stream_response(
        kind,
        f"{name}.{kind}",
        [column.label for column in columns],
        export_rows(queryset, columns),
        sheet=name.replace("-", " ").capitalize()[:31],
        text_columns=[column.label for column in columns if column.text],
        bom=bom,
    )
