"""The review queue in headless Chromium: an officer filters to one stage, rejects one claim in
place with a note, selects all that match, approves 30, and stays on the filtered page; then
decides another stage's claims from the keyboard."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..models import Commission, Notification, OutboxMessage, Stage, StageEvent
from ..models.stages import UNDO_WINDOW, StageEventStatus
from ..services.notifications import notifications_claims_decided
from ..services.progress import stage_event_submit
from .factories import ExporterFactory, assign, checklist_files, commission_rule, stage
from .layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _claims(startup, agent, count: int, *, at: str, evidence: dict, prefix: str) -> None:
    stages = list(Stage.objects.ordered())
    for i in range(count):
        exporter = assign(ExporterFactory(legal_name=f"{prefix} {i:02d} LLP"), startup, stage_code=at)
        nxt = exporter.next_stage(stages)
        checklist = checklist_files(nxt.code)  # every document the stage asks for
        stage_event_submit(actor=agent, exporter=exporter, stage=nxt, evidence=evidence, checklist=checklist)


def test_officer_filters_to_a_stage_rejects_one_approves_thirty_and_stays_on_the_filter(
    page, sign_in, officer, agent_a, startup_a
):
    _claims(
        startup_a, agent_a, 31, at="membership_active", evidence={"evidence_url": "https://a.example/"}, prefix="Store"
    )
    _claims(startup_a, agent_a, 2, at="contacted", evidence={"note": "GST and IEC"}, prefix="Docs")
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_viewport_size({"width": 390, "height": 844})

    sign_in(officer)
    page.goto("/reviews/")
    page.get_by_role("button", name="Filters (0)").click()  # on a phone the filters beside the search are folded
    page.get_by_label("Stage", exact=True).select_option(label="Storefront live")
    page.get_by_role("button", name="Apply").click()
    filtered = page.url
    assert "stage=" in filtered
    expect(page.get_by_text("Select all 31 matching the filters")).to_be_visible()
    assert_no_sideways_scroll(page, "the queue")

    first = page.locator("[data-review-card]").first
    first.get_by_role("button", name="Reject").click()
    expect(first.locator(".invalid-feedback")).to_contain_text("Say why the evidence is rejected")
    first = page.locator("[data-review-card]").first
    first.get_by_label("Note to the startup").fill("The storefront link does not open")
    first.get_by_role("button", name="Reject").click()
    expect(page.locator("[data-review-card]").first).to_contain_text("Rejected “Storefront live”")
    assert page.url == filtered

    page.get_by_label("Select all 30 matching the filters").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("alert").first).to_contain_text("Approved 30 submissions")
    assert page.url == filtered
    expect(page.get_by_text("No waiting evidence matches these filters")).to_be_visible()

    # The other stage's two claims from the keyboard: j moves, a twice approves, r opens the note
    # and Enter rejects; deciding the page's last claim loads the page again with the outcome.
    page.get_by_role("link", name="Clear the filters").click()
    page.wait_for_url(lambda url: "stage=" not in url)  # loaded, shortcuts bound: keys pressed sooner go nowhere
    page.keyboard.press("j")
    page.keyboard.press("a")  # arms only: a stray "a" approves nothing
    expect(page.locator("[data-review-armed]").first).to_be_visible()
    assert StageEvent.objects.filter(status=StageEventStatus.SUBMITTED, stage=stage("documents_collected")).count() == 2
    page.keyboard.press("a")
    expect(page.locator("[data-review-card]").first).to_contain_text("Approved “Documents collected”")
    page.keyboard.press("j")
    page.keyboard.press("r")
    page.keyboard.type("The IEC copy is unreadable")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").first).to_contain_text("Rejected “Documents collected” for Docs 01 LLP")
    expect(page.get_by_text("Nothing is waiting for review")).to_be_visible()

    statuses = StageEvent.objects.filter(stage=stage("storefront_live")).values_list("status", flat=True)
    assert sorted(statuses).count(StageEventStatus.APPROVED) == 30
    assert StageEvent.objects.get(review_note="The storefront link does not open").status == "rejected"
    docs = StageEvent.objects.filter(stage=stage("documents_collected")).order_by("exporter__legal_name")
    assert [(e.status, e.review_note) for e in docs] == [
        ("approved", ""),
        ("rejected", "The IEC copy is unreadable"),
    ]


def test_enter_in_a_rejection_note_rejects_the_claim_and_never_approves_it(page, sign_in, officer, agent_a, startup_a):
    _claims(
        startup_a, agent_a, 2, at="membership_active", evidence={"evidence_url": "https://a.example/"}, prefix="Note"
    )
    sign_in(officer)
    page.goto("/reviews/")
    first = page.locator("[data-review-card]").first
    note = first.get_by_label("Note to the startup")
    note.click()  # into the note with the mouse, as an officer does without the shortcuts
    note.type("The storefront shows another firm's products")
    note.press("Enter")
    expect(page.locator("[data-review-card]").first).to_contain_text("Rejected “Storefront live”")
    rejected = StageEvent.objects.get(exporter__legal_name="Note 00 LLP")
    assert rejected.status == StageEventStatus.REJECTED
    assert rejected.review_note == "The storefront shows another firm's products"
    assert not StageEvent.objects.filter(status=StageEventStatus.APPROVED).exists()

    # Enter in an empty note asks for a reason; nothing is decided.
    second = page.locator("[data-review-card]").nth(1)
    second.get_by_label("Note to the startup").press("Enter")
    expect(page.locator("[data-review-card]").nth(1).locator(".invalid-feedback")).to_contain_text("Say why")
    assert StageEvent.objects.get(exporter__legal_name="Note 01 LLP").status == StageEventStatus.SUBMITTED


def test_an_approval_undone_within_the_window_leaves_stage_commission_and_notices_as_before(
    page, sign_in, officer, agent_a, startup_a
):
    commission_rule("storefront_live", "3000.00")
    _claims(
        startup_a, agent_a, 2, at="membership_active", evidence={"evidence_url": "https://a.example/"}, prefix="Undo"
    )
    event = StageEvent.objects.get(exporter__legal_name="Undo 00 LLP")
    stage_before = event.exporter.current_stage_id
    sign_in(officer)
    page.goto("/reviews/")
    card = page.locator(f"#claim-{event.pk}")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("Approved “Storefront live”")
    assert Commission.objects.filter(exporter=event.exporter).count() == 1
    card.get_by_role("button", name="Undo").click()
    expect(card).to_contain_text("Undone")
    expect(card.get_by_role("button", name="Approve")).to_be_visible()

    event.refresh_from_db()
    event.exporter.refresh_from_db()
    assert event.status == StageEventStatus.SUBMITTED and event.exporter.current_stage_id == stage_before
    assert not Commission.objects.exists()
    # The announcing job, once the window has passed: nothing to tell, nothing sent.
    assert notifications_claims_decided(now=timezone.now() + UNDO_WINDOW + timedelta(seconds=1)) == 0
    assert not Notification.objects.exists() and not OutboxMessage.objects.exists()
