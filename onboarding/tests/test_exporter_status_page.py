"""The exporter's status page by signed link: what it shows, what it refuses, how light it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from ..models import ConfirmationRequest, LinkUse
from ..models.activities import ActivityKind
from ..models.exporter_link import TOKEN_SALT
from ..services.exporter_link import exporter_link_get, exporter_link_rotate
from ..services.progress import activity_log
from .factories import ExporterFactory, reached_if_contact

pytestmark = pytest.mark.django_db


def status_url(exporter) -> str:
    return reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter).token()])


def log(exporter, user, kind=ActivityKind.VISIT, days_ago=1):
    return activity_log(
        actor=user,
        exporter=exporter,
        kind=kind,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        note="n",
        outcome=reached_if_contact(kind),
    )


def test_the_page_shows_the_exporters_own_stage_startup_and_helpline(client, exporter_a, startup_a):
    response = client.get(status_url(exporter_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert str(exporter_a) in body
    assert startup_a.contact_mobile in body and f'href="tel:{startup_a.contact_mobile}"' in body
    assert "Get a startup to help you" in body and "Next step" in body
    assert "GST certificate" in body  # documents are not collected yet
    assert response["Referrer-Policy"] == "same-origin"


def test_the_page_shows_no_other_exporter_no_amount_and_no_staff_notes(client, exporter_a, exporter_b, agent_a):
    log(exporter_a, agent_a).__class__.objects.filter(exporter=exporter_a).update(note="STAFF-ONLY-NOTE")
    body = client.get(status_url(exporter_a)).content.decode()
    assert str(exporter_b) not in body
    assert "STAFF-ONLY-NOTE" not in body
    assert "₹" not in body and "commission" not in body.lower()


def test_the_page_renders_in_twelve_queries_or_fewer(client, exporter_a, agent_a, django_assert_max_num_queries):
    for days in range(1, 6):
        log(exporter_a, agent_a, days_ago=days)
    url = status_url(exporter_a)
    # The link (with its exporter), the stages, the stages reached, the open questions, the
    # documents received, a contact change waiting for the exporter's yes; the throttle (a
    # savepoint around its delete, count and insert) and the day's use counted (an update, and
    # on the day's first use an insert).
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert len(response.context["questions"]) == 5


def test_the_page_with_its_stylesheet_weighs_under_100_kb(client, exporter_a, agent_a):
    for days in range(1, 11):
        log(exporter_a, agent_a, days_ago=days)
    body = client.get(status_url(exporter_a)).content
    stylesheet = finders.find("css/exporter-status.css")
    with open(stylesheet, "rb") as css:
        size = len(body) + len(css.read())
    assert size < 100_000
    assert b"<script" not in body and b"chart" not in body.lower()


def test_hindi_is_offered_and_remembered_in_a_cookie_for_this_page_only(client, exporter_a):
    url = status_url(exporter_a)
    response = client.get(url + "?lang=hi")
    assert "आपकी निर्यात ऑनबोर्डिंग" in response.content.decode()
    assert response.cookies["exporter_lang"]["path"] == "/e/"
    assert "आपकी निर्यात ऑनबोर्डिंग" in client.get(url).content.decode()
    assert "Your export onboarding" in client.get(url + "?lang=en").content.decode()


def test_every_use_of_the_link_is_logged_with_the_network_only(client, exporter_a):
    client.get(status_url(exporter_a), REMOTE_ADDR="203.0.113.77")
    use = LinkUse.objects.get(exporter=exporter_a)
    assert use.network == "203.0.113.0/24" and use.action == "opened the page"


def test_an_expired_link_shows_the_plain_page_and_no_data(client, exporter_a, settings):
    settings.EXPORTER_LINK_DAYS = 90
    url = status_url(exporter_a)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        response = client.get(url)
    assert response.status_code == 404
    assert "This link is no longer valid" in response.content.decode()
    assert str(exporter_a) not in response.content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=89)):
        assert client.get(url).status_code == 200


def test_a_rotated_key_revokes_every_earlier_link(client, exporter_a, officer):
    old = status_url(exporter_a)
    exporter_link_rotate(actor=officer, exporter=exporter_a)
    new = status_url(exporter_a)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "x" + token,
        lambda token: "junk",
        lambda token: "a" * 400,
    ],
)
def test_a_tampered_token_opens_nothing(client, exporter_a, mangle):
    token = exporter_link_get(exporter=exporter_a).token()
    response = client.get(reverse("onboarding:exporter-status", args=[mangle(token)]))
    assert response.status_code == 404 and str(exporter_a) not in response.content.decode()


def test_a_token_signed_for_the_exporter_id_instead_of_its_key_opens_nothing(client, exporter_a):
    for guess in (exporter_a.pk, str(exporter_a.pk), exporter_a.gstin):
        token = signing.dumps(guess, salt=TOKEN_SALT)
        assert client.get(reverse("onboarding:exporter-status", args=[token])).status_code == 404


def test_the_token_never_holds_the_exporter_id_or_gstin(exporter_a):
    token = exporter_link_get(exporter=exporter_a).token()
    payload = signing.b64_decode(token.split(":")[0].encode()).decode()
    assert exporter_a.gstin not in payload and payload.strip('"') == exporter_a.link.key


def test_the_token_opens_no_other_page(client, exporter_a):
    token = exporter_link_get(exporter=exporter_a).token()
    for url in (
        reverse("onboarding:exporter-detail", args=[exporter_a.pk]) + f"?token={token}",
        f"/exporters/?token={token}",
        f"/api/v1/exporters/{exporter_a.pk}/",
        "/",
    ):
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code in (302, 401, 403), url
    assert client.get(reverse("onboarding:exporter-status", args=[token]) + "anything/").status_code == 404


def test_an_admin_half_signed_in_still_sees_the_status_page(client, admin_user, exporter_a):
    client.force_login(admin_user)  # the second factor not yet given
    assert client.get(status_url(exporter_a)).status_code == 200


def test_a_pool_exporter_is_told_nobody_helps_yet_and_cannot_raise_a_flag(client):
    exporter = ExporterFactory()
    body = client.get(status_url(exporter)).content.decode()
    assert "No startup is helping you yet" in body and "no_contact" not in body


def test_a_startup_users_own_confirmation_is_listed_with_the_question_in_words(client, exporter_a, agent_a):
    agent_a.first_name, agent_a.last_name = "Priya", "Shah"
    agent_a.save()
    log(exporter_a, agent_a, kind=ActivityKind.VISIT)
    log(exporter_a, agent_a, kind=ActivityKind.PHOTOGRAPHY)  # not asked about
    assert ConfirmationRequest.objects.filter(exporter=exporter_a).count() == 1
    body = client.get(status_url(exporter_a)).content.decode()
    assert f"Did Priya Shah of {exporter_a.startup} visit you on" in body


def test_a_startup_b_exporter_link_never_shows_startup_a_or_its_work(client, exporter_a, exporter_b, agent_a):
    log(exporter_a, agent_a)
    exporter_a.startup.__class__.objects.filter(pk=exporter_a.startup_id).update(brand_name="Zeta Unique")
    body = client.get(status_url(exporter_b)).content.decode()
    assert "Zeta Unique" not in body and "visit you" not in body


# --- Throttled, and counted once a day ------------------------------------------------------


def test_twenty_reads_in_a_day_leave_one_timeline_entry_with_their_count(client_for, client, exporter_a, officer):
    url = status_url(exporter_a)
    with time_machine.travel(timezone.now().replace(hour=9, minute=5), tick=False):
        for _ in range(20):
            assert client.get(url, REMOTE_ADDR="203.0.113.77").status_code == 200
    use = LinkUse.objects.get(exporter=exporter_a)
    assert use.count == 20 and use.first_at <= use.at
    page = client_for(officer).get(reverse("onboarding:exporter-detail", args=[exporter_a.pk]) + "?timeline=all")
    assert page.content.decode().count("Status link used: opened the page") == 1
    assert "20 times since" in page.content.decode()


def test_a_new_day_starts_a_new_entry(client, exporter_a):
    url = status_url(exporter_a)
    client.get(url)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        client.get(url)
    assert LinkUse.objects.filter(exporter=exporter_a).count() == 2


def test_the_link_past_its_limit_gets_a_friendly_429_in_the_pages_language(client, exporter_a, settings):
    """The adversary: anyone holding the link (or guessing tokens) hammering the page."""
    settings.EXPORTER_LINK_LIMIT_PER_LINK = 5
    url = status_url(exporter_a)
    for _ in range(5):
        assert client.get(url).status_code == 200
    refused = client.get(url + "?lang=hi")
    assert refused.status_code == 429
    assert "कृपया कुछ मिनट रुकें" in refused.content.decode()
    assert client.post(url, {"action": "no_contact", "comment": "x"}).status_code == 429  # answers too
    assert not ConfirmationRequest.objects.exists()
    assert LinkUse.objects.get(exporter=exporter_a).count == 5


def test_one_address_past_its_limit_is_refused_on_every_link_and_bad_tokens_count(client, exporter_a, settings):
    settings.EXPORTER_LINK_LIMIT_PER_IP = 3
    for _ in range(3):
        client.get(reverse("onboarding:exporter-status", args=["not-a-token"]), REMOTE_ADDR="198.51.100.9")
    assert client.get(status_url(exporter_a), REMOTE_ADDR="198.51.100.9").status_code == 429
    assert client.get(status_url(exporter_a), REMOTE_ADDR="198.51.100.10").status_code == 200


def test_the_limits_reset_after_ten_minutes(client, exporter_a, settings):
    settings.EXPORTER_LINK_LIMIT_PER_LINK = 2
    url = status_url(exporter_a)
    client.get(url), client.get(url)
    assert client.get(url).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert client.get(url).status_code == 200
