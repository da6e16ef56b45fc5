"""Request ids: each request's id (the client's X-Request-ID when well formed, else a new one)
is on its response, in every log line written for it, and in the headers of each task it
queues, so the worker's lines for the task carry the same id."""

from __future__ import annotations

import json
import logging

import pytest
from celery import shared_task
from celery.signals import before_task_publish
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from pythonjsonlogger.json import JsonFormatter

from portal.celery import app as celery_app

from .. import request_ids
from ..request_ids import RequestIdFilter, RequestIdMiddleware, current_request_id

logger = logging.getLogger("onboarding.tests.request_ids")


@shared_task(name="onboarding.tests.test_request_ids.logging_task")
def logging_task() -> str | None:
    logger.warning("the task ran")
    return current_request_id()


@pytest.fixture
def logs(caplog):
    """The log records written (`logs.records`), each with the request id the console handler's
    filter adds."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_a_well_formed_request_id_from_the_client_is_echoed(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-4f2a-0001")
    assert response["X-Request-ID"] == "lb-4f2a-0001"


@pytest.mark.parametrize("sent", [None, "", "x" * 65, "bad id", "evil\r\nSet-Cookie: a=b", "<script>", "ab_cd"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(client, db, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = client.get("/healthz", **headers)
    made = response["X-Request-ID"]
    assert made != sent and len(made) == 32 and int(made, 16) >= 0


def test_every_response_carries_its_own_id(client, db):
    ids = {client.get("/healthz")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_log_line_written_during_the_request_carries_its_id(logs):
    def view(request):
        logger.info("working on it")
        return HttpResponse("ok")

    RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-77"))

    [record] = [r for r in logs.records if r.getMessage() == "working on it"]
    assert record.request_id == "req-77"
    assert current_request_id() is None  # nothing left behind for the thread's next request


def test_djangos_own_line_about_a_404_carries_the_requests_id(client, db, logs):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    [record] = [r for r in logs.records if r.name == "django.request"]
    assert record.request_id == "req-404"


def test_a_line_outside_any_request_says_so(logs):
    logger.info("at start-up")
    assert logs.records[-1].request_id == "-"


def test_json_log_lines_carry_the_request_id(logs):
    options = {k: v for k, v in django_settings.LOGGING["formatters"]["json"].items() if k != "()"}
    RequestIdMiddleware(lambda request: (logger.info("in json"), HttpResponse())[1])(
        RequestFactory().get("/", HTTP_X_REQUEST_ID="req-json")
    )
    line = json.loads(JsonFormatter(**options).format(logs.records[-1]))
    assert (line["message"], line["request_id"], line["level"]) == ("in json", "req-json", "INFO")


# --- Into the tasks ----------------------------------------------------------------------------


def test_the_publish_side_puts_the_current_id_in_the_task_headers():
    headers = {"id": "task-1", "task": "x"}
    request_ids.id_into_task_headers(headers=headers)  # outside a request: nothing to carry
    assert "request_id" not in headers
    RequestIdMiddleware(lambda request: (request_ids.id_into_task_headers(headers=headers), HttpResponse())[1])(
        RequestFactory().get("/", HTTP_X_REQUEST_ID="req-pub")
    )
    assert headers["request_id"] == "req-pub"


def test_a_task_published_during_a_request_carries_the_header_and_the_worker_logs_with_it(db, logs):
    sent = []

    def capture(headers=None, **kwargs):
        sent.append(dict(headers))

    before_task_publish.connect(capture, weak=False)
    # Published for real, to kombu's in-memory broker: the test command's Redis is shared with a
    # real worker, which does not know this test's task.
    celery_app.conf.task_always_eager = False
    try:
        with celery_app.connection_for_write("memory://") as connection:
            publish = lambda request: (logging_task.apply_async(producer=connection.Producer()), HttpResponse())[1]  # noqa: E731
            RequestIdMiddleware(publish)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-task-9"))
            connection.default_channel.queue_purge("celery")
    finally:
        celery_app.conf.task_always_eager = True
        before_task_publish.disconnect(capture)
    assert sent[-1]["request_id"] == "req-task-9"

    # The worker side: the task run with the headers it was published with (as a worker does,
    # outside any request) logs with the same id, and leaves none behind.
    result = logging_task.apply(headers=sent[-1])

    assert result.get() == "req-task-9"
    [record] = [r for r in logs.records if r.getMessage() == "the task ran"]
    assert record.request_id == "req-task-9"
    assert current_request_id() is None


def test_a_task_run_eagerly_inside_a_request_keeps_the_requests_id_and_gives_it_back(logs):
    seen = []

    def view(request):
        seen.append(logging_task.delay().get())
        seen.append(current_request_id())
        return HttpResponse()

    RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-eager"))
    assert seen == ["req-eager", "req-eager"]


def test_a_task_from_beat_gets_an_id_of_its_own_for_its_run(logs):
    first, second = logging_task.apply().get(), logging_task.apply().get()
    assert first and second and first != second
    assert current_request_id() is None


def test_a_malformed_id_in_the_task_headers_is_not_trusted(logs):
    assert logging_task.apply(headers={"request_id": "bad id\n"}).get() != "bad id\n"
