"""Throttled actions (password-reset requests): one row per request, counted over a window."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Count


class ThrottleHitQuerySet(models.QuerySet):
    def counts_since(self, keys: list[str], since: datetime) -> dict[str, int]:
        """How many hits each of `keys` has had since `since` (keys without any are absent)."""
        rows = self.filter(key__in=keys, created_at__gte=since).order_by().values("key").annotate(n=Count("pk"))
        return {row["key"]: row["n"] for row in rows}


class ThrottleHit(models.Model):
    """One throttled request. The key is a keyed digest of what is limited (an email address, a
    client address), so the table never lists who asked; rows older than the window are deleted.
    Kept in the database rather than a per-process cache so every web process counts the same hits."""

    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    objects = ThrottleHitQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["key", "created_at"], name="throttlehit_key_time"),
            models.Index(fields=["created_at"], name="throttlehit_time"),
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]}… at {self.created_at:%Y-%m-%d %H:%M}"
