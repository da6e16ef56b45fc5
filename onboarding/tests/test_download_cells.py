"""Downloads without machine artefacts: each CSV and XLSX read back. CSV times are ISO 8601
with the zone and no microseconds; XLSX dates are date cells shown as "30 Nov 2026" and
numbers are numbers; phone numbers are text with no visible formula guard (while a formula
still is guarded); every sheet has a frozen header and a filter; markets are names; files
are named with the date and the filters."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from ..models import Exporter
from ..spreadsheets import csv_bytes, xlsx_bytes
from .downloads import csv_lines, downloaded
from .factories import ExporterFactory, StartupFactory, assign

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30$")
ADDED = datetime(2026, 11, 30, 14, 5, 0, 123456, tzinfo=IST)
LISTS = ["exporter-list", "startup-list", "review-queue", "commission-list", "outbox", "activity-list"]


def _workbook(response):
    return load_workbook(io.BytesIO(downloaded(response)))


def _column(lines: list[list], label: str) -> list:
    header, *rows = lines
    return [row[header.index(label)] for row in rows]


@pytest.fixture
def listed(db):
    """An exporter with a mobile, two markets and a known "added" time, given to a startup."""
    startup = StartupFactory(brand_name="Kaveri Exports", capacity=5)
    exporter = ExporterFactory(legal_name="Malabar Spices LLP", target_markets=["AE", "US"])
    Exporter.objects.filter(pk=exporter.pk).update(created_at=ADDED)
    return assign(exporter, startup)


def test_a_csv_time_is_iso_8601_with_the_zone_and_no_microseconds(client_for, officer, listed):
    lines = csv_lines(client_for(officer).get(reverse("onboarding:exporter-list"), {"format": "csv"}))
    assert _column(lines, "Added") == ["2026-11-30T14:05:00+05:30"]
    assert all(ISO_MOMENT.match(cell) for cell in _column(lines, "In stage since"))


def test_a_csv_phone_number_has_no_visible_guard_but_a_formula_still_has(client_for, officer, listed):
    ExporterFactory(legal_name='=HYPERLINK("http://evil.example","x")', contact_mobile="+919812345679")
    lines = csv_lines(client_for(officer).get(reverse("onboarding:exporter-list"), {"format": "csv"}))
    assert sorted(_column(lines, "Mobile")) == ["+919812345678", "+919812345679"]
    assert '\'=HYPERLINK("http://evil.example","x")' in _column(lines, "Legal name")


def test_csv_markets_are_country_names(client_for, officer, listed):
    lines = csv_lines(client_for(officer).get(reverse("onboarding:exporter-list"), {"format": "csv"}))
    assert _column(lines, "Target markets") == ["United Arab Emirates; United States"]


def test_xlsx_cells_are_typed_dates_numbers_and_phone_text(client_for, officer, listed):
    sheet = _workbook(client_for(officer).get(reverse("onboarding:exporter-list"), {"format": "xlsx"})).active
    header = [cell.value for cell in sheet[1]]
    row = {label: sheet.cell(row=2, column=i + 1) for i, label in enumerate(header)}
    added = row["Added"]
    assert added.is_date and added.value.replace(microsecond=0) == datetime(2026, 11, 30, 14, 5)
    assert added.number_format == "d mmm yyyy hh:mm"  # shown as 30 Nov 2026 14:05
    assert row["Listed products"].data_type == "n" and row["Listed products"].value == 0
    mobile = row["Mobile"]
    assert mobile.value == "+919812345678" and mobile.data_type == "s"
    assert mobile.quotePrefix  # typed text: Excel never reads it as a formula or a number
    assert row["Target markets"].value == "United Arab Emirates; United States"


def test_a_date_column_is_a_date_cell_shown_as_day_month_year():
    from datetime import date

    sheet = load_workbook(io.BytesIO(xlsx_bytes(["Paid on"], [[date(2026, 11, 30)]], sheet="S"))).active
    assert sheet["A2"].is_date and sheet["A2"].number_format == "d mmm yyyy"  # 30 Nov 2026


@pytest.mark.parametrize("name", LISTS)
def test_every_list_download_has_a_frozen_header_a_filter_and_iso_times(client_for, admin_user, listed, name):
    client = client_for(admin_user)
    workbook = _workbook(client.get(reverse(f"onboarding:{name}"), {"format": "xlsx"}))
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
    lines = csv_lines(client.get(reverse(f"onboarding:{name}"), {"format": "csv"}))
    for row in lines[1:]:
        for cell in row:
            if re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:", cell):
                assert ISO_MOMENT.match(cell), (name, cell)


def test_an_analytics_workbook_has_a_frozen_header_and_filter_on_every_sheet(client_for, officer):
    workbook = _workbook(client_for(officer).get("/reports/milestones/?format=xlsx"))
    assert len(workbook.worksheets) > 1
    assert all(s.freeze_panes == "A2" and s.auto_filter.ref for s in workbook.worksheets)


@time_machine.travel("2026-12-04 10:00 +0530", tick=False)
def test_a_file_is_named_with_the_date_and_the_filters(client_for, officer, listed):
    client = client_for(officer)
    response = client.get(reverse("onboarding:exporter-list"), {"late": "1", "scope": "mine", "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="exporters-2026-12-04-late-mine.csv"'
    response = client.get("/reports/milestones/", {"start": "2026-09", "format": "csv", "table": "cohorts"})
    assert response["Content-Disposition"].endswith('filename="time-to-milestone-cohorts-2026-12-04-start-2026-09.csv"')


def test_a_phone_number_needs_no_guard_but_look_alikes_keep_it():
    content = csv_bytes(["v"], [["+919812345678"], ["+91 98123 45678"], ["+1-2"], ["+cmd|' /C calc'!A0"], ["-2+3"]])
    lines = content.decode("utf-8-sig").splitlines()[1:]
    assert lines == ["+919812345678", "+91 98123 45678", "'+1-2", "'+cmd|' /C calc'!A0", "'-2+3"]
