"""Payout runs in headless Chromium: an admin makes a run for the month, downloads a startup's
statement as Excel and as PDF, and records the UTR."""

import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from ..models import Commission
from ..models.commissions import CommissionStatus
from .factories import ExporterFactory, assign, stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_makes_a_payout_run_for_a_month_and_downloads_both_statements(page, sign_in, admin_user, startup_a):
    for amount in ("2000.00", "1500.00"):
        exporter = assign(ExporterFactory(), startup_a)
        Commission.objects.create(
            startup=startup_a,
            exporter=exporter,
            stage=stage("storefront_live"),
            amount=amount,
            status=CommissionStatus.APPROVED,
        )

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(admin_user)
    page.goto("/commissions/payouts/")
    expect(page.get_by_text("No payout runs yet")).to_be_visible()
    page.get_by_label("Month to pay").fill(timezone.localdate().strftime("%Y-%m"))
    page.get_by_role("button", name="Make the payout run").click()
    expect(page.get_by_role("alert").first).to_contain_text("Made the payout run for")
    expect(page.locator("#run-total")).to_have_text("₹3,500.00")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the run scrolls sideways"

    with page.expect_download() as excel:
        page.get_by_role("link", name="Statement (Excel)").click()
    workbook = load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes()))
    cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row]
    assert startup_a.dpiit_number in cells and 3500 in cells
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Statement (PDF)").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF-")

    page.get_by_label("UTR of the transfer").fill("SBIN226330123456")
    page.get_by_role("button", name="Mark Alpha paid").click()
    expect(page.get_by_role("alert").first).to_contain_text("Paid ₹3,500.00 to Alpha")
    assert set(Commission.objects.values_list("status", flat=True)) == {CommissionStatus.PAID}
