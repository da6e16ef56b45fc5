"""What a batch keeps beside its upload while it waits, so that no step redoes an earlier one's work.

- `<upload>.rows.json.gz`: a workbook's rows as read at upload. openpyxl needs about 12 s
  of CPU for 100,000 rows; this reads back in under one.
- `<upload>.checked.json.gz`: every row's verdict from validation, with what it depended on
  (services/import_rows.py), for the commit to use where it still stands.

Both are caches. Each begins with a line saying what it was made from (the upload's digest and
MEMO_VERSION, the version of the rules that read and judged it; for verdicts also the options
and the sectors); when one is missing, or was made from something else, the step reads or
judges again. Gzipped JSON, a line per chunk of rows.
They go once the batch is done, failed or discarded.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import tempfile
from collections.abc import Iterator

from django.core.files import File

from ..forms.imports import Table
from ..models import ImportBatch
from .import_rows import FORM_FIELDS, Checked, Checker, chunked

logger = logging.getLogger(__name__)

FORMAT = 1  # raised whenever what a line holds changes: older files are then not used
# Raise it by hand, in the same commit, whenever a change could make a row read or judged
# differently: how a file is read (forms/imports.py: headers, cells, dates), how a row is
# checked (forms/exporters.py, forms/fields.py, validators.py, reference.py, the matching in
# services/exporters.py and services/import_rows.py), or an upgrade of a library they use (the
# phone number one). Files kept before the bump are then read and judged again, not used:
# a batch waiting across a deploy costs its commit a second validation, nothing more.
# (It replaced a digest of those modules' source, which changed with every comment.)
MEMO_VERSION = 2  # 2: the sheet read from its XML (spreadsheets/sheet_cells.py)
SPOOL_BYTES = 16 * 1024 * 1024  # kept in memory up to this size, then in a temporary file
KINDS = ("rows", "checked")
# A valid row's data, as a list in this order: its keys written out on every row were most of the file.
DATA_FIELDS = [*FORM_FIELDS, "sector"]
DATA_KEYS = frozenset(DATA_FIELDS)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def memo_delete(batch: ImportBatch, kinds: tuple[str, ...] = KINDS) -> None:
    if batch.file:
        for kind in kinds:
            try:
                batch.file.storage.delete(_name(batch, kind))
            except OSError:  # a cache left behind costs space, not correctness
                logger.warning("import batch %s: %s could not be deleted", batch.pk, kind, exc_info=True)


# --- The rows as read ------------------------------------------------------------


def rows_save(batch: ImportBatch, file_digest: str, table: Table) -> None:
    meta = [table.name, table.kind, table.headers, table.positions, table.unknown_columns, table.header_cells]
    with _Writer(_rows_header(file_digest)) as writer:
        writer.line(meta)
        # 500 rows a line: a line is built whole in memory, and rows may be up to 61 cells of
        # 1,000 characters (forms/imports.py bounds the whole file by IMPORT_MAX_STORED_BYTES).
        for chunk in chunked(table.records, 500):
            writer.line([[number, [_plain(cell) for cell in record]] for number, record in chunk])
        writer.save(batch, _name(batch, "rows"))


def rows_read(batch: ImportBatch, file_digest: str) -> Table | None:
    """The upload's rows as read at upload; None when they were not kept (a CSV reads fast)."""
    lines = _lines(batch, "rows", _rows_header(file_digest))
    if lines is None:
        return None
    name, kind, headers, positions, unknown, header_cells = next(lines)
    records = [(number, record) for line in lines for number, record in line]
    return Table(name, kind, headers, positions, unknown, records, header_cells)


def _rows_header(file_digest: str) -> dict:
    return {"format": FORMAT, "rules": MEMO_VERSION, "file": file_digest}


def _plain(cell: object) -> object:
    """A cell as JSON keeps it: text, numbers, booleans as they are; dates and times as
    cell_text would show them (which is all the import reads of them)."""
    if cell is None or isinstance(cell, str | int | float | bool):
        return cell
    return cell.isoformat() if hasattr(cell, "isoformat") else str(cell)


# --- The verdicts ------------------------------------------------------------------


def checked_header(batch: ImportBatch, file_digest: str, checker: Checker) -> dict:
    """What verdicts are valid for: this file, these options, these sectors, these rules, this layout."""
    return {
        "format": FORMAT,
        "rules": MEMO_VERSION,
        "file": file_digest,
        "replace_lists": batch.replace_lists,
        "sectors": sorted([code, sector.pk] for code, sector in checker.sectors.items()),
        "fields": DATA_FIELDS,
    }


class CheckedWriter:
    """Collects a batch's verdicts as validation goes; `save` stores them beside the upload."""

    def __init__(self, header: dict) -> None:
        self._writer = _Writer(header)

    def __enter__(self) -> CheckedWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self._writer.close()

    def add(self, chunk: list[Checked]) -> None:
        self._writer.line([_as_json(checked) for checked in chunk])

    def save(self, batch: ImportBatch) -> None:
        self._writer.save(batch, _name(batch, "checked"))


def checked_read(batch: ImportBatch, header: dict, checker: Checker) -> Iterator[list[Checked]] | None:
    """The stored verdicts in file order, a chunk at a time; None when there are none for
    this file, these options and these sectors (the commit then judges every row again)."""
    lines = _lines(batch, "checked", header)
    if lines is None:
        return None
    return ([_from_json(row, checker) for row in line] for line in lines)


def _as_json(checked: Checked) -> list:
    data = checked.data
    if data is not None:
        if data.keys() != DATA_KEYS:  # a field added to the data would otherwise be dropped unseen
            raise ValueError(f"An import row's data has {sorted(data)}, not {DATA_FIELDS}.")
        data = [data[name] for name in FORM_FIELDS] + [data["sector"].pk if data["sector"] else None]
    return [
        checked.number,
        checked.outcome,
        checked.gstin,
        checked.name,
        checked.key,
        data,
        checked.errors,
        checked.reads,
        checked.claimed,
        checked.seen,
    ]


def _from_json(row: list, checker: Checker) -> Checked:
    number, outcome, gstin, name, key, data, errors, reads, claimed, seen = row
    if data is not None:
        data = dict(zip(DATA_FIELDS, data, strict=True))
        data["sector"] = checker.sectors_by_pk.get(data["sector"])
    return Checked(number, outcome, gstin, name, key, data, errors, reads=reads, claimed=claimed, seen=seen)


# --- Files -----------------------------------------------------------------------------


def _name(batch: ImportBatch, kind: str) -> str:
    return f"{batch.file.name}.{kind}.json.gz"


class _Writer:
    """Gzipped JSON lines, the first one `header`, stored under a name when saved."""

    def __init__(self, header: dict) -> None:
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by close())
        # Level 1: compresses these nearly as well as the default, in a fraction of the time.
        self._gzip = gzip.GzipFile(fileobj=self._spool, mode="wb", compresslevel=1)
        self.line(header)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def line(self, value: object) -> None:
        self._gzip.write(json.dumps(value, separators=(",", ":")).encode())
        self._gzip.write(b"\n")

    def save(self, batch: ImportBatch, name: str) -> None:
        """Store the file; a storage error only costs the later steps their shortcut."""
        self._gzip.close()
        self._spool.seek(0)
        storage = batch.file.storage
        try:
            storage.delete(name)
            saved = storage.save(name, File(self._spool))
            if saved != name:  # taken meanwhile: under another name it would never be found
                storage.delete(saved)
        except OSError:
            logger.warning("import batch %s: %s could not be stored", batch.pk, name, exc_info=True)

    def close(self) -> None:
        self._gzip.close()
        self._spool.close()


def _lines(batch: ImportBatch, kind: str, header: dict) -> Iterator | None:
    """The lines after the header of a batch's file of `kind`, if it exists and was made from `header`."""
    if not batch.file:
        return None
    storage, name = batch.file.storage, _name(batch, kind)
    try:
        if not storage.exists(name):
            return None
        handle = storage.open(name, "rb")
    except OSError:
        return None
    lines = gzip.GzipFile(fileobj=handle, mode="rb")
    try:
        stored = json.loads(lines.readline())
    except (OSError, EOFError, ValueError):
        stored = None
    if stored != header:
        handle.close()
        return None
    return _rest(handle, lines)


def _rest(handle, lines) -> Iterator:
    with handle:
        for line in lines:
            yield json.loads(line)
