"""The audit trail: who acted (simple-history's user) and why (a required reason)."""

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models


def as_actor(instance: models.Model, actor) -> models.Model:
    """Make django-simple-history record `actor` as the author of the next save.

    Web requests get this from HistoryRequestMiddleware; services called from
    commands and tasks have no request, so they say who acted explicitly.
    """
    instance._history_user = actor
    return instance


def require_reason(reason: str, field: str = "reason") -> str:
    """The reason a change is made, which its history row keeps; refused when blank."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: "Say why: it is kept in the exporter's history."})
    return reason


def log_action(*, actor, subject: models.Model, message: str) -> None:
    """A line in the admin log (who, when, what) about `subject`, for acts that change no audited row."""
    LogEntry.objects.create(
        user=actor,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        object_repr=str(subject)[:200],
        action_flag=CHANGE,
        change_message=message,
    )
