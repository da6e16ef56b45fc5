"""The import's worksheet reader gives the values openpyxl's read-only sheet gives, cell for cell."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from onboarding.management import demo
from onboarding.management.bench_import import one_sheet_workbook
from onboarding.spreadsheets import xlsx_bytes
from onboarding.spreadsheets.reading import ImportFileError, read_records
from onboarding.spreadsheets.sheet_cells import FirstSheet

MAX_COL = 61


def openpyxl_rows(data: bytes) -> list[tuple]:
    """What the import read before: openpyxl's read-only rows, trailing empty cells dropped
    and an array formula as its text (this reader gives every formula as "=…")."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    rows = []
    for row in workbook.worksheets[0].iter_rows(min_row=1, max_col=MAX_COL, values_only=True):
        values = [value.text if isinstance(value, ArrayFormula) else value for value in row]
        while values and values[-1] is None:
            values.pop()
        rows.append(tuple(values))
    workbook.close()
    return rows


def our_rows(data: bytes) -> list[tuple]:
    sheet = FirstSheet(io.BytesIO(data))
    try:
        return list(sheet.rows(max_col=MAX_COL))
    finally:
        sheet.close()


def saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rewritten(data: bytes, part: str, old: bytes, new: bytes) -> bytes:
    """The workbook with `old` replaced by `new` in one of its parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == part:
                assert old in content
                content = content.replace(old, new)
            target.writestr(name, content)
    return out.getvalue()


def test_every_kind_of_cell_openpyxl_writes_reads_the_same():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Legal name", "GSTIN", "Joined", "At", "Opens", "Manufacturer", "Turnover", "Units", "Sum"])
    sheet.append(["Shree Textiles", "29AXCPA0601G1Z7", date(2026, 11, 30), datetime(2026, 11, 30, 9, 15), time(9, 30)])
    sheet.append(["Agro Exports", None, None, None, None, True, 1250000.75, 12, "=G3*2"])
    sheet.append([None, " padded ", "#N/A", "=SUM(G2:G3)", False, 0, -3.5e-7, "'0044"])
    sheet.cell(row=9, column=3, value="after a gap")  # rows 5 to 8 are missing from the file
    sheet["B10"] = ArrayFormula("B10:B11", "=SUM(G2:G3*H2:H3)")
    sheet.cell(row=12, column=60, value="column BH")
    sheet.cell(row=13, column=70, value="past the limit")  # kept at column 61 by ours, dropped by openpyxl
    data = saved(workbook)
    ours, theirs = our_rows(data), openpyxl_rows(data)
    assert ours[:12] == theirs[:12]
    assert ours[12] == (None,) * 60 + ("past the limit",) and theirs[12] == ()
    assert ours[4:8] == [(), (), (), ()]
    assert ours[1][2] == datetime(2026, 11, 30) and ours[1][4] == time(9, 30)


def test_shared_strings_rich_text_and_rows_without_references_read_the_same():
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<si><t>Legal name</t></si><si><t xml:space="preserve"> GSTIN </t></si>'
        "<si><r><rPr><b/></rPr><t>Shree </t></r><r><t>Textiles</t></r></si>"
        '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si></sst>'
    )
    cells = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2" t="s"><v>3</v></c>'
        '<c r="D2" t="str"><v>text result</v></c></row>'
        '<row><c t="inlineStr"><is><r><t>Agro </t></r><r><t>Exports</t></r><rPh sb="0" eb="1"><t>x</t></rPh></is></c>'
        '<c t="b"><v>1</v></c><c t="e"><v>#DIV/0!</v></c>'
        '<c r="D3"><f t="shared" si="0" ref="D3:D4">A1&amp;B1</f><v>x</v></c></row>'
        '<row r="4"><c r="D4"><f t="shared" si="0"/><v>y</v></c><c r="E4"><v>1E3</v></c><c r="F4" t="s"/></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>a row out of order</t></is></c></row>'
        '<row r="6"><c r="B6"><v>411001</v></c></row>'
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    )
    data = one_sheet_workbook(sheet, shared_strings=shared)
    ours, theirs = our_rows(data), openpyxl_rows(data)
    # openpyxl translates a shared formula into each cell it covers; ours keeps "=" (both refused)
    assert theirs[3][3] == "=A2&B2" and ours[3][3] == "="
    assert [row for n, row in enumerate(ours) if n != 3] == [row for n, row in enumerate(theirs) if n != 3]
    assert ours[1] == ("Shree Textiles", None, "東京", "text result")
    assert ours[2] == ("Agro Exports", True, "#DIV/0!", "=A1&B1")
    assert ours[3][4] == 1000.0 and ours[4] == () and ours[5] == (None, 411001)


def test_the_portal_s_own_download_reads_the_same():
    records = demo.exporter_file_rows(300, start=7_000_000)
    data = xlsx_bytes(list(records[0]), (list(r.values()) for r in records), sheet="Exporters")
    ours, theirs = our_rows(data), openpyxl_rows(data)
    assert len(ours) == 301 and ours == theirs


def test_a_number_in_a_date_style_beyond_any_date_is_an_error_value():
    workbook = Workbook()
    workbook.active["A1"] = datetime(2026, 1, 1)
    data = rewritten(saved(workbook), "xl/worksheets/sheet1.xml", b"<v>46023</v>", b"<v>99999999</v>")
    assert our_rows(data) == [("#VALUE!",)]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("s", "0"),  # a shared string that is not in the table
        ("n", "abc"),  # a number that is not one
    ],
)
def test_a_damaged_cell_refuses_the_file_in_words(kind, value):
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1"><c r="A1" t="{kind}"><v>{value}</v></c></row>'
        "</sheetData></worksheet>"
    )
    with pytest.raises(ImportFileError, match="cannot be read"):
        read_records(one_sheet_workbook(sheet), "damaged.xlsx")
