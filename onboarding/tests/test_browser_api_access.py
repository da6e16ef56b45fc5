"""The API access page in headless Chromium at 390 px: create a token, see it once, revoke it."""

import pytest
from knox.crypto import hash_token
from knox.models import AuthToken
from playwright.sync_api import expect

from .layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_creates_a_token_sees_it_once_and_revokes_it(page, sign_in, manager_a):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(manager_a)
    page.locator(".navbar .dropdown-toggle").click()  # the account menu, in the top bar
    page.get_by_role("link", name="API access").click()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_role("alert")).to_contain_text("shown only this once")
    key = page.get_by_label("Copy it now").input_value()
    assert AuthToken.objects.get(user=manager_a).digest == hash_token(key)
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    assert_no_sideways_scroll(page)

    page.goto("/account/api/")
    expect(page.get_by_label("Copy it now")).to_have_count(0)
    page.get_by_role("button", name=f"Revoke token {key[:8]}").click()
    expect(page.get_by_role("alert")).to_contain_text("revoked")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    assert not AuthToken.objects.exists()
