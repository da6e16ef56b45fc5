"""Registering a startup in headless Chromium on a phone-sized screen, after fixing a bad DPIIT number."""

import pytest
from playwright.sync_api import expect

from ..models import Startup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_registers_a_startup_after_fixing_a_bad_dpiit_number(page, sign_in, admin_user):
    sign_in(admin_user)
    page.goto("/startups/new/")
    page.get_by_label("Legal name").fill("Udaan Exports Private Limited")
    page.get_by_label("Brand name").fill("Udaan")
    page.get_by_label("DPIIT recognition number").fill("DPIIT-77")
    page.get_by_label("State or union territory*", exact=True).select_option(label="Gujarat")
    page.get_by_label("City*", exact=True).fill("Surat")
    page.get_by_label("Contact name").fill("Kavya Mehta")
    page.get_by_label("Contact email").fill("kavya@udaan.example.in")
    page.get_by_label("Contact mobile").fill("98250 12345")
    page.get_by_label("Gujarati").check()
    page.get_by_role("button", name="Register").click()

    expect(page.locator("#error_1_id_dpiit_number")).to_contain_text("DIPP")
    expect(page.get_by_label("Legal name")).to_have_value("Udaan Exports Private Limited")
    assert not Startup.objects.exists()

    page.get_by_label("DPIIT recognition number").fill("DIPP 8292")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("Udaan is registered")
    expect(page.get_by_role("heading", level=1)).to_have_text("Udaan")
    startup = Startup.objects.get()
    assert (startup.dpiit_number, startup.contact_mobile, startup.languages) == ("DIPP8292", "+919825012345", ["gu"])
