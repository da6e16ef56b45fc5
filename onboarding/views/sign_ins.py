"""Django's `user_logged_in` receiver (connected in apps.py): every sign-in, on a page or for
an API token, records the startup user's network through the sign-in service."""

from __future__ import annotations

from ..services.sign_ins import sign_in_record
from .throttling import client_ip


def sign_in_received(sender, request=None, user=None, **kwargs) -> None:
    """Record the sign-in's network: the address axes keys lockouts on, from the same request."""
    if user is None or request is None:
        return
    sign_in_record(user=user, address=client_ip(request) or "")
