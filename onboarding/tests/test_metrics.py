"""The Prometheus page, /metrics: who may read it (a token or an allowed address; anyone else,
a signed-in admin included, gets a 404), and what it says: request latency by view, query
times, task outcomes, queue depth and the outbox's backlog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import shared_task
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from portal.celery import app as celery_app

from .. import metrics
from ..models import OutboxMessage
from ..models.outbox import MessageKind, MessageStatus
from ..tasks import recover_outbox_task

TOKEN = "s3cret-scraper-token-0123456789"
OUTSIDE = "203.0.113.7"  # an address on the internet, outside the default loopback-only list


@shared_task(name="onboarding.tests.test_metrics.failing_task")
def failing_task() -> None:
    raise RuntimeError("the task went wrong on purpose")


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    """The page read with the token from outside, as {(sample name, sorted labels): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", REMOTE_ADDR=OUTSIDE, **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(page: dict, name: str, **labels) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


# --- Who may read it -------------------------------------------------------------------------


def test_a_signed_in_admin_without_the_token_from_outside_the_allowed_networks_gets_404(
    client_for, admin_user, metrics_token
):
    response = client_for(admin_user).get("/metrics", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 404
    assert b"portal_outbox" not in response.content


def test_a_startup_manager_and_an_anonymous_visitor_from_outside_get_404(client, client_for, manager_b, metrics_token):
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 404
    assert client_for(manager_b).get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Token {TOKEN}", TOKEN, "Bearer ", ""],
)
def test_a_wrong_or_malformed_token_gets_404(client, metrics_token, authorization):
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization, REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 404


def test_with_no_token_configured_an_empty_bearer_opens_nothing(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", REMOTE_ADDR=OUTSIDE).status_code == 404


def test_a_forged_forwarded_for_does_not_make_an_outsider_local(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    forged = client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1", REMOTE_ADDR=OUTSIDE)
    assert forged.status_code == 404
    # Behind one proxy the client is the proxy's entry; what the client wrote left of it is ignored.
    settings.TRUSTED_PROXY_COUNT = 1
    behind = client.get("/metrics", HTTP_X_FORWARDED_FOR=f"127.0.0.1, {OUTSIDE}", REMOTE_ADDR="127.0.0.1")
    assert behind.status_code == 404


def test_the_scraper_on_the_machine_itself_needs_no_token(client, db):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert b"portal_outbox_messages" in response.content


def test_an_address_in_an_allowed_network_reads_the_page(client, db, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_the_page_is_never_cached(client, db, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", REMOTE_ADDR=OUTSIDE)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


# --- What it says ----------------------------------------------------------------------------


def test_the_page_has_the_latency_of_each_view_and_the_time_of_the_queries(client, db, metrics_token):
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    page = scrape(client)
    name = "django_http_requests_latency_seconds_by_view_method_count"
    assert value(page, name, view="healthz", method="GET") == value(before, name, view="healthz", method="GET") + 2
    assert queries(page) > queries(before)


def queries(page: dict) -> float:
    """Queries counted on the default database, whichever it is."""
    return sum(v for (name, labels), v in page.items() if name == "django_db_query_duration_seconds_count")


def test_the_outbox_gauges_count_pending_and_failed_messages_and_the_oldest_pending_age(
    client, db, manager_a, metrics_token
):
    now = timezone.now()

    def row(key, **fields):
        return OutboxMessage.objects.create(
            kind=MessageKind.STALLED_DIGEST, recipient=manager_a, period_key=key, **fields
        )

    oldest = row("a", next_attempt_at=now - timedelta(minutes=4))
    OutboxMessage.objects.filter(pk=oldest.pk).update(created_at=now - timedelta(minutes=10))
    row("b", next_attempt_at=now + timedelta(minutes=5))  # waiting for its retry
    row("c", status=MessageStatus.SENDING)
    row("d", status=MessageStatus.FAILED)
    row("e", status=MessageStatus.FAILED)
    row("f", status=MessageStatus.SENT)
    row("g", status=MessageStatus.REJECTED)

    page = scrape(client)

    assert value(page, "portal_outbox_messages", status="pending") == 2
    assert value(page, "portal_outbox_messages", status="sending") == 1
    assert value(page, "portal_outbox_messages", status="failed") == 2
    assert value(page, "portal_outbox_messages", status="rejected") == 1
    assert value(page, "portal_outbox_messages", status="unconfirmed") == 0
    assert 600 <= value(page, "portal_outbox_oldest_pending_age_seconds") < 660
    assert 240 <= value(page, "portal_outbox_oldest_due_wait_seconds") < 300


def test_an_empty_outbox_reports_zeros(client, db, metrics_token):
    page = scrape(client)
    assert value(page, "portal_outbox_messages", status="pending") == 0
    assert value(page, "portal_outbox_oldest_pending_age_seconds") == 0
    assert value(page, "portal_outbox_oldest_due_wait_seconds") == 0


def test_a_scrape_costs_two_queries_however_long_the_outbox(
    client, db, manager_a, metrics_token, django_assert_num_queries
):
    with django_assert_num_queries(2):
        scrape(client)
    for key in range(30):
        OutboxMessage.objects.create(kind=MessageKind.STALLED_DIGEST, recipient=manager_a, period_key=f"k{key}")
    with django_assert_num_queries(2):
        scrape(client)


def test_the_task_counters_count_a_task_run_eagerly_by_its_outcome(client, db, metrics_token):
    name = recover_outbox_task.name
    before = scrape(client)

    recover_outbox_task.delay()  # the tests run tasks eagerly, in this process
    failing_task.apply(throw=False)

    page = scrape(client)
    tasks = "portal_celery_tasks_total"
    assert value(page, tasks, task=name, state="SUCCESS") == value(before, tasks, task=name, state="SUCCESS") + 1
    failed = value(page, tasks, task=failing_task.name, state="FAILURE")
    assert failed == value(before, tasks, task=failing_task.name, state="FAILURE") + 1
    runs = "portal_celery_task_duration_seconds_count"
    assert value(page, runs, task=name) == value(before, runs, task=name) + 1


def test_the_queue_depth_counts_the_tasks_waiting_on_the_broker(client, db, metrics_token, monkeypatch):
    # kombu's in-memory broker, private to this process: the test command's Redis is shared with
    # a real worker, which would take the task (and the count) away.
    in_memory = celery_app.connection_for_read
    monkeypatch.setattr(metrics.app, "connection_for_read", lambda: in_memory("memory://"))
    before = value(scrape(client), "portal_celery_queue_length", queue="celery")
    celery_app.conf.task_always_eager = False
    try:
        with celery_app.connection_for_write("memory://") as connection:
            failing_task.apply_async(producer=connection.Producer())
            page = scrape(client)
            connection.default_channel.queue_purge("celery")
    finally:
        celery_app.conf.task_always_eager = True
    assert value(page, "portal_celery_broker_reachable") == 1
    assert value(page, "portal_celery_queue_length", queue="celery") == before + 1


def test_a_broker_that_does_not_answer_leaves_the_rest_of_the_page(client, db, metrics_token, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionRefusedError("no broker here")

    monkeypatch.setattr(metrics.app, "connection_for_read", refused)
    page = scrape(client)
    assert value(page, "portal_celery_broker_reachable") == 0
    assert ("portal_outbox_messages", (("status", "pending"),)) in page
    assert not any(name == "portal_celery_queue_length" for name, _ in page)


def test_with_several_processes_the_page_adds_up_their_files_and_still_reads_the_outbox(db, monkeypatch, tmp_path):
    """PROMETHEUS_MULTIPROC_DIR: the counted figures come from the processes' files (none here),
    the scrape-time ones are read as always."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body, content_type = metrics.metrics_page()
    assert content_type.startswith("text/plain")
    assert b'portal_outbox_messages{status="pending"} 0.0' in body
    assert b"python_gc_objects_collected_total" not in body  # this process's own registry is not read
