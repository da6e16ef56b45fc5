"""Downloads as HTTP responses: every CSV and XLSX the portal hands out, and stored files.

A list page answers `?format=csv` or `?format=xlsx` with its current filters through
`list_export`: the rows are streamed (CSV piece by piece, XLSX from a temporary file),
so 100,000 rows cost no more memory than ten.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Collection, Iterable, Sequence

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from ..reports.export_sql import copied_csv
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


def csv_response(pieces: Iterable[bytes], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(pieces, content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
        return csv_response(csv_stream(header, rows, bom=bom), filename)
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


# Query parameters that shape the file but not which rows it holds: left out of its name.
NOT_A_FILTER = frozenset({"format", "export", "table", "page", "sort", "per_page"})
TRUE_WORDS = frozenset({"1", "true", "on", "yes"})
# Filters by a record's id: "startup=1" is startup 1, not a flag.
ID_FILTERS = frozenset({"startup", "sector", "agent", "assignee", "user", "batch", "exporter", "run"})
MOST_NAME_CHARS = 80


def download_name(request, name: str, kind: str) -> str:
    """A file name that says what the file holds: the list, today's date and the filters,
    e.g. exporters-2026-12-04-late-mine.csv (a flag by its name, a word by itself, anything
    else, like a number or a month, after its parameter's name: state-33, start-2026-09)."""
    parts = [name, timezone.localdate().isoformat()]
    for key, values in request.GET.lists():
        if key in NOT_A_FILTER:
            continue
        for value in values:
            word = slugify(value)
            if not word:
                continue
            if value.lower() in TRUE_WORDS and key not in ID_FILTERS:
                parts.append(slugify(key))
            elif word.replace("-", "").isalpha():
                parts.append(word)
            else:
                parts.append(f"{slugify(key)}-{word}")
    stem = "-".join(parts)[:MOST_NAME_CHARS].rstrip("-")
    return f"{stem}.{kind}"


def list_export(
    request, queryset, columns: Sequence[Column], name: str, *, kind: str | None = None, bom: bool = True
) -> StreamingHttpResponse | FileResponse | None:
    """The list's rows (already filtered and scoped) as a download when `?format=` asks for one."""
    kind = kind or requested_format(request)
    if kind is None:
        return None
    if kind == "csv" and (copied := copied_csv(queryset, columns, bom=bom)) is not None:
        # PostgreSQL writes the file (export_sql.py): the same cells, several times faster.
        return csv_response(copied, download_name(request, name, kind))
    return stream_response(
        kind,
        download_name(request, name, kind),
        [str(column.label) for column in columns],
        export_rows(queryset, columns),
        sheet=name.replace("-", " ").capitalize()[:31],
        text_columns=[str(column.label) for column in columns if column.text],
        bom=bom,
    )


# --- Stored files (evidence, work files, report packs) ---------------------------------

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
# The file cannot run script, load anything, or be framed by another site.
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def private_file_response(field, name: str):
    """An uploaded or generated file (a FileField) as a download, or inline when it is a PDF or an
    image, sandboxed; handed to nginx when PROTECTED_MEDIA_ACCEL is set, streamed from the bucket
    when files are in object storage. The caller checks who may."""
    if not field:
        raise Http404("This record has no file.")
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    inline = content_type in INLINE_TYPES
    accel = settings.PROTECTED_MEDIA_ACCEL
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{field.name}"
    else:
        try:
            handle, size = _stored_stream(field)
        except FileNotFoundError as missing:
            raise Http404("The file is missing from storage.") from missing
        response = FileResponse(handle, content_type=content_type)
        if size is not None:
            response["Content-Length"] = size
    extension = os.path.splitext(field.name)[1]
    filename = name if name.lower().endswith(extension) else f"{name}{extension}"
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response


def _stored_stream(field) -> tuple:
    """The stored file opened for sending, and its size when the response cannot measure it.

    From a bucket (django-storages' S3File) the object's body is sent as it arrives, rather than
    downloaded whole first: a proxied stream, not a presigned URL, so this view's checks and
    headers apply to every download and the bucket need not be reachable from browsers."""
    handle = field.storage.open(field.name, "rb")  # FileNotFoundError when it is not there
    stored_object = getattr(handle, "obj", None)  # the bucket's object, already looked up
    if stored_object is None:
        return handle, None
    return stored_object.get()["Body"], stored_object.content_length
