"""Progress in headless Chromium: an agent logs work and submits evidence, an officer approves
it, and the startup sees the new stage and the commission."""

import pytest
from playwright.sync_api import expect

from ..models import Exporter
from .factories import ExporterFactory, assign, commission_rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_a_call_submits_storefront_officer_approves_startup_sees_stage_and_commission(
    page, sign_in, sign_out, menu, agent_a, officer, startup_a
):
    commission_rule("storefront_live", "2000.00")
    exporter = assign(ExporterFactory(legal_name="Kaveri Handlooms LLP"), startup_a, stage_code="membership_active")
    Exporter.objects.filter(pk=exporter.pk).update(agent=agent_a)  # an agent's home lists the exporters handed to them

    sign_in(agent_a)
    page.get_by_role("link", name="Kaveri Handlooms LLP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kaveri Handlooms LLP")
    # The page's own link: the navbar has a "Log work" too (the work log), folded away on a
    # narrow screen only once the stylesheet applies.
    page.get_by_role("main").get_by_role("link", name="Log work").first.click()
    page.get_by_label("What did you do?").select_option("call")
    page.get_by_label("How did it go?").select_option("reached")
    page.get_by_label("Minutes").fill("20")
    page.get_by_label("Note").fill("Owner agreed to share product photos")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("Logged: call with")
    expect(page.get_by_text("Owner agreed to share product photos")).to_be_visible()

    page.get_by_role("link", name="Submit “Storefront live”").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#error_1_id_evidence_url")).to_contain_text(
        "Enter the link (URL)"
    )  # says what to do, from the label
    page.get_by_label("Link (URL)").fill("https://kaveri.en.alibaba.com/")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert").first).to_contain_text("sent for review")
    expect(page.get_by_text("“Storefront live” is waiting for review")).to_be_visible()
    sign_out()

    sign_in(officer)
    menu().get_by_role("link", name="Reviews 1").click()
    expect(page.get_by_role("link", name="https://kaveri.en.alibaba.com/")).to_be_visible()
    page.get_by_label("Note to the startup").fill("Verified on the marketplace")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Approved “Storefront live” for Kaveri Handlooms LLP")
    expect(page.get_by_text("Nothing is waiting for review")).to_be_visible()
    sign_out()

    sign_in(agent_a)
    expect(page.get_by_text("Storefront live · day 0 of 7")).to_be_visible()
    menu().get_by_role("link", name="Earnings").click()
    expect(page.get_by_role("cell", name="₹2,000.00").first).to_be_visible()
    expect(page.get_by_role("cell", name="Accrued")).to_be_visible()
    exporter.refresh_from_db()
    assert exporter.current_stage.code == "storefront_live"
