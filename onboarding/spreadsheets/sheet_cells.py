"""A workbook's first worksheet as rows of cell values, read straight from its XML.

openpyxl still opens the workbook: its parts, the shared strings, the styles that mark a
number as a date. Only the sheet's cells are read here. openpyxl's read-only sheet turns each
cell into a dict and each inline string into a rich-text object, and it reads a sheet without
a `<dimension>` (the portal's own downloads, openpyxl's own files) once more just to look for
one. For the bench's 100,000 exporter rows that was 9.9 s of CPU; this reader takes 2.8 s.

The values are openpyxl's: numbers as int or float, a number in a date style as a datetime,
booleans, error cells as their text ("#N/A"), a formula as "=" and its text (so the import
refuses it), an inline string's plain text (phonetic guides left out). Row numbers are the
file's: a missing row comes as an empty one, so the rows read stay numbered as Excel shows
them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import iterparse

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _FORMULA = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}v", f"{_MAIN}f"
_INLINE, _TEXT, _RUN = f"{_MAIN}is", f"{_MAIN}t", f"{_MAIN}r"
_DIMENSION, _SHEET_DATA = f"{_MAIN}dimension", f"{_MAIN}sheetData"


class FirstSheet:
    """The first worksheet of a workbook (chart sheets are not worksheets), opened for reading;
    `path` is None when there is none. Raises what openpyxl raises on a damaged workbook."""

    def __init__(self, source: IO[bytes]) -> None:
        reader = ExcelReader(source, read_only=True, data_only=False)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        reader.read_theme()
        apply_stylesheet(reader.archive, reader.wb)
        self._archive = reader.archive
        self._strings = reader.shared_strings
        self._dates = reader.wb._date_formats  # style ids whose number format is a date or time
        self._durations = reader.wb._timedelta_formats
        self._epoch = reader.wb.epoch
        self.path = next(
            (
                rel.target
                for _sheet, rel in reader.parser.find_sheets()
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type
            ),
            None,
        )

    def close(self) -> None:
        self._archive.close()

    def declared_columns(self) -> int | None:
        """The width the sheet's `<dimension>` declares (None without one), read from the
        sheet's start: the dimension comes before the first row."""
        with self._archive.open(self.path) as xml:
            for _event, element in iterparse(xml, events=("start",)):
                if element.tag == _DIMENSION:
                    return range_boundaries(element.get("ref", "A1"))[2]
                if element.tag == _SHEET_DATA:
                    return None
        return None

    def rows(self, max_col: int) -> Iterator[tuple]:
        """Every row from the first, as values from column A to the row's last cell; a cell
        past `max_col` that holds a value is kept at `max_col` (where the caller notices data
        past its limit), so no row grows wider than that whatever the file says."""
        number = 0
        with self._archive.open(self.path) as xml:
            for _event, element in iterparse(xml):
                if element.tag == _ROW:
                    at = element.get("r")
                    at = int(at) if at else number + 1
                    if at <= number:  # a row out of order: skipped, as openpyxl skips it
                        element.clear()
                        continue
                    while number < at - 1:  # rows the file leaves out are empty rows
                        number += 1
                        yield ()
                    number = at
                    yield self._row(element, max_col)
                    element.clear()

    def _row(self, row, max_col: int) -> tuple:
        values: list = []
        column = 0
        for cell in row:
            if cell.tag != _CELL:
                continue
            at = cell.get("r")
            column = column_index_from_string(at.rstrip("0123456789")) if at else column + 1
            value = self._value(cell)
            if value is None:
                continue
            index = min(column, max_col) - 1
            if index >= len(values):
                values.extend([None] * (index + 1 - len(values)))
            values[index] = value
        return tuple(values)

    def _value(self, cell):
        kind = cell.get("t", "n")
        formula = cell.find(_FORMULA)
        if formula is not None:  # shared and array formulas too: all are refused as formulas
            return "=" + (formula.text or "")
        if kind == "inlineStr":
            inline = cell.find(_INLINE)
            return None if inline is None else _plain_text(inline)
        value = cell.findtext(_VALUE) or None
        if value is None:
            return None
        if kind == "n":
            number = float(value) if "." in value or "E" in value or "e" in value else int(value)
            style = int(cell.get("s") or 0)
            if style in self._dates:
                try:
                    return from_excel(number, self._epoch, timedelta=style in self._durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # a date style on a number no date has: openpyxl's error value
            return number
        if kind == "s":
            return self._strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value  # "str" (a formula's text result), "e" (an error such as #N/A)


def _plain_text(inline) -> str:
    """An inline string's text: its own and its runs' (not the phonetic guide's)."""
    parts = []
    for child in inline:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.append(child.findtext(_TEXT) or "")
    return "".join(parts)
