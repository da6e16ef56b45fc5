"""Waits earned by wrong two-factor codes, per account and client address."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models


class SecondStepWait(models.Model):
    """Wrong codes in a row for one account from one client address (`key`: a keyed digest of the
    address, never the address itself). Each doubles the wait before that address may try again,
    up to a cap; a right code from the address deletes its row.

    Per address rather than per account (django-otp's own throttle, switched off in settings):
    someone holding the password elsewhere then earns waits for their own address only, and
    cannot keep the owner's second step locked by probing after each unlock."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_second_step_wait_per_address")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.failures} wrong code(s), last at {self.last_failure_at:%Y-%m-%d %H:%M}"

    def until(self, cap: timedelta) -> datetime:
        """When the address may try again: 1, 2, 4… seconds after the last wrong code, at most `cap`."""
        wait = timedelta(seconds=2 ** min(self.failures - 1, 30)) if self.failures else timedelta(0)
        return self.last_failure_at + min(wait, cap)
