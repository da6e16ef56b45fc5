"""Auto-assignment in headless Chromium: the admin previews and applies it; the startup's
manager then signs in and sees exactly the exporters assigned to them."""

import pytest
from playwright.sync_api import expect

from ..models import Assignment
from ..models.startups import MemberRole
from .factories import ExporterFactory, MemberFactory, StartupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_applies_auto_assignment_and_the_manager_sees_exactly_those_exporters(page, sign_in, admin_user):
    setu = StartupFactory(brand_name="Setu", state="27", capacity=2, languages=["mr"])
    StartupFactory(brand_name="Paused Co", state="27", accepting_assignments=False)
    manager = MemberFactory(startup=setu, role=MemberRole.MANAGER, user__email="manager@setu.example").user
    ExporterFactory(legal_name="Pune Looms LLP")
    ExporterFactory(legal_name="Nashik Grapes LLP")
    ExporterFactory(legal_name="Satara Leather LLP")  # Setu has room for two only
    ExporterFactory(legal_name="Kaveri Spices LLP", state="33", preferred_language="ta")

    sign_in(admin_user)
    page.goto("/assignments/auto/")
    proposals = page.locator("#proposals")
    expect(proposals).to_contain_text("Pune Looms LLP")
    expect(proposals).to_contain_text("Nashik Grapes LLP")
    expect(proposals).to_contain_text("same state (Maharashtra); speaks Marathi; startup has 0 of 2 places used")
    expect(proposals).not_to_contain_text("Paused Co")
    unmatched = page.locator("#unmatched")
    expect(unmatched).to_contain_text("Satara Leather LLP")
    expect(unmatched).to_contain_text("every active startup accepting assignments is full")
    expect(unmatched).to_contain_text("Kaveri Spices LLP")
    assert not Assignment.objects.exists()

    # Only the ticked rows, after a confirmation that gives their count (issue 30).
    page.get_by_role("button", name="Apply 2 ticked").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assign 2 exporters to 1 startup?")
    page.get_by_role("button", name="Assign 2 exporters").click()
    expect(page.get_by_role("alert")).to_contain_text("Assigned 2 exporters.")
    assert set(Assignment.objects.values_list("exporter__legal_name", flat=True)) == {
        "Pune Looms LLP",
        "Nashik Grapes LLP",
    }

    page.context.clear_cookies()
    sign_in(manager)
    listing = page.locator(".list-group")
    expect(listing.locator(".list-group-item")).to_have_count(2)
    expect(listing).to_contain_text("Pune Looms LLP")
    expect(listing).to_contain_text("Nashik Grapes LLP")
    expect(page.locator("main")).not_to_contain_text("Satara Leather LLP")
    expect(page.locator("main")).not_to_contain_text("Kaveri Spices LLP")
