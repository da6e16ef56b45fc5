"""Frozen monthly packs: built for finished months only, hashed, never changed, rebuilt as new versions."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from pypdf import PdfReader

from ..models import Commission, MonthlyReport
from ..models.commissions import CommissionStatus
from ..services.commissions import commission_reverse
from ..services.monthly_reports import monthly_report_build, monthly_report_scheduled
from ..tasks import monthly_report_build_task
from .factories import ExporterFactory, StartupFactory, assign, stage
from .test_outcomes import build_programme

pytestmark = pytest.mark.django_db
IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def programme(db):
    """The hand-built programme of test_outcomes, with its known answers."""
    return build_programme()


@time_machine.travel("2026-12-01 06:00 +0530", tick=False)
def test_the_pack_holds_every_table_and_the_hash_of_each_file(programme):
    report = monthly_report_build(month=date(2026, 11, 1), version=1)
    xlsx, pdf = report.xlsx.read(), report.pdf.read()
    assert report.xlsx_sha256 == hashlib.sha256(xlsx).hexdigest()
    assert report.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert pdf.startswith(b"%PDF")
    sheets = load_workbook(io.BytesIO(xlsx), read_only=True).sheetnames
    assert {
        "time-to-stage",
        "cohorts",
        "dwell",
        "weeks",
        "by-country",
        "scorecards",
        "commissions",
        "distribution",
    } <= set(sheets)
    cohorts = list(load_workbook(io.BytesIO(xlsx), read_only=True)["cohorts"].values)
    assert ("Sep 2026", 5, 4, 80, 20, 28) in cohorts  # the known answers, as numbers
    october = next(row for row in cohorts if row[0] == "Oct 2026")  # an empty cohort: counts, then blanks
    assert october[:3] == ("Oct 2026", 0, 0) and not any(october[3:])


@time_machine.travel("2026-12-01 06:00 +0530", tick=False)
def test_a_pack_for_october_leaves_out_what_happened_after_october(programme):
    report = monthly_report_build(month=date(2026, 10, 1), version=1)
    workbook = load_workbook(io.BytesIO(report.xlsx.read()), read_only=True)
    assert not any(row[0] == "Nov 2026" for row in workbook["cohorts"].values)
    orders = list(workbook["by-month"].values)
    assert ("Oct 2026", 1, 1, 1250.5) in orders


@time_machine.travel("2026-12-01 06:00 +0530", tick=False)
def test_a_rebuild_is_a_new_version_and_the_first_stays_as_it_was(programme):
    first = monthly_report_build(month=date(2026, 11, 1), version=1)
    first_bytes = first.xlsx.read()
    again = monthly_report_build(month=date(2026, 11, 1), version=1)
    assert again.pk == first.pk  # the same (month, version) is built once
    second = monthly_report_build(month=date(2026, 11, 1), version=2)
    first.refresh_from_db()
    assert first.xlsx.read() == first_bytes and first.xlsx_sha256 == hashlib.sha256(first_bytes).hexdigest()
    assert second.xlsx.name != first.xlsx.name
    listed = {(r.version, r.superseded) for r in MonthlyReport.objects.listed()}
    assert listed == {(1, True), (2, False)}


@time_machine.travel("2026-11-30 12:00 +0530", tick=False)
def test_the_current_month_is_refused_with_a_message(db):
    with pytest.raises(ValidationError) as refused:
        monthly_report_build(month=date(2026, 11, 1), version=1)
    assert "not over yet" in refused.value.message_dict["month"][0]
    assert not MonthlyReport.objects.exists()


@time_machine.travel("2026-12-01 06:00 +0530", tick=False)
def test_the_schedule_builds_last_months_pack_once(db):
    monthly_report_build_task.delay()
    monthly_report_build_task.delay()
    assert list(MonthlyReport.objects.values_list("month", "version")) == [(date(2026, 11, 1), 1)]
    assert monthly_report_scheduled(today=date(2026, 12, 1)).version == 1


def _commission(startup, amount: str, *, made: datetime, paid: datetime | None = None) -> Commission:
    """A commission entered and approved on `made`, paid on `paid` (or not yet)."""
    exporter = assign(ExporterFactory(), startup)
    commission = Commission.objects.create(
        startup=startup, exporter=exporter, stage=stage("storefront_live"), amount=amount,
        status=CommissionStatus.PAID if paid else CommissionStatus.APPROVED,
    )  # fmt: skip
    Commission.objects.filter(pk=commission.pk).update(created_at=made, approved_at=made, paid_at=paid)
    commission.refresh_from_db()
    return commission


def _sheet(report: MonthlyReport, name: str) -> dict:
    """A pack's sheet as {first cell: the rest of the row}."""
    rows = load_workbook(io.BytesIO(report.xlsx.read()), read_only=True)[name].values
    return {row[0]: row[1:] for row in rows}


@pytest.fixture
def paid_across_the_month_end(admin_user):
    """Alpha's four November commissions, paid at 23:59 on 30 November, at 00:01 on 1 December
    and on 4 December (India time), one never; the first reversed on 2 December."""
    alpha = StartupFactory(brand_name="Alpha", capacity=16000)
    made = datetime(2026, 11, 10, 11, 0, tzinfo=IST)
    last_minute = _commission(alpha, "1000.00", made=made, paid=datetime(2026, 11, 30, 23, 59, tzinfo=IST))
    _commission(alpha, "2000.00", made=made, paid=datetime(2026, 12, 1, 0, 1, tzinfo=IST))
    _commission(alpha, "40000.00", made=made, paid=datetime(2026, 12, 4, 15, 0, tzinfo=IST))
    _commission(alpha, "120000.00", made=made)
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=IST), tick=False):
        commission_reverse(actor=admin_user, commission=last_minute, reason="Storefront taken down")
    return alpha


@time_machine.travel("2027-01-05 09:00 +0530", tick=False)
def test_money_is_counted_in_the_month_it_was_paid_not_the_month_it_was_earned(paid_across_the_month_end):
    november = _sheet(monthly_report_build(month=date(2026, 11, 1), version=1), "commissions")
    december = _sheet(monthly_report_build(month=date(2026, 12, 1), version=1), "commissions")
    # Accrued, approved, paid in the month; unpaid at its end.
    assert november["Alpha"] == (163000, 163000, 1000, 162000)  # 23:59 on 30 November is November's
    assert december["Alpha"] == (-1000, -1000, 42000, 119000)  # 00:01 on 1 December and 4 December
    assert december["All startups"] == december["Alpha"]


@time_machine.travel("2027-01-05 09:00 +0530", tick=False)
def test_the_scorecard_counts_what_was_paid_by_the_months_end(paid_across_the_month_end):
    scorecard = _sheet(monthly_report_build(month=date(2026, 11, 1), version=1), "scorecards")
    header = scorecard["Startup"]
    alpha = dict(zip(header, scorecard["Alpha"], strict=False))  # blank cells at the end are not read
    assert alpha["Commission earned (₹)"] == 163000 and alpha["Commission paid (₹)"] == 1000


@time_machine.travel("2027-01-05 09:00 +0530", tick=False)
def test_the_packs_pdf_says_what_each_figure_counts_in_indian_figures(paid_across_the_month_end):
    report = monthly_report_build(month=date(2026, 11, 1), version=1)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf.read())).pages)
    assert "₹1,63,000.00" in text and "₹1,62,000.00" in text and "16,000" in text
    assert "16000" not in text and "163000" not in text
    assert "by the day the money was paid" in " ".join(text.split())
