"""The exporter import's rows as ExporterForm data.

This module only turns a readable file into rows of text keyed by ExporterForm
field names, undoing spreadsheet quirks on the way (numbers for PIN codes, trailing
".0", leading apostrophes, state and language names). It judges nothing a person
typed: every value goes to ExporterForm, the single validation path. What it does
refuse is a file whose columns it cannot place, with a message that says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from ..models import Exporter
from ..reference import COLUMNS, EXAMPLE_ROW, NO, REQUIRED, SYNONYMS, YES
from ..spreadsheets import (
    FORMULA_RE,
    HEADER_SEARCH_ROWS,
    MAX_CELL_CHARS,
    ImportFileError,
    cell_text,
    csv_bytes,
    human_size,
    limits,
    read_records,
    too_long_cell_error,
    too_many_rows_error,
    xlsx_bytes,
)
from .exporters import ExporterForm

CHOICE_FIELDS = ("state", "msme_category", "preferred_language", "status")
# The template's columns that Excel must keep as text, so every digit survives.
TEXT_FIELDS = ("gstin", "pin_code", "contact_mobile")
# What a file's rows may take once kept as JSON beside the upload (services/import_memo.py),
# counted as they are read: 100,000 rows of the template's columns take about 40 MB.
MAX_STORED_BYTES = 64 * 1024 * 1024


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it: the header is usually row 1
    values: dict[str, str]  # field name -> cleaned text, only for the file's columns
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field name, message) found while reading


@dataclass
class Table:
    """A readable file: which column is which, and its rows (read again on each pass)."""

    name: str
    kind: str  # "csv" or "xlsx"
    headers: dict[str, str]  # field name -> the header as written in the file
    positions: dict[str, int]  # field name -> column index
    unknown_columns: list[str]
    records: list  # (row number, raw cells) after the header, blank rows left out
    header_cells: list[str] = field(default_factory=list)  # the header row as written, every column

    @property
    def total_rows(self) -> int:
        return len(self.records)

    @property
    def warnings(self) -> list[str]:
        if not self.unknown_columns:
            return []
        names = ", ".join(f"“{c}”" for c in self.unknown_columns)
        return [_("Columns not recognised and ignored: %(names)s.") % {"names": names}]

    def column(self, field_name: str) -> str:
        """The header of a field's column, for error reports (the field's label when the file has none)."""
        return self.headers.get(field_name) or COLUMNS.get(field_name, field_name)

    def rows(self) -> Iterator[Row]:
        for index in range(len(self.records)):
            yield self.row(index)

    def row(self, index: int) -> Row:
        """The file's `index`-th exporter row (from 0, after the header)."""
        number, record = self.records[index]
        row = Row(number=number, values={})
        for field_name, position in self.positions.items():
            raw = record[position] if position < len(record) else None
            row.values[field_name] = cell_text(raw)
        _undo_quirks(row)
        return row


def normalise_header(text: object) -> str:
    return "".join(ch for ch in str(text or "").casefold() if ch.isalnum())


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for name, label in COLUMNS.items():
        lookup[normalise_header(name)] = name
        lookup[normalise_header(label)] = name
        for synonym in SYNONYMS.get(name, ()):
            lookup[synonym] = name
    return lookup


HEADER_LOOKUP = _header_lookup()


def read_table(data: bytes, name: str, on_read: Callable[[int], None] | None = None) -> Table:
    """Open a CSV or XLSX file's bytes (`on_read` told the rows read as it goes); raises
    ImportFileError with a clear message when it cannot."""
    _max_bytes, max_rows = limits()
    kind, records = read_records(data, name, on_read)
    table = _build_table(name, kind, records)
    if table.total_rows > max_rows:
        raise too_many_rows_error(max_rows)
    return table


def _build_table(name: str, kind: str, records: list) -> Table:
    if not records:
        raise ImportFileError(_("The file has no rows."))
    header_at = _find_header(records)
    number, header = records[header_at]
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        field_name = HEADER_LOOKUP.get(normalise_header(text))
        if field_name is None:
            unknown.append(text)
        elif field_name in positions:
            raise ImportFileError(
                _("Two columns mean the same thing: “%(first)s” and “%(second)s”. Keep one of them.")
                % {"first": headers[field_name], "second": text}
            )
        else:
            positions[field_name] = index
            headers[field_name] = text
    missing = [COLUMNS[f] for f in REQUIRED if f not in positions]
    if missing:
        found = ", ".join(f"“{cell_text(c)}”" for c in header if cell_text(c)) or _("none")
        raise ImportFileError(
            _(
                "The file has no %(missing)s column (row %(number)s was read as the header; "
                "its columns are %(found)s). Download the template to see the expected columns."
            )
            % {"missing": _(" or ").join(str(m) for m in missing), "number": number, "found": found}
        )
    body = records[header_at + 1 :]
    if not body:
        raise ImportFileError(_("The file has a header row but no exporter rows."))
    _check_sizes(body, positions, [cell_text(cell) for cell in header])
    return Table(
        name=name,
        kind=kind,
        headers=headers,
        positions=positions,
        unknown_columns=unknown,
        records=body,
        header_cells=[cell_text(cell) for cell in header],
    )


def cell_limit(field_name: str) -> int:
    """The longest cell a column may hold: twice what its field keeps (room for spaces, dashes and
    names like "Andaman and Nicobar Islands" for a 2-character state), at least 100, at most MAX_CELL_CHARS."""
    max_length = Exporter._meta.get_field(field_name).max_length
    return MAX_CELL_CHARS if max_length is None else min(MAX_CELL_CHARS, max(100, 2 * max_length))


def stored_budget() -> int:
    return getattr(settings, "IMPORT_MAX_STORED_BYTES", MAX_STORED_BYTES)


def _check_sizes(body: list, positions: dict[str, int], header: list[str]) -> None:
    """Refuse a cell longer than its column needs, and a file whose rows would take more than
    the stored budget as JSON: measured on the cells as read, before any is copied or written."""
    by_position = {position: cell_limit(name) for name, position in positions.items()}
    budget, total = stored_budget(), 0
    for number, record in body:
        total += 8 * len(record)  # separators, numbers, empty cells
        for position, cell in enumerate(record):
            if cell.__class__ is str:
                length = len(cell)
                if length > by_position.get(position, MAX_CELL_CHARS):
                    named = position < len(header) and header[position]
                    column = f"“{header[position]}”" if named else get_column_letter(position + 1)
                    raise too_long_cell_error(number, column, length, by_position.get(position, MAX_CELL_CHARS))
                total += length if cell.isascii() else 6 * length  # JSON writes other text as \uXXXX
        if total > budget:
            raise ImportFileError(
                _(
                    "The rows up to row %(number)s already hold more than %(size)s of text, more than an "
                    "exporter file needs: check for long repeated cells, or split the file into smaller ones."
                )
                % {"number": number, "size": human_size(budget)}
            )


def _find_header(records: list) -> int:
    """The first of the top rows that names both required columns (else the first row)."""
    for index, (_number, record) in enumerate(records[:HEADER_SEARCH_ROWS]):
        names = {HEADER_LOOKUP.get(normalise_header(cell_text(c))) for c in record}
        if all(f in names for f in REQUIRED):
            return index
    return 0


# --- Cells ------------------------------------------------------------------


@cache
def _choice_lookup() -> dict[str, dict[str, str]]:
    """Per choice field: lower-cased value or label -> value ("Maharashtra" -> "27", "Hindi" -> "hi").
    Built from the English labels whatever the request's language: the lookup is cached, and the
    files people fill in use the template's English names."""
    with translation.override("en"):
        return _build_choice_lookup()


def _build_choice_lookup() -> dict[str, dict[str, str]]:
    form = ExporterForm()
    lookups: dict[str, dict[str, str]] = {}
    for name in CHOICE_FIELDS:
        lookups[name] = {}
        for value, label in form.fields[name].choices:
            if value:
                lookups[name][str(value).lower()] = str(value)
                lookups[name][str(label).lower()] = str(value)
    return lookups


def _undo_quirks(row: Row) -> None:
    values = row.values
    for name, text in values.items():
        if text and FORMULA_RE.match(text):
            shown = text if len(text) <= 40 else text[:39] + "…"
            row.errors.append(
                (name, _("Formulas are not imported (“%(shown)s”): type or paste the value itself.") % {"shown": shown})
            )
            values[name] = ""
    state = values.get("state", "")
    if re.fullmatch(r"[0-9]", state):
        values["state"] = state.zfill(2)
    for name, lookup in _choice_lookup().items():
        text = values.get(name)
        if text:
            values[name] = lookup.get(text.lower(), lookup.get(re.sub(r"\s+", " ", text.lower()), text))
    if values.get("products"):
        # An HS code typed as a number loses its leading zero: 904 was 0904.
        items = re.split(r"[,;|\n]", values["products"])
        values["products"] = ", ".join(
            item.strip().zfill(len(item.strip()) + 1)
            if re.fullmatch(r"[0-9]+", item.strip()) and len(item.strip()) % 2
            else item
            for item in items
        )
    flag = values.get("is_manufacturer")
    if flag:
        key = normalise_header(flag)
        if key in YES:
            values["is_manufacturer"] = "true"
        elif key in NO:
            values["is_manufacturer"] = "false"
        else:
            row.errors.append(("is_manufacturer", _("“%(value)s” is not Yes or No.") % {"value": flag}))
            values["is_manufacturer"] = ""


# --- The template -------------------------------------------------------------


def _template_rows() -> tuple[list[str], list[list[str]]]:
    return list(COLUMNS.values()), [[EXAMPLE_ROW.get(name, "") for name in COLUMNS]]


def template_csv() -> bytes:
    header, rows = _template_rows()
    return csv_bytes(header, rows)  # the BOM makes Excel read it as UTF-8


def template_xlsx() -> bytes:
    header, rows = _template_rows()
    return xlsx_bytes(
        header,
        rows,
        sheet="Exporters",
        text_columns=[COLUMNS[name] for name in TEXT_FIELDS],
        widths=[max(14, len(name) + 4) for name in COLUMNS],
    )


# --- What a row changes (the preview's diff) ---------------------------------


def merged_list(stored: list | None, given: list | None) -> list:
    """The stored list with the row's new items added at the end, each once."""
    return list(dict.fromkeys([*(stored or []), *(given or [])]))


def changes_between(instance: Exporter, data: dict) -> list[list[str]]:
    """[label, old, new] for each field the row changes, in words a person reads."""
    changed = [
        [_label(name), _text(name, getattr(instance, name)), _text(name, value)]
        for name, value in data.items()
        if name != "sector" and getattr(instance, name) != value
    ]
    sector = data.get("sector")
    if instance.sector_id != (sector.pk if sector else None):  # by id: the stored one is loaded with it
        changed.append([_label("sector"), _text("sector", instance.sector), _text("sector", sector)])
    return changed


def _label(name: str) -> str:
    label = str(Exporter._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _text(name: str, value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    choices = dict(Exporter._meta.get_field(name).choices or ())
    if value in choices:
        return str(choices[value])
    return cell_text(value)
