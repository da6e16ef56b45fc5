"""An admin reads every analytics page on a phone-sized screen and downloads a monthly pack."""

from __future__ import annotations

import hashlib

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..models import MonthlyReport
from ..services.monthly_reports import last_finished_month
from .layout import assert_no_sideways_scroll
from .test_outcomes import build_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("Time to milestone", "Time to milestone"),
    ("Trends", "Trends, week by week"),
    ("Scorecards", "Startup scorecards"),
    ("Export outcomes", "Export outcomes"),
    ("Monthly reports", "Monthly reports"),
]


def test_an_admin_opens_each_analytics_page_and_downloads_the_monthly_pack(page, sign_in, admin_user, tmp_path):
    build_programme()
    sign_in(admin_user)
    page.goto("/reports/milestones/")
    for link, heading in PAGES:
        page.get_by_role("navigation", name="Analytics pages").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_no_sideways_scroll(page, heading)
    page.goto("/reports/milestones/?start=2026-09&end=2026-11")
    expect(page.locator("#as-of")).to_contain_text("Figures as of")
    expect(page.locator("#table-cohorts")).to_contain_text("Sep 2026")
    expect(page.locator("canvas[data-line-chart]")).to_be_visible()

    month = last_finished_month(timezone.localdate())
    page.goto("/reports/monthly/")
    page.get_by_role("textbox", name="Month").fill(month.strftime("%Y-%m"))
    page.get_by_role("button", name="Build for month").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Building the {month:%B %Y} report (v1)")
    page.reload()
    row = page.locator("#monthly-reports tbody tr").first
    expect(row).to_contain_text("v1")
    with page.expect_download() as info:
        row.get_by_role("link", name="XLSX").click()
    saved = tmp_path / "pack.xlsx"
    info.value.save_as(saved)
    report = MonthlyReport.objects.get()
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == report.xlsx_sha256
