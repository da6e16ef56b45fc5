"""Evidence in headless Chromium: startup B uploads a file with its claim, the officer opens it
from the review card, moves the exporter to startup A; A sees none of B's work and B is
told its claim was withdrawn."""

import pytest
from playwright.sync_api import expect

from ..models import Exporter
from .factories import ExporterFactory, MemberFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n% a membership receipt\n"


def test_a_file_claim_is_reviewed_then_withdrawn_by_a_move(
    page, sign_in, sign_out, menu, officer, manager_a, startup_a, startup_b, tmp_path
):
    agent_b = MemberFactory(startup=startup_b, role="agent", user__email="agent@beta.example").user
    knits = assign(ExporterFactory(legal_name="Tiruppur Knits LLP"), startup_b, stage_code="account_created")
    Exporter.objects.filter(pk=knits.pk).update(agent=agent_b)  # an agent's home lists the exporters handed to them
    receipt = tmp_path / "Membership receipt.pdf"
    receipt.write_bytes(PDF)

    sign_in(agent_b)
    page.get_by_role("link", name="Tiruppur Knits LLP").click()
    page.get_by_role("link", name="Submit “Membership active”").click()
    page.get_by_label("Reference or ID").fill("GOLD-2026-118")
    page.get_by_label("Date").fill("2026-11-20")
    page.get_by_label("File").set_input_files(str(receipt))
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert").first).to_contain_text("sent for review")
    sign_out()

    sign_in(officer)
    menu().get_by_role("link", name="Reviews 1").click()
    link = page.get_by_role("link", name="Membership receipt.pdf")
    expect(link).to_be_visible()
    file_url = link.get_attribute("href")
    response = page.request.get(file_url)
    assert response.status == 200 and response.body() == PDF
    assert response.headers["x-content-type-options"] == "nosniff"
    page.get_by_role("link", name="exporter page").click()
    page.get_by_role("link", name="Reassign").click()
    page.get_by_label("Startup").select_option(str(startup_a.pk))
    page.get_by_label("Why move it?").fill("Beta paused its export desk")
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_role("alert").first).to_contain_text("is now with")
    expect(page.get_by_text("“Membership active” withdrawn")).to_be_visible()
    sign_out()

    sign_in(manager_a)
    page.get_by_role("link", name="Tiruppur Knits LLP").click()
    expect(page.get_by_role("heading", name="Tiruppur Knits LLP")).to_be_visible()
    for secret in ("GOLD-2026-118", "Membership receipt.pdf", "Beta paused its export desk", agent_b.email):
        expect(page.get_by_text(secret)).to_have_count(0)
    assert page.request.get(file_url).status == 404
    sign_out()

    sign_in(agent_b)
    expect(page.get_by_text("Your claim “Membership active” for Tiruppur Knits LLP was withdrawn")).to_be_visible()
