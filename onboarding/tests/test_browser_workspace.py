"""The startup's daily workspace on a phone (390×844, headless Chromium): an agent finds an
exporter by part of its name, logs a call through the type-ahead, submits evidence, is told of
the officer's rejection by the bell, reads the note on the form and submits again. No page
visited may scroll sideways."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..models import StageEvent
from ..models.stages import UNDO_WINDOW
from ..services.notifications import notifications_claims_decided
from ..services.progress import stage_event_reject
from .conftest import PASSWORD
from .factories import ExporterFactory, assign
from .layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n% a scanned certificate\n"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in_on_phone(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert_no_sideways_scroll(page)


def find_and_log_a_call(page, exporter) -> None:
    """Find the exporter by part of its name, then log a call picking it with the type-ahead, by keyboard."""
    page.goto("/exporters/?mine=false")
    page.get_by_label("Search").fill("handloom")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("link", name="Other Weavers LLP")).to_have_count(0)
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name=exporter.legal_name).click()
    page.wait_for_url(f"**/exporters/{exporter.pk}/")
    assert_no_sideways_scroll(page)
    page.goto("/activities/")
    picker = page.get_by_role("combobox", name="Exporter")
    picker.press_sequentially("kaveri", delay=30)
    expect(page.get_by_role("listbox", name="Matching exporters").get_by_role("option")).to_have_count(1)
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(picker).to_have_value(f"{exporter.legal_name} · {exporter.gstin}")
    page.get_by_label("What did you do?").select_option("call")
    page.get_by_label("How did it go?").select_option("reached")
    page.get_by_label("Note").fill("Spoke to the owner about the listing")
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("Logged: call with")


def submit_documents(page, exporter, files: dict[str, str]) -> None:
    """Each document in its own labelled input (the stage's checklist)."""
    page.goto(exporter.get_absolute_url())
    page.get_by_role("link", name="Submit “Documents collected”").click()
    page.get_by_label("Note").fill("GST certificate and IEC")
    for label, path in files.items():
        page.get_by_label(label).set_input_files(path)
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert").first).to_contain_text("sent for review")
    assert_no_sideways_scroll(page)


def hear_of_the_rejection_and_resubmit(page, exporter, catalogue: str) -> None:
    """The bell shows it; the notice leads to the form, which shows the note and what was sent."""
    page.goto("/")
    bell = page.locator("#nav-bell")
    expect(bell).to_contain_text("1")
    assert_no_sideways_scroll(page)
    bell.click()
    expect(page.get_by_text("Officer's note: The catalogue is unreadable")).to_be_visible()
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name=f"“Documents collected” for {exporter.legal_name} was rejected").click()
    expect(page.get_by_text("The catalogue is unreadable")).to_be_visible()
    expect(page.get_by_role("link", name="GST certificate.pdf")).to_be_visible()
    expect(page.get_by_label("Note")).to_have_value("GST certificate and IEC")
    expect(page.get_by_role("checkbox", name="Send the previous files again")).to_be_checked()
    assert_no_sideways_scroll(page)
    page.get_by_label("Note").fill("GST certificate and IEC; a clearer catalogue")
    page.get_by_label("Product catalogue").set_input_files(catalogue)
    page.get_by_role("button", name="Submit again").click()
    expect(page.get_by_role("alert").first).to_contain_text("sent for review")
    assert_no_sideways_scroll(page)


def test_an_agent_finds_logs_submits_hears_of_a_rejection_and_resubmits(
    auto_contact, phone, agent_a, officer, startup_a, tmp_path
):
    # auto_contact: the reached call marks the exporter contacted at once, so the story goes on
    # to the documents (with confirmed contact required, see test_browser_exporter_status).
    kaveri = assign(ExporterFactory(legal_name="Kaveri Handloom Silks Private Limited"), startup_a)
    kaveri.agent = agent_a
    kaveri.save(update_fields=["agent"])
    assign(ExporterFactory(legal_name="Other Weavers LLP"), startup_a)
    files = {}
    names = {
        "GST certificate": "GST certificate.pdf",
        "IEC certificate": "IEC.pdf",
        "Bank proof": "Bank letter.pdf",
        "Product catalogue": "Catalogue.pdf",
        "again": "Catalogue 2026.pdf",
    }
    for label, name in names.items():
        path = tmp_path / name
        path.write_bytes(PDF)
        files[label] = str(path)
    catalogue = files.pop("again")

    sign_in_on_phone(phone, agent_a)
    find_and_log_a_call(phone, kaveri)
    submit_documents(phone, kaveri, files)
    # The officer rejects it with a note.
    stage_event_reject(
        actor=officer, event=StageEvent.objects.get(status="submitted"), note="The catalogue is unreadable"
    )
    notifications_claims_decided(now=timezone.now() + UNDO_WINDOW)  # told once it can no longer be undone
    hear_of_the_rejection_and_resubmit(phone, kaveri, catalogue)

    again = StageEvent.objects.get(status="submitted")
    names = ["GST certificate.pdf", "IEC.pdf", "Bank letter.pdf", "Catalogue 2026.pdf"]
    assert [f.file_name for f in again.all_files()] == names
    phone.goto("/notifications/")
    expect(phone.locator("#nav-bell")).not_to_contain_text("unread")
