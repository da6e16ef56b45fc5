"""Bulk import in headless Chromium: upload a file with errors, read the preview, import the valid rows."""

import pytest
from playwright.sync_api import expect

from ..models import Exporter
from .importfiles import csv_bytes, good_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_uploads_a_file_with_errors_and_imports_the_valid_rows(page, sign_in, admin_user):
    rows = good_rows(3, start=4_000_000)
    rows[1][1] = "27AAPFU0939F1ZO"  # bad check character
    rows[2][2] = "Narnia"  # unknown state
    rows.append(good_rows(1, start=4_100_000)[0])
    rows[3][0] = "श्री गणेश हस्तशिल्प"
    sign_in(admin_user)
    page.goto("/exporters/")
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_label("Exporter file").set_input_files(
        files=[{"name": "district-hub.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}]
    )
    page.get_by_role("button", name="Upload and check").click()

    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("check character")
    expect(errors).to_contain_text("“Narnia” is not an Indian state")
    expect(errors.locator("tbody tr")).to_have_count(2)
    assert not Exporter.objects.exists()

    page.get_by_role("button", name="Import 2 valid rows").click()
    expect(page.get_by_role("status")).to_contain_text("Import finished. 2 added")
    page.get_by_role("link", name="See the exporters").click()
    expect(page.get_by_role("link", name=rows[0][0])).to_be_visible()
    expect(page.get_by_role("link", name="श्री गणेश हस्तशिल्प")).to_be_visible()
    assert Exporter.objects.count() == 2
