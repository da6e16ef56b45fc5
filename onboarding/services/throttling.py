"""Throttled actions: count requests per key over a window in the database, refuse past a limit."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ..models import ThrottleHit

RESET_WINDOW = timedelta(hours=1)
EXPORTER_LINK_WINDOW = timedelta(minutes=10)


def throttle_key(kind: str, value: str) -> str:
    """A keyed digest of what is limited: the table never holds an email or an address."""
    return salted_hmac("onboarding.throttle", f"{kind}:{value}", algorithm="sha256").hexdigest()


@transaction.atomic
def throttle_hit(*, limits: dict[str, int], window: timedelta) -> bool:
    """Record one request against every key in `limits` ({key: most hits per window}) unless one
    is already at its limit; True when the request may go ahead. Deletes hits older than the window."""
    now = timezone.now()
    ThrottleHit.objects.filter(created_at__lt=now - window).delete()
    counts = ThrottleHit.objects.counts_since(list(limits), now - window)
    if any(counts.get(key, 0) >= limit for key, limit in limits.items()):
        return False
    ThrottleHit.objects.bulk_create([ThrottleHit(key=key, created_at=now) for key in limits])
    return True


def password_reset_allowed(*, email: str, client_ip: str | None) -> bool:
    """Count a password-reset request for `email` from `client_ip`; False past
    PASSWORD_RESET_LIMIT_PER_EMAIL or PASSWORD_RESET_LIMIT_PER_IP requests in the last hour.
    The email counts whether or not an account uses it, so the answer reveals nothing."""
    limits = {throttle_key("reset-email", email.strip().lower()): settings.PASSWORD_RESET_LIMIT_PER_EMAIL}
    if client_ip:
        limits[throttle_key("reset-ip", client_ip)] = settings.PASSWORD_RESET_LIMIT_PER_IP
    return throttle_hit(limits=limits, window=RESET_WINDOW)


def exporter_link_allowed(*, link_id: int | None, client_ip: str | None) -> bool:
    """Count a request to an exporter's status link; False past EXPORTER_LINK_LIMIT_PER_LINK
    requests to this link, or EXPORTER_LINK_LIMIT_PER_IP from this address to any link (a bad
    token counts too), in the last 10 minutes."""
    limits = {}
    if link_id is not None:
        limits[throttle_key("exporter-link", str(link_id))] = settings.EXPORTER_LINK_LIMIT_PER_LINK
    if client_ip:
        limits[throttle_key("exporter-link-ip", client_ip)] = settings.EXPORTER_LINK_LIMIT_PER_IP
    return not limits or throttle_hit(limits=limits, window=EXPORTER_LINK_WINDOW)
