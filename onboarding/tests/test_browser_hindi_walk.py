"""An agent's day in Hindi, in headless Chromium at 390 px: a phone set to Hindi gets the
sign-in page in Hindi; the agent signs in, finds an exporter, logs a call, submits evidence,
reads the programme's rejection and submits again. Every page on the way is in Hindi: no
English words but brands, codes and what people typed.

Labels are looked up in the Hindi catalogue (`hindi("Minutes")`), so the walk follows the
catalogue's wording and fails if a text it needs has no Hindi."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from ..models import Exporter, StageEvent
from ..services.progress import stage_event_reject
from .conftest import PASSWORD
from .factories import ExporterFactory, assign, commission_rule
from .test_translation_coverage import ALLOWED, english_on, state_words, typed_words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hindi(text: str) -> str:
    with translation.override("hi"):
        translated = gettext(text)
    assert translated != text, f"no Hindi for {text!r}"
    return translated


def assert_all_hindi(screen, where: str) -> None:
    assert screen.locator("html").get_attribute("lang") == "hi", where
    english = english_on(screen.content(), ALLOWED | typed_words() | state_words())
    assert english == [], f"{where}: {english}"


def test_an_agent_works_a_whole_claim_in_hindi_on_a_phone(browser, live_server, agent_a, officer, startup_a):
    commission_rule("storefront_live", "2000.00")
    exporter = assign(ExporterFactory(legal_name="Kaveri Handlooms LLP"), startup_a, stage_code="membership_active")
    Exporter.objects.filter(pk=exporter.pk).update(agent=agent_a)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="hi-IN")
    screen = context.new_page()
    screen.set_default_timeout(15_000)
    try:
        # A phone in Hindi: the sign-in page comes in Hindi before anyone chooses.
        screen.goto("/accounts/login/")
        assert_all_hindi(screen, "sign in")
        screen.get_by_label(hindi("email address")).fill(agent_a.email)
        screen.get_by_label(hindi("Password")).fill(PASSWORD)
        screen.get_by_role("button", name=hindi("Sign in")).click()
        screen.wait_for_url(lambda url: "/accounts/login/" not in url)
        assert_all_hindi(screen, "home")

        # Finds the exporter (the agent's home lists the exporters handed to them).
        screen.get_by_role("link", name="Kaveri Handlooms LLP").first.click()
        expect(screen.get_by_role("heading", name="Kaveri Handlooms LLP")).to_be_visible()
        assert_all_hindi(screen, "exporter")

        # Logs a call.
        screen.get_by_role("link", name=hindi("Log work")).first.click()
        assert_all_hindi(screen, "log work")
        screen.get_by_label(hindi("What did you do?")).select_option("call")
        screen.get_by_label(hindi("How did it go?")).select_option("reached")
        screen.get_by_label(hindi("Minutes")).fill("20")
        screen.get_by_label(hindi("Note")).fill("मालिक ने उत्पादों की फ़ोटो भेजने की बात मानी")
        screen.get_by_role("button", name=hindi("Save")).click()
        expect(screen.get_by_role("alert").first).to_be_visible()
        expect(screen.get_by_text("मालिक ने उत्पादों की फ़ोटो भेजने की बात मानी")).to_be_visible()
        assert_all_hindi(screen, "after logging the call")

        # Submits evidence: refused without its link, in Hindi, then sent.
        submit = reverse("onboarding:exporter-submit-stage", args=[exporter.pk])
        screen.locator(f'a[href="{submit}"]').first.click()
        assert_all_hindi(screen, "submit evidence")
        screen.get_by_role("button", name=hindi("Submit for review")).click()
        assert_all_hindi(screen, "submit evidence, refused")
        screen.get_by_label(hindi("Link (URL)")).fill("https://kaveri.en.alibaba.com/")
        screen.get_by_role("button", name=hindi("Submit for review")).click()
        expect(screen.get_by_role("alert").first).to_be_visible()
        assert_all_hindi(screen, "after submitting")

        # The programme rejects it; the agent reads why, in Hindi around the officer's words.
        claim = StageEvent.objects.get(exporter=exporter, stage__code="storefront_live")
        stage_event_reject(actor=officer, event=claim, note="Storefront link opens another seller")
        screen.goto(reverse("onboarding:home"))
        expect(screen.get_by_text("Storefront link opens another seller").first).to_be_visible()
        assert_all_hindi(screen, "home with the rejection")
        screen.goto(reverse("onboarding:exporter-detail", args=[exporter.pk]))
        expect(screen.get_by_text("Storefront link opens another seller").first).to_be_visible()
        assert_all_hindi(screen, "exporter with the rejection")

        # And submits again.
        screen.locator(f'a[href="{submit}"]').first.click()
        screen.get_by_label(hindi("Link (URL)")).fill("https://kaveri-handlooms.en.alibaba.com/")
        screen.get_by_role("button", name=hindi("Submit again")).click()
        expect(screen.get_by_role("alert").first).to_be_visible()
        assert_all_hindi(screen, "after submitting again")
        assert StageEvent.objects.filter(exporter=exporter, stage__code="storefront_live").count() == 2
    finally:
        context.close()
