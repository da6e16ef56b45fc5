"""Downloads never carry a live formula: text a person typed that a spreadsheet would run
(`=…`, `+…`, `-…`, `@…`) comes out as inert text with a leading apostrophe, while numbers
stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import IntEnum

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from openpyxl import load_workbook

from ..models import Commission
from ..services.commissions import commission_approve, commission_reverse
from ..services.imports import import_batch_create, import_batch_validate
from ..services.progress import activity_log
from ..spreadsheets import csv_bytes, csv_row, safe_cell, xlsx_bytes
from ..spreadsheets.writing import csv_written
from .downloads import downloaded
from .factories import ExporterFactory, assign, commission_rule
from .importfiles import HEADER, good_rows
from .importfiles import csv_bytes as file_csv

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(cell for cell in row) for row in sheet.iter_rows()]


@pytest.fixture
def formula_commissions(auto_contact, admin_user, agent_a, startup_a):
    """A commission for an exporter named after each formula; the first one reversed."""
    commission_rule("contacted", "500.00")
    for name in FORMULAS:
        exporter = assign(ExporterFactory(legal_name=name), startup_a)
        activity_log(
            actor=agent_a, exporter=exporter, kind="call", occurred_at=timezone.now(), note=name, outcome="reached"
        )
    first = Commission.objects.get(exporter__legal_name=FORMULAS[0])
    commission_approve(actor=admin_user, commission=first)
    commission_reverse(actor=admin_user, commission=first, reason="=1+1")
    return Commission.objects.count()


def test_safe_cell_guards_text_that_starts_a_formula_and_leaves_other_values():
    assert [safe_cell(text) for text in FORMULAS] == ["'" + text for text in FORMULAS]
    assert safe_cell("\t=1") == "'\t=1" and safe_cell("\r=1") == "'\r=1"
    assert [safe_cell(v) for v in ("Kaveri Spices", "", -5, Decimal("-500.00"), 2.5, None)] == [
        "Kaveri Spices",
        "",
        -5,
        Decimal("-500.00"),
        2.5,
        None,
    ]


class _Count(IntEnum):
    THREE = 3


def test_csv_row_writes_every_cell_as_csv_written_does():
    """The row-at-a-time writer of the CSV downloads (one loop, no call for plain cells)
    says what the cell-by-cell rule says, for every kind of value an export holds."""
    row = [
        "Kaveri Spices",
        "",
        None,
        *FORMULAS,
        "+919812345678",  # a phone number: no guard
        "+91 98123 45678",
        "+91 (98123) 45678",  # not a phone number: guarded
        7,
        -5,
        True,
        2.5,
        Decimal("-500.00"),
        datetime(2026, 11, 30, 8, 35, 0, 123456, tzinfo=UTC),  # 14:05 in Kolkata, microseconds dropped
        datetime(2026, 11, 30, 14, 5, 9),  # naive: taken as local
        date(2026, 11, 30),
        ["0904", "0910"],
        ("AE",),
        _Count.THREE,
        mark_safe("=1+1"),
    ]
    with timezone.override("Asia/Kolkata"):
        cells = csv_row(row, timezone.get_current_timezone())
        assert cells == [csv_written(value) for value in row]
    assert cells[:3] == ["Kaveri Spices", "", None]
    assert cells[3:7] == ["'" + text for text in FORMULAS]
    assert cells[7:10] == ["+919812345678", "+91 98123 45678", "'+91 (98123) 45678"]
    assert cells[15:17] == ["2026-11-30T14:05:00+05:30", "2026-11-30T14:05:09+05:30"]
    assert cells[18:] == ["0904; 0910", "AE", _Count.THREE, "'=1+1"]


def test_the_writers_guard_every_text_cell_header_included():
    rows = [[name, -2, Decimal("10.50")] for name in FORMULAS]
    lines = read_csv(csv_bytes(["=header", "n", "amount"], rows))
    assert lines[0][0] == "'=header"
    assert [line[0] for line in lines[1:]] == ["'" + name for name in FORMULAS]
    cells = read_xlsx(xlsx_bytes(["=header", "n", "amount"], rows, sheet="S"))
    assert all(cell.data_type != "f" for row in cells for cell in row)
    assert [row[1].value for row in cells[1:]] == [-2] * 4


def test_commission_csv_has_the_names_as_inert_text(client_for, admin_user, formula_commissions):
    response = client_for(admin_user).get(reverse("onboarding:commission-list"), {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = read_csv(downloaded(response))
    header, rows = lines[0], lines[1:]
    assert len(rows) == formula_commissions == 5
    exporters = [row[header.index("Exporter")] for row in rows]
    assert sorted(exporters) == sorted(["'" + name for name in FORMULAS] + ["'" + FORMULAS[0]])
    assert "'=1+1" in [row[header.index("Note")] for row in rows]
    amounts = {row[header.index("Amount (INR)")] for row in rows}
    assert amounts == {"500.00", "-500.00"}  # a negative amount is a number, not guarded text
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if cell != "-500.00")


def test_commission_xlsx_has_the_names_as_text_and_the_amounts_as_numbers(client_for, admin_user, formula_commissions):
    response = client_for(admin_user).get(reverse("onboarding:commission-list"), {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *rows = read_xlsx(downloaded(response))
    columns = [cell.value for cell in header]
    exporter, amount = columns.index("Exporter"), columns.index("Amount (INR)")
    assert sorted(row[exporter].value for row in rows) == sorted(
        ["'" + name for name in FORMULAS] + ["'" + FORMULAS[0]]
    )
    assert all(cell.data_type != "f" for row in rows for cell in row)
    assert all(row[exporter].data_type == "s" for row in rows)
    assert sorted(row[amount].value for row in rows) == [-500, 500, 500, 500, 500]
    assert all(row[amount].data_type == "n" for row in rows)


def test_a_startup_exports_its_own_commissions_guarded_too(client_for, manager_a, formula_commissions):
    lines = read_csv(downloaded(client_for(manager_a).get(reverse("onboarding:commission-list"), {"export": "csv"})))
    assert len(lines) - 1 == formula_commissions
    assert all(not cell.startswith(("=", "+", "@")) for line in lines for cell in line)


def test_import_errors_csv_has_the_refused_values_as_inert_text(client_for, admin_user):
    rows = good_rows(len(FORMULAS))
    for row, formula in zip(rows, FORMULAS, strict=True):
        row[HEADER.index("GST No")] = formula  # a bad GSTIN: reported with its value
    batch = import_batch_create(actor=admin_user, name="f.csv", content=file_csv(rows))
    batch = import_batch_validate(batch=batch, progress=False)
    response = client_for(admin_user).get(reverse("onboarding:exporter-import-errors", args=[batch.pk]))
    lines = read_csv(downloaded(response))
    gst, why = lines[0].index("GST No"), lines[0].index("errors")
    errors = {line[0]: (line[gst], line[why]) for line in lines[1:] if "GST No" in line[why]}  # name -> (value, errors)
    assert len(errors) == len(FORMULAS)
    # Cells holding a formula are refused on reading (the message quotes them); "-2+3" is not a
    # formula to the importer, so it is checked as a GSTIN and reported with its value, guarded.
    assert sum("Formulas are not imported" in message for _value, message in errors.values()) == 3
    assert "'-2+3" in [value for value, _message in errors.values()]
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
