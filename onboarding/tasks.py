"""Celery tasks: thin, take primary keys, call a service or an email function.

Services import this module to queue work; a task imports its service inside its body,
so the two never import each other at load time. Every task is a `PortalTask`, which
owns how work is queued: after the transaction commits, and without letting a down
broker break the caller (a web request or a sweep must still succeed when Redis is
away). Work queued this way must be recoverable from the database (e.g. an OutboxMessage row
left pending), because a failed publish is logged and dropped, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.db import transaction
from django.utils import timezone, translation
from kombu.exceptions import KombuError, OperationalError

from .forms.kept_uploads import kept_uploads_sweep
from .models import ImportBatch, User

logger = logging.getLogger(__name__)

# What publishing raises when the broker cannot be reached: kombu wraps connection
# errors in OperationalError; a socket error may also escape from the transport.
BROKER_ERRORS = (OperationalError, KombuError, ConnectionError, OSError, TimeoutError)
# The database went away (a restart, a dropped connection): worth another try.
DATABASE_ERRORS = (DatabaseOperationalError, DatabaseInterfaceError)
# One quick retry: enough to replace a pooled connection that died with a restarted
# Redis, short enough that a down broker costs the caller well under a second.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class PortalTask(Task):
    """A task that is queued after commit and tolerates a down broker."""

    def publish(self, arg_lists: Iterable[Sequence], *, countdown: float | None = None) -> list[tuple]:
        """Publish the task for each args now (to run after `countdown` seconds); return
        those that reached the broker.

        Stops at the first broker error: the rest would fail the same way, each after its
        own connection timeout.
        """
        published = []
        for args in arg_lists:
            try:
                self.apply_async(args=tuple(args), countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY)
            except BROKER_ERRORS as error:
                logger.warning("Broker unavailable, %s not queued (%s): %s", self.name, args, error)
                break
            published.append(tuple(args))
        return published

    def queue_on_commit(
        self,
        arg_lists: Iterable[Sequence],
        *,
        on_published: Callable[[list[tuple], list[tuple]], None] | None = None,
    ) -> None:
        """After commit, publish the task for each args; `on_published(published, refused)`
        then runs with those that reached the broker and those that did not. A down broker
        is logged, never raised."""
        arg_lists = [tuple(args) for args in arg_lists]
        if not arg_lists:
            return

        def publish() -> None:
            published = self.publish(arg_lists)
            if on_published is not None:
                on_published(published, arg_lists[len(published) :])

        transaction.on_commit(publish)


def uploader_language(batch: ImportBatch) -> str | None:
    """An import's messages and row errors are stored as words: they are written in the language
    of the person who uploaded the file, as the request that checks a small file writes them."""
    return batch.uploaded_by.reads if batch.uploaded_by else None


@shared_task(base=PortalTask, acks_late=True)
def import_validate_task(batch_id: int) -> None:
    """Check a large import file in the background; the page polls the batch's progress."""
    from .services.imports import import_batch_validate

    batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
    if batch is not None:
        with translation.override(uploader_language(batch)):
            import_batch_validate(batch=batch)


@shared_task(base=PortalTask, acks_late=True)
def recover_imports_task() -> int:
    """Every minute from beat: queue the checks the broker refused (cheap when there are none)."""
    from .services.imports import imports_recover

    return imports_recover()


@shared_task(base=PortalTask, acks_late=True)
def import_commit_task(batch_id: int, actor_id: int | None) -> None:
    """Write a large import in the background (safe to run twice: the batch is claimed first)."""
    from .services.imports import import_batch_commit

    batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
    if batch is not None:
        with translation.override(uploader_language(batch)):
            import_batch_commit(actor=User.objects.filter(pk=actor_id).first(), batch=batch)


def database_patience(covering: float) -> tuple[float, ...]:
    """Pauses between attempts at a statement while the database is away: short at first
    (a dropped connection), then 5 s each, adding up to at least `covering` seconds."""
    pauses = [0.1, 0.25, 0.5, 1, 2, 3]
    while sum(pauses) < covering:
        pauses.append(5)
    return tuple(pauses)


# The outbox records a send's outcome however long the database is away, up to beyond the
# claim timeout: while it is away nobody can take the row over, and once it is back this
# worker (trying every 5 s) writes the outcome long before the recovery (every minute)
# could claim the row again and send a second copy.
DATABASE_PATIENCE = database_patience(settings.OUTBOX_CLAIM_TIMEOUT + 15)
# The soft limit interrupts a hung mail server well inside the claim (the row is then
# retried, or marked unconfirmed if the body had gone out); the hard limit, which ends the
# process, leaves room for the database patience after it.
SEND_LIMITS = {
    "soft_time_limit": settings.OUTBOX_CLAIM_TIMEOUT * 0.5,
    "time_limit": settings.OUTBOX_CLAIM_TIMEOUT * 0.5 + sum(DATABASE_PATIENCE) + 5,
}


SEND_OPTIONS = {
    "base": PortalTask,
    "acks_late": True,
    # The outbox retries mail errors itself, on its own schedule; this only covers a
    # database that stayed away while the task tried to claim its row.
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 10,
    **SEND_LIMITS,
}


def _send_outbox_message(outbox_message_id: int) -> str:
    """Send one outbox row (any kind of email); a duplicate or redelivered task finds it
    claimed, or not yet due, and does nothing."""
    from .services.outbox import outbox_send

    return outbox_send(outbox_message_id=outbox_message_id)


send_outbox_message_task = shared_task(name=f"{__name__}.send_outbox_message_task", **SEND_OPTIONS)(
    _send_outbox_message
)
# The same task under its name before the outbox had its own word (`send_reminder_task`):
# sends queued by the previous release, still in Redis at the deploy, run on the new workers.
send_reminder_task = shared_task(name=f"{__name__}.send_reminder_task", **SEND_OPTIONS)(_send_outbox_message)


@shared_task(base=PortalTask, acks_late=True)
def recover_outbox_task() -> dict:
    """Every minute from beat: re-queue outbox rows no task will pick up (cheap when there are none)."""
    from .services.outbox import outbox_recover

    result = outbox_recover(now=timezone.now())
    return {"requeued": result.requeued, "expired": result.expired}


@shared_task(base=PortalTask, acks_late=True)
def sweep_reminders_task(kinds: list[str] | None = None) -> dict:
    """The beat's entry point: create what is owed now and queue the sends (idempotent)."""
    from .services.reminders import reminders_sweep

    result = reminders_sweep(now=timezone.now(), kinds=tuple(kinds) if kinds else None)
    return {"created": len(result.created), "existing": result.existing, "requeued": result.requeued}


@shared_task(base=PortalTask, acks_late=True, autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=3)
def outcomes_refresh_task() -> dict:
    """Every 10 minutes from beat: bring the analytics figures up to date (safe to run twice)."""
    from .services.outcomes import outcomes_refresh

    marker = outcomes_refresh()
    return {"journeys": marker.journeys, "seconds": marker.seconds}


@shared_task(base=PortalTask, acks_late=True, autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=3)
def monthly_report_build_task(month: str | None = None, version: int = 1, actor_id: int | None = None) -> int:
    """Build one version of a month's pack (without a month: last month's first, from beat).
    Idempotent per (month, version): a repeat finds the stored report."""
    from .services.monthly_reports import monthly_report_build, monthly_report_scheduled

    if month is None:
        return monthly_report_scheduled(today=timezone.localdate()).pk
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return monthly_report_build(month=date.fromisoformat(month), version=version, actor=actor).pk


@shared_task(base=PortalTask, acks_late=True)
def send_exporter_digests_task() -> dict:
    """Daily from beat: one message to each exporter with news (their status link, open
    questions); idempotent, at most one a day per exporter."""
    from .services.exporter_link import exporter_digests_plan

    return {"planned": exporter_digests_plan(now=timezone.now())}


@shared_task(base=PortalTask, acks_late=True)
def refresh_summary_task(changed_at: str | None = None) -> str:
    """Recount the programme summary: after a change (skipped when a recount that began
    later is stored already) and every minute from beat."""
    from .services.summary import summary_refresh

    since = datetime.fromisoformat(changed_at) if changed_at else None
    return summary_refresh(unless_since=since).as_of.isoformat()


@shared_task(base=PortalTask, acks_late=True)
def notify_evidence_waiting_task() -> int:
    """From beat: tell officers (once a day) about evidence waiting beyond a day; safe to run again."""
    from .services.notifications import notifications_evidence_waiting

    return notifications_evidence_waiting(now=timezone.now())


@shared_task(base=PortalTask, acks_late=True, autoretry_for=DATABASE_ERRORS, retry_backoff=5, max_retries=3)
def announce_decisions_task() -> int:
    """Every minute from beat: tell startups of the officers' decisions that can no longer be
    undone; safe to run twice (each decision is marked told in the transaction that tells it)."""
    from .services.notifications import notifications_claims_decided

    return notifications_claims_decided(now=timezone.now())


@shared_task(base=PortalTask, acks_late=True)
def kept_uploads_sweep_task() -> int:
    """Delete the uploads forms kept across an error and nobody sent again (forms/kept_uploads.py)."""
    return kept_uploads_sweep()
