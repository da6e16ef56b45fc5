"""API tokens (django-rest-knox): stored as digests, expiring, listed and revoked by their owner at
/account/api/, and all revoked when the password changes, whichever page changes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from ..services.users import api_token_create
from .api_client import API
from .conftest import PASSWORD

PAGE = reverse("onboarding:account-api")
NEW_PASSWORD = "another-long-passphrase-77"


def api_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def opens_the_api(key: str) -> bool:
    status = api_with(key).get(f"{API}/exporters/").status_code
    assert status in (200, 401), status
    return status == 200


# --- Issue, store, expire ----------------------------------------------------------------------


def test_the_token_endpoint_returns_the_key_and_its_expiry(settings, manager_a):
    before = timezone.now()
    response = APIClient().post(f"{API}/auth/token/", {"username": manager_a.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    token = AuthToken.objects.get(user=manager_a)
    assert token.expiry >= before + timedelta(days=settings.API_TOKEN_DAYS)
    assert opens_the_api(body["token"])


def test_the_database_holds_only_a_digest_of_the_key(manager_a):
    _, key = api_token_create(user=manager_a)
    row = AuthToken.objects.filter(user=manager_a).values().get()
    assert row["digest"] == hash_token(key)
    assert not any(key in str(value) for value in row.values())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        assert not any(key in str(value) for found in cursor.fetchall() for value in found)


def test_a_token_stops_working_after_api_token_days(settings, manager_a):
    _, key = api_token_create(user=manager_a)
    assert opens_the_api(key)
    with time_machine.travel(timezone.now() + timedelta(days=settings.API_TOKEN_DAYS - 1)):
        assert opens_the_api(key)
    with time_machine.travel(timezone.now() + timedelta(days=settings.API_TOKEN_DAYS, minutes=1)):
        assert not opens_the_api(key)


def test_a_bad_prefix_or_a_made_up_key_is_refused(manager_a):
    _, key = api_token_create(user=manager_a)
    assert not opens_the_api(key[:-1] + ("0" if key[-1] != "0" else "1"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(f"{API}/exporters/").status_code == 401


def test_a_locked_out_api_sign_in_gets_a_429_saying_how_long_to_wait(settings, manager_a):
    settings.AXES_ENABLED = True
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(f"{API}/auth/token/", {"username": manager_a.email, "password": "guess"})
    response = client.post(f"{API}/auth/token/", {"username": manager_a.email, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "Try again in 1\xa0hour" in response.json()["detail"]
    assert not AuthToken.objects.exists()


# --- The API access page -----------------------------------------------------------------------


def test_the_page_lists_only_the_users_own_tokens_without_their_keys(client_for, manager_a, manager_b):
    own, own_key = api_token_create(user=manager_a)
    other, _ = api_token_create(user=manager_b)
    page = client_for(manager_a).get(PAGE)
    assert page.status_code == 200
    assert list(page.context["tokens"]) == [own]
    html = page.content.decode()
    assert own.token_key[:8] in html and other.token_key[:8] not in html
    assert own_key not in html


def test_the_page_has_an_empty_state_and_a_link_in_the_account_menu(client_for, agent_a):
    html = client_for(agent_a).get(PAGE).content.decode()
    assert "You have no API tokens." in html
    assert f'href="{PAGE}"' in html


def test_the_page_runs_a_constant_number_of_queries(client_for, manager_a, django_assert_max_num_queries):
    client = client_for(manager_a)
    for _ in range(5):
        api_token_create(user=manager_a)
    with django_assert_max_num_queries(8):
        assert client.get(PAGE).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_creating_a_token_shows_the_key_once(client_for, manager_a):
    client = client_for(manager_a)
    response = client.post(reverse("onboarding:account-api-token-create"))
    assert response.status_code == 200
    key = response.context["new_key"]
    html = response.content.decode()
    assert key in html and "shown only this once" in html
    assert "no-store" in response["Cache-Control"]
    assert AuthToken.objects.get(user=manager_a).digest == hash_token(key)
    assert opens_the_api(key)
    assert key not in client.get(PAGE).content.decode()
    assert LogEntry.objects.filter(object_id=str(manager_a.pk), change_message__startswith="Created an API token")


def test_revoking_a_token_refuses_it_at_once_and_keeps_the_others(client_for, manager_a):
    token, key = api_token_create(user=manager_a)
    _, other_key = api_token_create(user=manager_a)
    assert opens_the_api(key)
    response = client_for(manager_a).post(
        reverse("onboarding:account-api-token-revoke", args=[token.digest]), follow=True
    )
    assert "revoked" in response.content.decode()
    assert not opens_the_api(key)
    assert opens_the_api(other_key)


def test_revoke_all_refuses_every_token_of_the_user_only(client_for, manager_a, manager_b):
    keys = [api_token_create(user=manager_a)[1] for _ in range(2)]
    _, b_key = api_token_create(user=manager_b)
    response = client_for(manager_a).post(reverse("onboarding:account-api-revoke-all"), follow=True)
    assert "All your tokens (2) are revoked" in response.content.decode()
    assert not any(opens_the_api(key) for key in keys)
    assert opens_the_api(b_key)


def test_it_checks_ownership(client_for, manager_a, manager_b):
    """Another user's token cannot be revoked through the page: a 404, and it keeps working."""
    token, key = api_token_create(user=manager_a)
    response = client_for(manager_b).post(reverse("onboarding:account-api-token-revoke", args=[token.digest]))
    assert response.status_code == 404
    assert opens_the_api(key)


def test_token_actions_need_a_post(client_for, manager_a):
    token, _ = api_token_create(user=manager_a)
    client = client_for(manager_a)
    assert client.get(reverse("onboarding:account-api-token-revoke", args=[token.digest])).status_code == 405
    assert client.get(reverse("onboarding:account-api-token-create")).status_code == 405
    assert AuthToken.objects.filter(user=manager_a).count() == 1


# --- A new password revokes every token ---------------------------------------------------------


def _change_on_the_password_page(client_for, user):
    return client_for(user).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def _change_through_the_reset_link(client_for, user):
    client = client_for(user)
    client.logout()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    landing = client.get(reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)]))
    return client.post(landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def _change_in_django_admin(client_for, user, admin):
    return client_for(admin).post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


@pytest.mark.parametrize("how", ["password page", "reset link", "django admin"])
def test_a_new_password_revokes_all_the_users_tokens(client_for, manager_a, manager_b, admin_user, how):
    keys = [api_token_create(user=manager_a)[1] for _ in range(2)]
    _, b_key = api_token_create(user=manager_b)
    change = {
        "password page": lambda: _change_on_the_password_page(client_for, manager_a),
        "reset link": lambda: _change_through_the_reset_link(client_for, manager_a),
        "django admin": lambda: _change_in_django_admin(client_for, manager_a, admin_user),
    }[how]
    response = change()
    assert response.status_code == 302, getattr(response, "context", None) and response.context.get("form").errors
    manager_a.refresh_from_db()
    assert manager_a.check_password(NEW_PASSWORD)
    assert not any(opens_the_api(key) for key in keys)
    assert opens_the_api(b_key)
    assert LogEntry.objects.filter(object_id=str(manager_a.pk), change_message__contains="password changed")


def test_saving_a_user_without_a_new_password_keeps_their_tokens(manager_a):
    _, key = api_token_create(user=manager_a)
    manager_a.first_name = "Renamed"
    manager_a.save()
    manager_a.check_password(PASSWORD)  # a hash upgrade on sign-in saves the password, not a new one
    assert opens_the_api(key)
