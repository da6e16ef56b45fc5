"""People's own settings: email preferences and API tokens (created, revoked, and all revoked
when the password changes)."""

from __future__ import annotations

import json

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from ..models import User


def _log(*, actor: User | None, user: User, message: str) -> None:
    """A line in the admin log entry table about `user`, by `actor` (the user themself when None)."""
    LogEntry.objects.create(
        user=actor or user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        action_flag=CHANGE,
        change_message=message,
    )


@transaction.atomic
def user_set_preferences(*, actor: User, user: User, weekly_digest: bool) -> User:
    """Switch a user's weekly digest on or off; records the change in the admin log entry table."""
    before = user.weekly_digest
    user.weekly_digest = weekly_digest
    user.save(update_fields=["weekly_digest"])
    if before != weekly_digest:
        _log(actor=actor, user=user, message=json.dumps([{"changed": {"fields": ["weekly_digest"]}}]))
    return user


# --- API tokens (django-rest-knox: the key is shown once, only its SHA-512 digest is kept) ---


@transaction.atomic
def api_token_create(*, user: User) -> tuple[AuthToken, str]:
    """Issue `user` a new API token lasting API_TOKEN_DAYS; returns the row and the key, which
    exists nowhere else: show it once. Logged in the admin log entry table."""
    token, key = AuthToken.objects.create(user=user)
    _log(
        actor=user,
        user=user,
        message=f"Created an API token ({key[:8]}…), valid until {timezone.localtime(token.expiry):%Y-%m-%d}.",
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token: AuthToken) -> None:
    """Delete one API token: requests sending it are refused at once. Logged."""
    _log(actor=actor, user=token.user, message=f"Revoked an API token ({token.token_key[:8]}…).")
    token.delete()


@transaction.atomic
def api_tokens_revoke_all(*, actor: User | None, user: User, reason: str = "") -> int:
    """Delete every API token of `user`; returns how many there were. Logged when there were any."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    if count:
        _log(actor=actor, user=user, message=f"Revoked {count} API token{'s' if count > 1 else ''}{reason}.")
    return count


def user_password_changed(*, user: User) -> int:
    """A user's password changed: their API tokens are revoked, as their other sessions are."""
    return api_tokens_revoke_all(actor=None, user=user, reason=" when the password changed")


class ApiTokensRevokedOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS, but it refuses no password: Django calls each validator's
    `password_changed()` whenever a user is saved after `set_password()`. That is the one path the
    password change page, the reset link, Django admin's set-password form and
    `manage.py changepassword` all share, so the tokens go in every case without overriding
    `User.save` (models must not call services) or a signal Django does not have."""

    def validate(self, password: str, user: User | None = None) -> None:
        return None

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is not None and user.pk is not None:
            user_password_changed(user=user)

    def get_help_text(self) -> str:
        return "Changing your password also revokes your API tokens."
