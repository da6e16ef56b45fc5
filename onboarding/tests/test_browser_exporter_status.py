"""The exporter in the loop, in headless Chromium on a 390×844 phone: the exporter opens their
link, switches to Hindi and answers two questions (one "No" with a comment); the officer sees
the flag on the review queue and the startup's confirmation rate on the dashboard."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ..models import ConfirmationRequest
from ..models.activities import ActivityKind
from ..services.exporter_link import exporter_link_get
from ..services.progress import activity_log
from .factories import ExporterFactory, assign
from .layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_exporter_answers_in_hindi_and_the_officer_sees_the_flag_and_the_rate(
    page, sign_in, agent_a, officer, startup_a
):
    page.set_viewport_size({"width": 390, "height": 844})
    agent_a.first_name, agent_a.last_name = "Priya", "Shah"
    agent_a.save()
    exporter = assign(ExporterFactory(legal_name="Moradabad Brassware LLP"), startup_a)
    for kind, days in ((ActivityKind.CALL, 3), (ActivityKind.VISIT, 1)):
        occurred = timezone.now() - timedelta(days=days)
        activity_log(actor=agent_a, exporter=exporter, kind=kind, occurred_at=occurred, note="work", outcome="reached")
    url = reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter).token()])

    page.goto(url)
    expect(page.get_by_role("heading", name="Your export onboarding")).to_be_visible()
    expect(page.get_by_text("Moradabad Brassware LLP")).to_be_visible()
    page.get_by_role("link", name="हिंदी में देखें").click()
    expect(page.get_by_role("heading", name="आपकी निर्यात ऑनबोर्डिंग")).to_be_visible()
    assert_no_sideways_scroll(page, "the status page")

    call = page.locator(".question", has_text="फ़ोन किया")
    call.get_by_role("button", name="हाँ").click()
    expect(page.get_by_role("status")).to_have_text("धन्यवाद, आपका जवाब सेव हो गया।")
    expect(page.locator(".question", has_text="फ़ोन किया").get_by_text("आपने कहा: हाँ")).to_be_visible()

    visit = page.locator(".question", has_text="मिलने आए")
    visit.get_by_label("टिप्पणी (ज़रूरी नहीं)").fill("उस दिन कोई नहीं आया")
    visit.get_by_role("button", name="नहीं").click()
    expect(page.get_by_role("status")).to_have_text("धन्यवाद, आपका जवाब सेव हो गया।")
    expect(page.get_by_role("heading", name="आपकी निर्यात ऑनबोर्डिंग")).to_be_visible()  # still Hindi
    answers = dict(ConfirmationRequest.objects.values_list("kind", "answer"))
    assert answers == {"call": "yes", "visit": "no"}

    sign_in(officer)
    rates = page.locator(".card", has_text="Exporters' confirmations")
    expect(rates.get_by_role("row", name=f"{startup_a} 2 2 1 1 50%")).to_be_visible()
    page.goto(reverse("onboarding:review-queue"))
    expect(page.get_by_text("1 open dispute")).to_be_visible()
    assert_no_sideways_scroll(page, "the review queue")
    page.goto(reverse("onboarding:dispute-list"))
    dispute = page.locator("article", has_text="Moradabad Brassware LLP")
    expect(dispute.get_by_text("did not visit them")).to_be_visible()
    expect(dispute.get_by_text("“उस दिन कोई नहीं आया”")).to_be_visible()
    assert_no_sideways_scroll(page, "the dispute list")
