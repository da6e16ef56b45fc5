"""Real CSV and XLSX files built in memory for the import tests."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from ..management import demo

HEADER = ["Company Name", "GST No", "State", "District", "Mobile", "PIN", "HS codes", "Preferred language"]


def good_rows(count: int, *, start: int = 2_000_000) -> list[list[object]]:
    """`count` valid rows with GSTINs no factory or seed uses."""
    rows = []
    for i in range(count):
        state = ("27", "24", "33", "09")[i % 4]
        pan = demo.pan_for(start + i, "F")
        rows.append(
            [
                f"Kaveri Spices {i} LLP",
                demo.gstin_for(state, pan),
                {"27": "Maharashtra", "24": "Gujarat", "33": "Tamil Nadu", "09": "Uttar Pradesh"}[state],
                "Pune",
                f"98765{i % 100000:05d}",
                "411001",
                "0904, 090411",
                "Hindi",
            ]
        )
    return rows


def csv_bytes(rows: list[list[object]], header: list[str] = HEADER, *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
