"""Writing downloads: the formula guard every writer puts each cell through, and CSV.

A value a person typed never runs as a formula in the spreadsheet that opens the file:
text starting with "=", "+", "-", "@", a tab or a carriage return is written with a
leading apostrophe, except a phone number ("+91 98765 43210"), which needs none (see
`is_phone`). CSV is streamed in pieces, its times in ISO 8601 with the zone and without
microseconds (2026-11-30T14:05:00+05:30); XLSX is written by xlsx.py.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.functional import Promise

# What a written text cell must not start with: a spreadsheet may read it as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 500  # rows per piece of a streamed CSV: few, large writes to the socket
# A phone number: "+", digits and single spaces between groups ("+919812345678", "+91 98123 45678").
# Why it is safe unguarded: a formula attack needs a function call, a reference or a DDE
# command ("=HYPERLINK(…)", "+cmd|…", "@SUM(A1)"), and none can be written with digits and
# spaces alone: the worst a spreadsheet can do is read "+919812345678" as a number. The
# apostrophe the guard would add is shown to people in the cell ("'+91…") and breaks a
# copied number, so phone numbers go without it (in XLSX they are typed text cells).
PHONE_RE = re.compile(r"\+\d(?: ?\d){6,17}", re.ASCII)  # ASCII digits, as export_sql.py checks them


def is_phone(value: str) -> bool:
    """True for a phone number written with "+": it needs no formula guard (see PHONE_RE)."""
    return PHONE_RE.fullmatch(value) is not None


def safe_cell(value: object) -> object:
    """Keep a spreadsheet from running a text value as a formula; anything but text is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not is_phone(value):
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
        return "'" + value if value[:1] in _FIRST and not is_phone(value) else value
    return safe_cell(plain(value))


def iso_moment(value: datetime) -> str:
    """A time as ISO 8601 in local time with its zone, to the second: 2026-11-30T14:05:00+05:30
    (a naive time is taken as local). Any program reads it back as the same instant."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def csv_written(value: object) -> object:
    """written() for a CSV cell: times as ISO 8601 with the zone (CSV has no time type)."""
    if type(value) is str:
        return "'" + value if value[:1] in _FIRST and not is_phone(value) else value
    if isinstance(value, datetime):
        return iso_moment(value)
    return written(value)


def csv_row(row: Sequence[object], zone: tzinfo) -> list:
    """csv_written() for every cell of a row, in one loop without a call for the cells nearly
    every export is made of (text, empty, whole numbers, aware times): a 100,000-row export
    has two million cells, and a call per cell was most of its time. `zone` is the local time
    zone, looked up once per file rather than once per time."""
    cells = list(row)
    for index, value in enumerate(cells):
        kind = type(value)
        if kind is str:
            if value[:1] in _FIRST and not is_phone(value):
                cells[index] = "'" + value
        elif kind is datetime and value.tzinfo is not None:
            cells[index] = value.astimezone(zone).isoformat(timespec="seconds")  # as iso_moment()
        elif value is not None and kind is not int:
            cells[index] = csv_written(value)
    return cells


def headings(header: Sequence[object]) -> list[object]:
    """A header row with its translatable labels (gettext_lazy) made text in the active language."""
    return [str(label) if isinstance(label, Promise) else label for label in header]


def csv_stream(header: Sequence[object], rows: Iterable[Sequence[object]], *, bom: bool = True) -> Iterator[bytes]:
    """A CSV file in pieces (UTF-8, with a BOM that makes Excel read it as UTF-8 unless bom=False).

    Rows are consumed as they come and sent CSV_BATCH_ROWS at a time: memory stays flat
    however many rows.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    if bom:
        out.write("\ufeff")
    zone = timezone.get_current_timezone()
    writer.writerow(csv_row(headings(header), zone))
    batch: list[list] = []
    for row in rows:
        batch.append(csv_row(row, zone))
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
