"""The XLSX writer (spreadsheets/xlsx.py) writes SpreadsheetML by hand: what it writes is read
back by openpyxl and by the importer with every value's type, the Text format of the text
columns, the bold header, the sheet names and widths; text is escaped and formula-guarded,
characters XML forbids are dropped, and memory stays flat however many rows."""

from __future__ import annotations

import enum
import io
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ..forms.imports import read_table
from ..reports.exports import EXPORTERS
from ..spreadsheets import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    TEXT_FORMAT,
    read_records,
    xlsx_bytes,
    xlsx_file,
    xlsx_sheets_bytes,
    xlsx_write,
)
from .downloads import downloaded
from .factories import ExporterFactory

HEADER = ["Name", "GSTIN", "Count", "Amount", "Share", "Active", "On", "At", "Codes", "Nothing"]
AT = datetime(2026, 11, 30, 4, 30, 15, tzinfo=UTC)


def cells(content: bytes, sheet: int = 0) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(content)).worksheets[sheet].iter_rows()]


def values(content: bytes, sheet: int = 0) -> list[list]:
    return [[cell.value for cell in row] for row in cells(content, sheet)]


def one_cell(value: object) -> object:
    """What `value` reads back as, alone in a workbook's first data row."""
    return cells(xlsx_bytes(["x"], [[value]], sheet="S"))[1][0]


def test_values_come_back_with_their_types_and_formats():
    row = ["Kaveri Spices", "27AAAPL1234C1Z5", 3, Decimal("519500.00"), 0.25, True, date(2026, 11, 30), AT]
    row += [["0904", "090411"], None]
    content = xlsx_bytes(HEADER, [row], sheet="Exporters", text_columns=["GSTIN"], widths=(30, 18.5))
    header, data = cells(content)
    assert [c.value for c in header] == HEADER and all(c.font.b for c in header)
    local = timezone.localtime(AT).replace(tzinfo=None)
    assert [c.value for c in data] == [*row[:6], datetime(2026, 11, 30), local, "0904; 090411", None]
    assert [c.data_type for c in data[:9]] == ["s", "s", "n", "n", "n", "b", "d", "d", "s"]
    formats = [c.number_format for c in data[:9]]
    assert formats == ["General", TEXT_FORMAT, *["General"] * 4, DATE_FORMAT, DATETIME_FORMAT, "General"]
    assert not any(c.font.b for c in data)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Exporters"]
    widths = workbook.active.column_dimensions
    assert (widths["A"].width, widths["B"].width) == (30, 18.5)


def test_text_is_escaped_guarded_and_rid_of_the_characters_xml_forbids():
    texts = [
        "<b>Tom & Jerry</b>",
        "  spaces kept  ",
        "=1+1",
        "\x07=1+1",  # the bell is dropped first: what is left is still guarded
        "bell\x00in\x1fthe\ufffemiddle",
        "line\nbreak\tand tab",
        "\ud800lone surrogate",
        "हिन्दी ₹5,19,500",
        "x" * 40_000,
    ]
    content = xlsx_bytes(["=header", "plain"], [[text, "ok"] for text in texts], sheet="S")
    header, *rows = values(content)
    assert header == ["'=header", "plain"]
    assert [row[0] for row in rows] == [
        "<b>Tom & Jerry</b>",
        "  spaces kept  ",
        "'=1+1",
        "'=1+1",
        "bellinthemiddle",
        "line\nbreak\tand tab",
        "lone surrogate",
        "हिन्दी ₹5,19,500",
        "x" * 32_767,  # the most Excel holds in a cell
    ]
    assert all(row[1] == "ok" for row in rows)
    assert all(cell.data_type == "s" for row in cells(content) for cell in row)


class Level(enum.IntEnum):
    HIGH = 3


def test_odd_values_become_numbers_or_text_and_never_break_the_file():
    assert one_cell(float("nan")).value == "nan" and one_cell(float("inf")).value == "inf"
    assert one_cell(Decimal("NaN")).value == "NaN"
    assert (one_cell(Level.HIGH).value, one_cell(Level.HIGH).data_type) == (3, "n")
    assert one_cell(date(1899, 1, 1)).value == "1899-01-01"  # before Excel's first day
    assert one_cell(timedelta(hours=2)).value == "2:00:00"
    assert one_cell(("a", 1)).value == "a; 1"
    assert values(xlsx_bytes(["codes", "next"], [[[], "after"]], sheet="S"))[1] == [None, "after"]
    assert one_cell(10**15).value == 10**15
    assert one_cell(datetime(2026, 1, 2, 3, 4, 5)).value == datetime(2026, 1, 2, 3, 4, 5)


def test_rows_of_any_shape_are_written_in_their_order():
    rows = [("a", 1), iter(["b", 2, "past the header"]), ["c"], []]
    assert values(xlsx_bytes(["letter", "n"], rows, sheet="S")) == [
        ["letter", "n", None],
        ["a", 1, None],
        ["b", 2, "past the header"],
        ["c", None, None],
    ]


def test_every_part_is_well_formed_and_the_package_opens_with_its_content_types():
    content = xlsx_sheets_bytes([("one", ["a"], [[1]]), ("two", ["b"], [["x & y"]])])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml"  # where file-type sniffers look
        assert {"_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"} <= set(names)
        assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= set(names)
        for name in names:
            ElementTree.fromstring(archive.read(name))  # raises on anything but well-formed XML


def test_a_workbook_of_several_sheets_has_tab_names_excel_accepts():
    sheets = [
        ("cohorts", ["Month", "=n"], [["Sep 2026", 5]]),
        ("by/country?", ["Country", "Orders"], [["AE", 1250.5]]),
        ("cohorts", ["x"], [[1]]),
        ("a-very-long-table-name-of-forty-characters", ["x"], []),
        ("", ["x"], []),
    ]
    content = xlsx_sheets_bytes(sheets)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["cohorts", "by-country-", "cohorts (2)", "a-very-long-table-name-of-forty", "Sheet5"]
    assert values(content, 0) == [["Month", "'=n"], ["Sep 2026", 5]]
    assert values(content, 1) == [["Country", "Orders"], ["AE", 1250.5]]
    assert all(cell.font.b for sheet in workbook.worksheets for cell in next(sheet.iter_rows()))


def test_a_file_or_a_path_is_written_too(tmp_path):
    workbook = xlsx_file(["a"], [["b"]], sheet="S")
    try:
        assert values(workbook.read()) == [["a"], ["b"]]
    finally:
        workbook.close()
    path = tmp_path / "out.xlsx"
    xlsx_write(str(path), ["a"], [[1]], sheet="S")
    assert values(path.read_bytes()) == [["a"], [1]]


def test_memory_stays_flat_however_many_rows(tmp_path):
    def rows(count):
        for i in range(count):
            yield [f"Exporter {i}", f"27AAAPL{i:05d}Z", i, AT + timedelta(minutes=i), ["0904"]]

    def peak_mb(count: int) -> float:
        tracemalloc.start()
        try:
            with (tmp_path / f"{count}.xlsx").open("wb") as out:
                xlsx_write(out, ["Name", "GSTIN", "n", "At", "Codes"], rows(count), sheet="S")
            return tracemalloc.get_traced_memory()[1] / 1024 / 1024
        finally:
            tracemalloc.stop()

    small, large = peak_mb(1_000), peak_mb(10_000)  # about 0.9 MB each: a batch of rows and zlib's buffers
    assert large < 3 and large < small + 0.5, (small, large)


def test_an_exported_exporter_file_reads_back_through_the_importer(client_for, officer):
    exporter = ExporterFactory(
        legal_name="Ganga & Sons <Exports>", pin_code="011001", products=["0904", "090411"], stage_entered_at=AT
    )
    content = downloaded(client_for(officer).get(reverse("onboarding:exporter-list"), {"format": "xlsx"}))
    kind, records = read_records(content, "exporters.xlsx")
    assert kind == "xlsx" and [number for number, _record in records] == [1, 2]
    header, row = records[0][1], records[1][1]
    assert list(header) == [column.label for column in EXPORTERS]
    cell = dict(zip(header, row, strict=False))
    assert cell["GSTIN"] == exporter.gstin and cell["Legal name"] == "Ganga & Sons <Exports>"
    assert cell["PIN code"] == "011001"  # a Text column keeps its leading zero
    assert cell["Mobile"] == "+919812345678"  # a phone number: typed text, no visible guard
    assert cell["Products (HS)"] == "0904; 090411" and cell["State"] == "Maharashtra"
    assert cell["In stage since"] == timezone.localtime(AT).replace(tzinfo=None)
    assert isinstance(cell["Added"], datetime) and cell["Listed products"] == 0
    imported = next(read_table(content, "exporters.xlsx").rows()).values
    assert (imported["gstin"], imported["legal_name"], imported["pin_code"]) == (
        exporter.gstin,
        exporter.legal_name,
        "011001",
    )
