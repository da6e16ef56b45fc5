"""Celery tasks: thin, take primary keys, call a service or an email function."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings

from . import emails
from .models import User

# Network trouble with the mail server is worth retrying; a template bug is not.
TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=settings.EMAIL_RETRY_BACKOFF,
    retry_backoff_max=600,
    max_retries=5,
    acks_late=True,
)
def send_set_password_email_task(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or user.has_usable_password():
        return  # already set one: nothing to send
    emails.send_set_password(user)


@shared_task(acks_late=True)
def import_validate_task(batch_id: int) -> None:
    """Check a large import file in the background; the page polls the batch's progress."""
    from .models import ImportBatch
    from .services.imports import import_batch_validate

    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is not None:
        import_batch_validate(batch=batch)


@shared_task(acks_late=True)
def import_commit_task(batch_id: int, actor_id: int | None) -> None:
    """Write a large import in the background (safe to run twice: the batch is claimed first)."""
    from .models import ImportBatch
    from .services.imports import import_batch_commit

    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is not None:
        import_batch_commit(actor=User.objects.filter(pk=actor_id).first(), batch=batch)


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=settings.EMAIL_RETRY_BACKOFF,
    retry_backoff_max=600,
    max_retries=5,
    acks_late=True,
)
def send_reminder_task(self, reminder_id: int) -> str:
    """Send one Reminder row; a duplicate or redelivered task finds it claimed and does nothing."""
    from .services.reminders import reminder_send

    return reminder_send(reminder_id=reminder_id, final_attempt=self.request.retries >= self.max_retries)


@shared_task(acks_late=True)
def sweep_reminders_task(kinds: list[str] | None = None) -> dict:
    """The beat's entry point: create what is owed now and queue the sends (idempotent)."""
    from django.utils import timezone

    from .services.reminders import reminders_sweep

    result = reminders_sweep(now=timezone.now(), kinds=tuple(kinds) if kinds else None)
    return {"created": len(result.created), "existing": result.existing, "requeued": result.requeued}
