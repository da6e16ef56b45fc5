"""Two-factor sign-in: required for programme admins, offered to everyone else, Django admin
behind it, the API's token path untouched."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect
from rest_framework.test import APIClient

from ..models.users import StaffRole
from .api_client import API, api_for
from .conftest import PASSWORD, PortalClient
from .factories import UserFactory
from .layout import assert_no_sideways_scroll

TWO_FACTOR = reverse("onboarding:two-factor")
VERIFY = reverse("onboarding:two-factor-verify")


def password_only(user) -> PortalClient:
    """A client signed in with the password, the second step not yet taken."""
    client = PortalClient()
    client.force_login(user, verified=False)
    return client


def code_for(device: TOTPDevice) -> str:
    """What the person's app shows now."""
    return f"{totp(device.bin_key):06d}"


@pytest.fixture
def new_admin(db):
    return UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)


@pytest.fixture
def later():
    """Half a minute and more after the personas set up their app: the app shows a new code
    (a code is never accepted twice)."""
    with time_machine.travel(timezone.now() + timedelta(seconds=65), tick=False) as traveller:
        yield traveller


def enrol(client, user) -> list[str]:
    client.post(reverse("onboarding:two-factor-start"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("onboarding:two-factor-confirm"), {"code": code_for(device)})
    return response.context["codes"]


# --- Required for admins ---------------------------------------------------------------------


def test_admin_without_a_device_is_sent_to_set_one_up_before_any_page(new_admin):
    client = password_only(new_admin)
    for path in ("/", "/exporters/", "/startups/new/", "/admin/", "/admin/onboarding/exporter/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{TWO_FACTOR}?next="), path
    page = client.get(TWO_FACTOR)
    assert page.status_code == 200
    assert "Programme admins sign in with a second factor" in next(str(m) for m in page.context["messages"])


def test_admin_sets_up_an_app_with_a_qr_code_and_a_first_code_and_sees_ten_recovery_codes_once(new_admin):
    client = password_only(new_admin)
    client.post(reverse("onboarding:two-factor-start"), {"next": "/exporters/"})
    device = TOTPDevice.objects.get(user=new_admin, confirmed=False)
    page = client.get(f"{TWO_FACTOR}?next=/exporters/").content.decode()
    assert "<svg" in page and device.config_url.split("secret=")[1][:4] in page.replace(" ", "")
    assert "<script>" not in page and "<script " not in page.replace('<script src="', "")
    wrong = client.post(reverse("onboarding:two-factor-confirm"), {"code": "123"})
    assert "six digits" in str(wrong.context["form"].errors["code"])
    response = client.post(reverse("onboarding:two-factor-confirm"), {"code": code_for(device), "next": "/exporters/"})
    codes = response.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert 'href="/exporters/"' in response.content.decode()
    assert response["Cache-Control"].count("no-store") == 1
    new_admin.refresh_from_db()
    assert new_admin.two_factor_enabled
    assert client.get("/exporters/").status_code == 200
    # Shown once: the status page counts them, never lists them.
    status = client.get(TWO_FACTOR).content.decode()
    assert "10 recovery codes left" in status and codes[0] not in status


def test_a_wrong_first_code_does_not_turn_two_factor_on(new_admin):
    client = password_only(new_admin)
    client.post(reverse("onboarding:two-factor-start"))
    device = TOTPDevice.objects.get(user=new_admin)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("onboarding:two-factor-confirm"), {"code": wrong})
    assert "not right" in str(response.context["form"].errors["code"])
    new_admin.refresh_from_db()
    assert not new_admin.two_factor_enabled and not StaticDevice.objects.filter(user=new_admin).exists()
    assert client.get("/").status_code == 302


def test_admin_with_a_device_must_enter_a_code_after_the_password(admin_user):
    client = password_only(admin_user)
    for path in ("/", "/exporters/", "/admin/", "/account/two-factor/", "/account/preferences/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{VERIFY}?next="), path
    assert client.get(VERIFY).status_code == 200


def test_a_wrong_code_is_refused_and_earns_a_short_wait_said_as_such(admin_user, later):
    client = password_only(admin_user)
    device = TOTPDevice.objects.get(user=admin_user)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "not right" in str(response.context["form"].errors["code"])
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Straight after a wrong code even the right one waits (the wait of this client address).
    throttled = client.post(VERIFY, {"code": right})
    # One wrong code is a short pause, said as such: not "too many".
    message = str(throttled.context["form"].errors["code"])
    assert "The last code was not right" in message and "Too many" not in message
    assert re.search(r"wait \d+ seconds? before typing the next one", message)
    assert client.get("/").status_code == 302
    later.shift(2)
    assert client.post(VERIFY, {"code": right})["Location"] == "/"


def test_a_right_code_lets_the_admin_in_to_the_page_they_asked_for(admin_user, later):
    client = password_only(admin_user)
    response = client.post(VERIFY, {"code": code_for(TOTPDevice.objects.get(user=admin_user)), "next": "/exporters/"})
    assert response.status_code == 302 and response["Location"] == "/exporters/"
    assert client.get("/exporters/").status_code == 200
    assert client.get("/admin/onboarding/exporter/").status_code == 200


def test_the_same_code_does_not_sign_in_twice(admin_user, later):
    code = code_for(TOTPDevice.objects.get(user=admin_user))
    assert password_only(admin_user).post(VERIFY, {"code": code}).status_code == 302
    replay = password_only(admin_user).post(VERIFY, {"code": code})
    assert replay.status_code == 200 and "code" in replay.context["form"].errors


def test_a_recovery_code_works_once(admin_user):
    code = StaticToken.objects.filter(device__user=admin_user).first().token
    first = password_only(admin_user)
    response = first.post(VERIFY, {"code": code.upper()}, follow=True)
    assert response.redirect_chain[0][0] == "/"
    assert "9 left" in next(str(m) for m in response.context["messages"])
    again = password_only(admin_user).post(VERIFY, {"code": code})
    assert "used already" in str(again.context["form"].errors["code"])
    assert StaticToken.objects.filter(device__user=admin_user).count() == 9


def test_verification_ignores_a_next_page_on_another_site(admin_user, later):
    code = code_for(TOTPDevice.objects.get(user=admin_user))
    response = password_only(admin_user).post(VERIFY, {"code": code, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_verifying_starts_a_new_session_key(admin_user, later):
    client = password_only(admin_user)
    before = client.session.session_key
    client.post(VERIFY, {"code": code_for(TOTPDevice.objects.get(user=admin_user))})
    assert client.session.session_key != before


def test_admin_cannot_turn_two_factor_off(admin_user, client_for):
    response = client_for(admin_user).post(reverse("onboarding:two-factor-disable"), follow=True)
    assert "must keep two-factor sign-in on" in next(str(m) for m in response.context["messages"])
    admin_user.refresh_from_db()
    assert admin_user.two_factor_enabled and TOTPDevice.objects.filter(user=admin_user).exists()


def test_making_new_recovery_codes_retires_the_old_ones(admin_user, client_for):
    old = set(StaticToken.objects.filter(device__user=admin_user).values_list("token", flat=True))
    response = client_for(admin_user).post(reverse("onboarding:two-factor-codes"))
    new = set(response.context["codes"])
    assert len(new) == 10 and not old & new
    assert set(StaticToken.objects.filter(device__user=admin_user).values_list("token", flat=True)) == new


# --- Django admin ----------------------------------------------------------------------------


def test_django_admin_needs_a_verified_session_from_every_staff_member(officer, admin_user):
    # An officer may use the portal without two-factor sign-in, but not Django admin.
    officer_client = password_only(officer)
    assert officer_client.get("/").status_code == 200
    response = officer_client.get("/admin/onboarding/exporter/")
    assert response["Location"].startswith(f"{TWO_FACTOR}?next=")
    assert password_only(admin_user).get("/admin/")["Location"].startswith(f"{VERIFY}?next=")


# --- Offered to everyone else ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "manager_a"])
def test_others_may_turn_it_on_then_owe_a_code_then_turn_it_off(request, persona):
    user = request.getfixturevalue(persona)
    client = password_only(user)
    page = client.get("/").content.decode()
    assert f'href="{TWO_FACTOR}"' in page  # the account menu's link
    codes = enrol(client, user)
    assert len(codes) == 10 and client.get("/").status_code == 200
    # A new sign-in now asks for a code; a recovery code will do.
    next_time = password_only(user)
    assert next_time.get("/")["Location"].startswith(f"{VERIFY}?next=")
    assert next_time.post(VERIFY, {"code": codes[0]}).status_code == 302
    response = next_time.post(reverse("onboarding:two-factor-disable"), follow=True)
    assert any("is off" in str(m) for m in response.context["messages"])
    user.refresh_from_db()
    assert not user.two_factor_enabled
    assert not TOTPDevice.objects.filter(user=user).exists() and not StaticDevice.objects.filter(user=user).exists()
    assert password_only(user).get("/").status_code == 200


def test_nobody_turns_two_factor_off_with_only_the_password(officer):
    enrol(password_only(officer), officer)
    response = password_only(officer).post(reverse("onboarding:two-factor-disable"))
    assert response["Location"].startswith(VERIFY)
    officer.refresh_from_db()
    assert officer.two_factor_enabled


def test_a_user_without_two_factor_is_not_asked_for_a_code(officer):
    client = password_only(officer)
    assert client.get(VERIFY)["Location"] == "/"
    assert client.get(TWO_FACTOR).status_code == 200


# --- The API ---------------------------------------------------------------------------------


def test_api_calls_with_a_token_are_not_asked_for_a_code(new_admin, admin_user, exporter_a):
    for user in (new_admin, admin_user):
        response = api_for(user).get(f"{API}/exporters/")
        assert response.status_code == 200, user
        assert response.json()["count"] == 1


def test_a_half_signed_in_session_is_not_signed_in_for_the_api(admin_user, new_admin, exporter_a):
    for user in (admin_user, new_admin):
        assert password_only(user).get(f"{API}/exporters/").status_code in (401, 403)
    verified = PortalClient()
    verified.force_login(admin_user)
    assert verified.get(f"{API}/exporters/").status_code == 200


# --- In the browser, on a phone ---------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_admin_sets_up_two_factor_on_a_phone_and_reaches_the_dashboard(page, sign_in):
    admin = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True, email="new-admin@programme.example")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(admin)
    expect(page.get_by_role("alert")).to_contain_text("set up an authenticator app")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    assert_no_sideways_scroll(page)
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme dashboard")


def test_the_api_token_endpoint_asks_an_account_with_two_factor_for_its_code(admin_user, later):
    device = TOTPDevice.objects.get(user=admin_user)
    url = "/api/v1/auth/token/"
    body = {"username": admin_user.email, "password": PASSWORD}
    api = APIClient()
    refused = api.post(url, body, format="json")
    assert refused.status_code == 400 and "code" in refused.json()
    wrong = api.post(url, {**body, "code": "000000"}, format="json")
    assert wrong.status_code == 400 and "not right" in wrong.json()["errors"]["code"][0]
    later.shift(5)  # past the wait a wrong code earns
    issued = api.post(url, {**body, "code": code_for(device)}, format="json")
    assert issued.status_code == 200 and issued.json()["token"]


def test_the_api_token_endpoint_needs_no_code_without_two_factor(officer):
    response = APIClient().post("/api/v1/auth/token/", {"username": officer.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("code", ["²²²²²²", "١٢٣٤٥٦", "9" * 64])
def test_a_code_of_other_digits_is_refused_not_a_500(admin_user, later, code):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": admin_user.email, "password": PASSWORD, "code": code}, format="json"
    )
    assert response.status_code == 400 and "code" in response.json()
    page = password_only(admin_user).post(VERIFY, {"code": code})
    assert page.status_code == 200 and not page.wsgi_request.user.is_verified()
