"""Sign-ins of startup users, kept with their network: the fraud signals compare the
networks exporters answer from with those the startup's people sign in from."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import SignIn, User
from .exporter_link import network_of


@transaction.atomic
def sign_in_record(*, user: User, address: str, at: datetime | None = None) -> SignIn | None:
    """Write one SignIn row for a startup user's sign-in (nothing for staff, a user with no
    startup, or an unreadable address): the row is itself the record."""
    network = network_of(address)
    if not network or user.is_programme_staff:
        return None
    membership = user.active_membership
    if membership is None:
        return None
    return SignIn.objects.create(user=user, startup_id=membership.startup_id, at=at or timezone.now(), network=network)
