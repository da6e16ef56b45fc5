"""A startup user's pages on a phone in headless Chromium: the exporter's phone number near the
top, forms whose errors take the focus. (No page of any role scrolls sideways at 360 px:
test_browser_glance.py, with this module's busy startup.)"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ..services.progress import activity_log, stage_event_approve, stage_event_reject, stage_event_submit
from ..templatetags.formats import phone
from .factories import ExporterFactory, assign, commission_rule, stage
from .layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server):
    """A small Android phone's screen (replaces the shared, larger `page`)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 800})
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    yield phone
    context.close()


@pytest.fixture
def busy_startup(startup_a, agent_a, officer):
    """Startup A with what makes pages wide: a claim waiting, one rejected with a long note, a
    big commission, long names and notes."""
    commission_rule("storefront_live", "519500.00")
    paid = assign(
        ExporterFactory(legal_name="Sri Venkateswara Handloom Weavers Co-operative Production and Sales Society LLP"),
        startup_a,
        stage_code="membership_active",
    )
    approved = stage_event_submit(
        actor=agent_a, exporter=paid, stage=stage("storefront_live"),
        evidence={"evidence_url": "https://sri-venkateswara-handloom-weavers-cooperative.en.alibaba.com/"},
    )  # fmt: skip
    stage_event_approve(actor=officer, event=approved)
    waiting = assign(ExporterFactory(legal_name="Kaveri Handlooms LLP"), startup_a, stage_code="storefront_live")
    stage_event_submit(
        actor=agent_a, exporter=waiting, stage=stage("products_listed"),
        evidence={"evidence_number": 12, "evidence_url": "https://kaveri.en.alibaba.com/products/a-very-long-product-link"},
    )  # fmt: skip
    rejected = assign(ExporterFactory(legal_name="Tiruppur Knits LLP"), startup_a, stage_code="account_created")
    claim = stage_event_submit(
        actor=agent_a, exporter=rejected, stage=stage("membership_active"),
        evidence={"evidence_reference": "GOLD-2026-118", "evidence_date": timezone.localdate()},
    )  # fmt: skip
    stage_event_reject(actor=officer, event=claim, note="The receipt-number-GOLD-2026-118-does-not-match-the-contract")
    activity_log(
        actor=agent_a, exporter=waiting, kind="call", outcome="reached", occurred_at=timezone.now(),
        note="Spoke to the owner about https://kaveri.en.alibaba.com/products/a-very-long-product-link-to-check",
    )  # fmt: skip
    return {"waiting": waiting, "paid": paid}


def test_the_exporters_phone_number_is_one_tap_away_at_the_top(page, sign_in, agent_a, busy_startup):
    waiting = busy_startup["waiting"]
    sign_in(agent_a)
    page.goto(reverse("onboarding:exporter-detail", args=[waiting.pk]))
    call = page.get_by_role("link", name=f"Call {phone(waiting.contact_mobile)}")
    box = call.bounding_box()
    assert box is not None and box["y"] + box["height"] < 400


def test_a_form_with_errors_puts_focus_on_its_summary_whose_links_focus_the_field(page, sign_in, agent_a, busy_startup):
    sign_in(agent_a)
    page.goto(reverse("onboarding:exporter-log-work", args=[busy_startup["waiting"].pk]))
    page.get_by_label("How did it go?").select_option("reached")
    page.get_by_label("Minutes").fill("-5")
    page.get_by_role("button", name="Save").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()  # by portal.js, which may run after the summary is in
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_duration_minutes")).to_be_focused()
    assert_no_sideways_scroll(page)


def test_typing_a_gstin_picks_its_state_on_the_exporter_form(page, sign_in, officer):
    sign_in(officer)
    page.goto(reverse("onboarding:exporter-create"))
    page.get_by_label("GSTIN").fill("33AAPFU0939F1ZV")
    assert page.get_by_label("State or union territory").input_value() == "33"
    assert_no_sideways_scroll(page)
