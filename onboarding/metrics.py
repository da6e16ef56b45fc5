"""Prometheus metrics of the portal's own work (docs/operations.md#metrics): Celery task
outcomes and run times, and, read when Prometheus scrapes, the depth of the task queues and
the email outbox's backlog. django-prometheus measures the requests and the database queries;
`metrics_page` puts everything on one page.

Counters and histograms live in the process that counts (a gunicorn or Celery worker). With
PROMETHEUS_MULTIPROC_DIR set, prometheus_client writes them to files in that directory and
the page adds up every process's files; the scrape-time figures are read once per scrape.
"""

from __future__ import annotations

import logging
import os
import time

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from portal.celery import app

from .models import OutboxMessage
from .models.outbox import OPEN_STATUSES, UNDELIVERED_STATUSES

logger = logging.getLogger(__name__)

TASKS = Counter(
    "portal_celery_tasks_total",
    "Celery task runs by task and outcome (SUCCESS, FAILURE, RETRY, ...).",
    ["task", "state"],
)
TASK_SECONDS = Histogram(
    "portal_celery_task_duration_seconds",
    "Celery task run time in seconds, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, float("inf")),
)
# The outbox statuses worth watching: the open ones (still to go out) and the undelivered ones.
# Sent and skipped rows only grow and say nothing about trouble, so they are not counted.
OUTBOX_STATUSES = (*OPEN_STATUSES, *UNDELIVERED_STATUSES)

_started: dict[str, float] = {}


# --- Celery task outcomes (signals connected in apps.py) -----------------------------------


def task_run_started(sender=None, task_id=None, **kwargs) -> None:
    """task_prerun: note when the run began."""
    _started[task_id] = time.perf_counter()


def task_run_finished(sender=None, task_id=None, task=None, state=None, **kwargs) -> None:
    """task_postrun: count the run by its outcome and time it. The postrun signal carries the
    outcome (success, failure, retry…), so one receiver counts each run exactly once."""
    name = getattr(task, "name", None) or str(sender)
    TASKS.labels(task=name, state=state or "UNKNOWN").inc()
    began = _started.pop(task_id, None)
    if began is not None:
        TASK_SECONDS.labels(task=name).observe(time.perf_counter() - began)


# --- Read at scrape time ---------------------------------------------------------------------


class OutboxCollector:
    """The outbox's backlog, in two queries: messages by status, and the oldest open one."""

    def collect(self):
        try:
            by_status = dict(
                OutboxMessage.objects.filter(status__in=OUTBOX_STATUSES)
                .order_by()
                .values_list("status")
                .annotate(n=Count("pk"))
            )
            oldest = OutboxMessage.objects.filter(status__in=OPEN_STATUSES).aggregate(
                created=Min("created_at"), due=Min("next_attempt_at")
            )
        except DatabaseError as error:
            logger.warning("Outbox metrics skipped, the database did not answer: %s", error)
            return
        messages = GaugeMetricFamily(
            "portal_outbox_messages",
            "Outbox emails by status: pending and sending (still to go out), failed, rejected "
            "and unconfirmed (not delivered, kept until staff act).",
            labels=["status"],
        )
        for status in OUTBOX_STATUSES:
            messages.add_metric([str(status)], by_status.get(status, 0))
        yield messages
        now = timezone.now()
        yield GaugeMetricFamily(
            "portal_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest email still to go out (pending or sending) was written; 0 when none.",
            value=(now - oldest["created"]).total_seconds() if oldest["created"] else 0,
        )
        yield GaugeMetricFamily(
            "portal_outbox_oldest_due_wait_seconds",
            "Seconds the email longest due (its next attempt's time passed) has waited to go out; 0 when none.",
            value=max((now - oldest["due"]).total_seconds(), 0) if oldest["due"] else 0,
        )


def queue_names() -> list[str]:
    """The queues the workers read: the default one, and any configured besides."""
    names = [app.conf.task_default_queue]
    names += [getattr(queue, "name", str(queue)) for queue in (app.conf.task_queues or ())]
    return list(dict.fromkeys(names))


class QueueCollector:
    """Tasks waiting in each Celery queue, counted by the broker's transport: LLEN of the
    queue's lists on Redis, the queue's message files on the filesystem broker. A broker that
    does not answer within two seconds reports reachable 0 and no depth."""

    def collect(self):
        reachable = GaugeMetricFamily(
            "portal_celery_broker_reachable", "1 when the Celery broker answered this scrape, else 0."
        )
        depth = GaugeMetricFamily(
            "portal_celery_queue_length",
            "Tasks waiting in the Celery queue, not yet taken by a worker.",
            labels=["queue"],
        )
        try:
            with app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
                channel = connection.default_channel
                # kombu's own count for its virtual transports (Redis, filesystem): the public
                # queue_declare(passive=True) refuses an empty Redis queue, which has no key.
                for name in queue_names():
                    depth.add_metric([name], channel._size(name))
        except Exception as error:  # any transport's failure: the page must still render
            logger.warning("Queue depth metrics skipped, the broker did not answer: %s", error)
            reachable.add_metric([], 0)
            yield reachable
            return
        reachable.add_metric([], 1)
        yield reachable
        yield depth


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def metrics_page() -> tuple[bytes, str]:
    """The page Prometheus reads, and its content type: the counters and histograms of this
    process (or of every process on this machine, in multiprocess mode), then the figures read
    from the database and the broker now."""
    if multiprocess_dir():
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    read_now = CollectorRegistry()
    read_now.register(OutboxCollector())
    read_now.register(QueueCollector())
    return generate_latest(counted) + generate_latest(read_now), CONTENT_TYPE_LATEST
