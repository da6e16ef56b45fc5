"""Real parts: Redis broker, a Celery worker process and an SMTP sink on loopback."""

import pytest
from django.urls import reverse

from ..models import User

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_set_password_email_travels_through_redis_worker_and_smtp(
    client, admin_user, startup_a, celery_worker, mailbox
):
    client.force_login(admin_user)
    response = client.post(
        reverse("onboarding:startup-member-add", args=[startup_a.pk]),
        {"email": "new.manager@alpha.example", "role": "manager"},
    )
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["To"] == "new.manager@alpha.example"
    assert "Alpha" in message["Subject"]
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert "/accounts/reset/" in text
    assert User.objects.get(email="new.manager@alpha.example").startup == startup_a


def test_a_failed_smtp_delivery_is_retried_and_delivered_once(
    client, admin_user, startup_a, celery_worker, mailbox, settings
):
    mailbox.fail_next(1)
    client.force_login(admin_user)
    client.post(
        reverse("onboarding:startup-member-add", args=[startup_a.pk]),
        {"email": "retry.me@alpha.example", "role": "agent"},
    )
    messages = mailbox.wait_for(1, timeout=90)
    assert [m["To"] for m in messages] == ["retry.me@alpha.example"]


def test_healthz_reports_database_and_broker(client, redis_url, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


def test_healthz_says_degraded_when_the_broker_is_down(client, redis_url):
    from portal.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"] is False and response.json()["database"] is True
