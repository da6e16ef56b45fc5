"""Dead ends that are not: styled 403, 404 and 500 pages with a way back, and the
invitation's set-password page that says the person is signed in."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.defaults import server_error

NEW_PASSWORD = "a-Long-new-pass-2026"


def test_another_startups_exporter_is_a_styled_404_with_a_way_back(client_for, manager_a, exporter_b):
    response = client_for(manager_a).get(reverse("onboarding:exporter-detail", args=[exporter_b.pk]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and 'class="card error-page"' in html
    assert f'href="{reverse("onboarding:home")}"' in html and 'id="nav"' in html
    assert exporter_b.legal_name not in html


def test_a_staff_page_is_a_styled_403_for_a_startup_user(client_for, agent_a):
    response = client_for(agent_a).get(reverse("onboarding:review-queue"))
    assert response.status_code == 403
    assert "Not for your account" in response.content.decode()


def test_an_unknown_address_is_a_styled_404_for_a_visitor(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_the_500_page_needs_no_database_and_no_context():
    # No db fixture: any query here raises, so the page must render without one.
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and 'href="/"' in html


def test_setting_the_invitations_password_signs_in_and_says_so(client, manager_a):
    uid = urlsafe_base64_encode(force_bytes(manager_a.pk))
    landing = client.get(reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(manager_a)]))
    response = client.post(
        landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert "You are signed in as" in html and manager_a.email in html
    assert "Continue to the portal" in html and ">Sign in</a>" not in html
    assert client.get(reverse("onboarding:home")).status_code == 200
