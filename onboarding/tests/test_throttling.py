"""Sign-in lockouts keyed on the real client behind the load balancer, the lockout page, and the
throttled password-reset request."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ..models import ThrottleHit
from ..views.throttling import client_ip
from .conftest import PASSWORD

LOGIN = reverse("login")
RESET = reverse("password_reset")
BALANCER = "10.0.0.5"
CLIENT_X = "198.51.100.7"
CLIENT_Y = "203.0.113.9"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    return settings


def sign_in(client, user, password: str, **meta):
    return client.post(LOGIN, {"username": user.email, "password": password}, **meta)


def fail_until_locked(client, user, settings, **meta) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user, "wrong-guess", **meta)


# --- Whose address is it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "", "198.51.100.7"),
        (0, "198.51.100.7", "1.2.3.4", "198.51.100.7"),  # no proxy: the header is anyone's to write
        (1, BALANCER, "198.51.100.7", "198.51.100.7"),
        (1, BALANCER, "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # a forged hop left of the real one
        (2, BALANCER, "1.2.3.4, 198.51.100.7, 172.16.0.2", "198.51.100.7"),
        (1, BALANCER, "198.51.100.7:50312", "198.51.100.7"),  # some balancers add the port
        (1, BALANCER, "[2001:db8::7]:443", "2001:db8::7"),
        (1, BALANCER, "", BALANCER),  # a request that skipped the balancer
        (2, BALANCER, "198.51.100.7", BALANCER),  # fewer hops than proxies: not trusted
        (1, BALANCER, "not-an-address", BALANCER),
    ],
)
def test_the_client_address_is_the_nth_hop_from_the_right(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


# --- Lockouts -----------------------------------------------------------------------------------


def test_behind_one_proxy_a_stranger_cannot_lock_the_user_out_from_elsewhere(client, axes_on, manager_a):
    axes_on.TRUSTED_PROXY_COUNT = 1
    fail_until_locked(client, manager_a, axes_on, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=CLIENT_X)
    assert sign_in(client, manager_a, PASSWORD, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=CLIENT_X).status_code == 429
    response = sign_in(client, manager_a, PASSWORD, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=CLIENT_Y)
    assert response.status_code == 302 and response["Location"] == reverse("onboarding:home")


def test_behind_one_proxy_a_forged_hop_does_not_escape_the_lockout(client, axes_on, manager_a):
    axes_on.TRUSTED_PROXY_COUNT = 1
    for n in range(axes_on.AXES_FAILURE_LIMIT):
        forged = f"192.0.2.{n}, {CLIENT_X}"
        sign_in(client, manager_a, "wrong-guess", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forged)
    forged = f"{CLIENT_Y}, {CLIENT_X}"
    assert sign_in(client, manager_a, PASSWORD, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forged).status_code == 429


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(client, axes_on, manager_a):
    axes_on.TRUSTED_PROXY_COUNT = 0
    for n in range(axes_on.AXES_FAILURE_LIMIT):
        sign_in(client, manager_a, "wrong-guess", REMOTE_ADDR=CLIENT_X, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = sign_in(client, manager_a, PASSWORD, REMOTE_ADDR=CLIENT_X, HTTP_X_FORWARDED_FOR=CLIENT_Y)
    assert response.status_code == 429
    assert sign_in(client, manager_a, PASSWORD, REMOTE_ADDR=CLIENT_Y).status_code == 302


def test_the_lockout_page_is_styled_with_the_wait_and_the_reset_link(client, axes_on, manager_a):
    fail_until_locked(client, manager_a, axes_on)
    response = sign_in(client, manager_a, PASSWORD)
    assert response.status_code == 429
    assert "registration/lockout.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "bootstrap.min.css" in html and 'class="navbar' in html and "Sign-in paused" in html
    assert "Try again in 1\xa0hour" in html
    assert f'href="{RESET}"' in html


# --- Password reset -----------------------------------------------------------------------------


def ask_reset(client, email: str, ip: str = CLIENT_X):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


def test_password_reset_is_limited_per_email_address(client, settings, manager_a):
    for _ in range(settings.PASSWORD_RESET_LIMIT_PER_EMAIL):
        assert ask_reset(client, manager_a.email).status_code == 302
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_EMAIL
    refused = ask_reset(client, manager_a.email.upper(), ip=CLIENT_Y)
    assert refused.status_code == 429
    assert "Too many password-reset requests" in refused.content.decode()
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_EMAIL


def test_password_reset_is_limited_per_client_address(client, settings, db):
    for n in range(settings.PASSWORD_RESET_LIMIT_PER_IP):
        assert ask_reset(client, f"someone{n}@example.in").status_code == 302
    assert ask_reset(client, "one-more@example.in").status_code == 429
    assert ask_reset(client, "one-more@example.in", ip=CLIENT_Y).status_code == 302


def test_the_reset_page_answers_the_same_whether_or_not_the_address_has_an_account(client, settings, manager_a):
    answers = []
    for email in (manager_a.email, "nobody@alpha.example"):
        asked = [ask_reset(client, email) for _ in range(settings.PASSWORD_RESET_LIMIT_PER_EMAIL + 1)]
        answers.append([(r.status_code, r.get("Location")) for r in asked])
        page = asked[-1].content.decode().replace(email, "EMAIL")
        answers.append(re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", page))
    assert answers[0] == answers[2]
    assert answers[1] == answers[3]
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_EMAIL  # only the real account got mail


def test_reset_requests_are_forgotten_after_an_hour(client, settings, manager_a):
    for _ in range(settings.PASSWORD_RESET_LIMIT_PER_EMAIL):
        ask_reset(client, manager_a.email)
    assert ask_reset(client, manager_a.email).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert ask_reset(client, manager_a.email).status_code == 302
    assert ThrottleHit.objects.count() == 2  # the old hour's rows are gone: this request's email and address


def test_the_throttle_table_holds_no_email_or_address(client, manager_a):
    ask_reset(client, manager_a.email)
    keys = list(ThrottleHit.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert not any(manager_a.email in key or CLIENT_X in key for key in keys)
