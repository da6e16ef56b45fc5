"""Frozen monthly packs: built for finished months only, hashed, never changed, rebuilt as new versions."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from ..models import MonthlyReport
from ..services.monthly_reports import monthly_report_build, monthly_report_scheduled
from ..tasks import monthly_report_build_task
from .test_outcomes import build_programme

pytestmark = pytest.mark.django_db


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
