"""Payout runs in headless Chromium: an admin makes a run for the month, downloads a startup's
statement as Excel and as PDF, and records the UTR; and a month paid through the bank's files."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from ..management import demo
from ..models import Commission
from ..models.commissions import CommissionStatus
from ..models.users import StaffRole
from .factories import ExporterFactory, UserFactory, assign, bank_details, stage
from .layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_makes_a_payout_run_for_a_month_and_downloads_both_statements(page, sign_in, admin_user, startup_a):
    bank_details(startup_a)  # without confirmed bank details its payout would be on hold
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
    assert_no_sideways_scroll(page, "the run")

    with page.expect_download() as excel:
        page.get_by_role("link", name="Statement (Excel)").click()
    workbook = load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes()))
    cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row]
    assert startup_a.dpiit_number in cells and 3500 in cells
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Statement (PDF)").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF-")

    page.get_by_text("Paid outside the bank file? Record its UTR").click()
    page.get_by_label("UTR of the transfer").fill("SBIN226330123456")
    page.get_by_role("button", name="Mark Alpha paid").click()
    expect(page.get_by_role("alert").first).to_contain_text("Paid ₹3,500.00 to Alpha")
    assert set(Commission.objects.values_list("status", flat=True)) == {CommissionStatus.PAID}


def test_an_admin_pays_november_through_the_bank_files_and_a_failed_line_joins_december(
    page, sign_in, admin_user, startup_a, startup_b
):
    """Bank details entered by one admin and confirmed by another, November's run, its bank
    file, the bank's response with one failed line, and that line again in December's run."""
    second_admin = UserFactory(email="second.admin@programme.example", staff_role=StaffRole.ADMIN, is_staff=True)
    demo.authenticator_for(second_admin)
    bank_details(startup_b)
    december = timezone.localdate().replace(day=1)
    november = (december - timedelta(days=1)).replace(day=1)
    for startup, amount in ((startup_a, "2000.00"), (startup_a, "1500.00"), (startup_b, "900.00")):
        commission = Commission.objects.create(
            startup=startup,
            exporter=assign(ExporterFactory(), startup),
            stage=stage("storefront_live"),
            amount=amount,
            status=CommissionStatus.APPROVED,
        )
        Commission.objects.filter(pk=commission.pk).update(
            created_at=timezone.now().replace(day=15) - timedelta(days=31)
        )

    sign_in(admin_user)
    page.goto(f"/startups/{startup_a.pk}/bank/")
    page.get_by_label("Account holder").fill("Alpha Exports Private Limited")
    page.get_by_label("Account number").fill("50100123456789")
    page.get_by_label("IFSC").fill("HDFC0001234")
    page.get_by_label("PAN of the payee").fill("AAPFU0939F")
    page.get_by_role("button", name="Save the bank details").click()
    expect(page.get_by_role("alert").first).to_contain_text("Another admin must confirm them")
    expect(page.locator("#bank-account-number")).to_have_text("XXXXXX6789")
    expect(page.get_by_role("button", name="Confirm these bank details")).to_have_count(0)

    page.context.clear_cookies()
    sign_in(second_admin)
    page.goto(f"/startups/{startup_a.pk}/bank/")
    page.get_by_role("button", name="Confirm these bank details").click()
    expect(page.get_by_role("alert").first).to_contain_text("Confirmed")

    page.goto("/commissions/payouts/")
    page.get_by_label("Month to pay").fill(november.strftime("%Y-%m"))
    page.get_by_role("button", name="Make the payout run").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Made the payout run for {november:%B %Y}")
    expect(page.locator("#run-total")).to_have_text("₹4,400.00")
    with page.expect_download() as bank_file:
        page.get_by_role("link", name="Download the bank file").click()
    rows = list(csv.reader(io.StringIO(Path(bank_file.value.path()).read_text())))
    assert [row[2] for row in rows[1:]] == ["50100123456789", startup_b.bank_account.account_number]
    references = {row[1]: row[5] for row in rows[1:]}

    response = "Customer reference,Amount,UTR,Status,Reason\n"
    response += f"{references[startup_a.legal_name]},3500.00,SBIN226330123456,Success,\n"
    response += f"{references[startup_b.legal_name]},900.00,,Failed,Account closed\n"
    page.get_by_label("The bank's response file").set_input_files(
        files=[{"name": "response.csv", "mimeType": "text/csv", "buffer": response.encode()}]
    )
    page.get_by_role("button", name="Upload the response").click()
    expect(page.get_by_role("alert").first).to_contain_text("Used 2 lines")
    expect(page.locator("#response-report")).to_contain_text("Failed: Beta")
    expect(page.get_by_text("Failed at the bank: Account closed")).to_be_visible()

    page.goto("/commissions/payouts/")
    page.get_by_label("Month to pay").fill(december.strftime("%Y-%m"))
    page.get_by_role("button", name="Make the payout run").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Made the payout run for {december:%B %Y}")
    expect(page.locator("#run-total")).to_have_text("₹900.00")
    expect(page.get_by_role("heading", name=startup_b.legal_name)).to_be_visible()
    assert_no_sideways_scroll(page, "the run")


def test_admin_approves_one_commission_and_reverses_another_from_their_rows_on_a_phone(
    page, sign_in, admin_user, startup_a
):
    """The statement's rows carry their own forms (templatetags/commission_rows.py): each posts
    with the page's CSRF token and comes back to the same filtered statement."""
    accrued, approved = (
        Commission.objects.create(
            startup=startup_a,
            exporter=assign(ExporterFactory(legal_name=name), startup_a),
            stage=stage("storefront_live"),
            amount="1200.00",
            status=status,
        )
        for name, status in (
            ("Agra Marble LLP", CommissionStatus.ACCRUED),
            ("Bhopal Brass LLP", CommissionStatus.APPROVED),
        )
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(admin_user)
    page.goto("/commissions/?status=accrued")
    page.locator(f"form[action='/commissions/{accrued.pk}/approve/']").get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert").first).to_contain_text("Approved ₹1,200.00 for Agra Marble LLP")
    assert page.url.endswith("/commissions/?status=accrued")
    page.goto("/commissions/")
    row = page.get_by_role("row").filter(has_text="Bhopal Brass LLP")
    row.get_by_text("Reverse", exact=True).first.click()
    row.get_by_label("Reason").fill("Storefront taken down")
    row.get_by_label("Reason").press("Enter")
    expect(page.get_by_role("alert").first).to_contain_text("Reversed ₹1,200.00 for Bhopal Brass LLP")
    accrued.refresh_from_db()
    assert accrued.status == CommissionStatus.APPROVED
    assert Commission.objects.filter(reverses=approved).exists()
