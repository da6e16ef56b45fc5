"""People's own settings: email preferences, API tokens (created, revoked, and all revoked
when the password changes) and two-factor sign-in (an authenticator app plus single-use
recovery codes, on django-otp's devices)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from ..models import SecondStepWait, User
from ..models.outbox import MessageKind
from .notifications import notify_invitation_accepted
from .outbox import NewMessage, outbox_post
from .throttling import throttle_key


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
def user_set_preferences(
    *, actor: User, user: User, weekly_digest: bool, notification_emails: bool | None = None
) -> User:
    """Switch a user's weekly digest (and notification emails) on or off; logged in the admin log entry table."""
    wanted = {"weekly_digest": weekly_digest}
    if notification_emails is not None:
        wanted["notification_emails"] = notification_emails
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    for name, value in wanted.items():
        setattr(user, name, value)
    user.save(update_fields=list(wanted))
    if changed:
        _log(actor=actor, user=user, message=json.dumps([{"changed": {"fields": changed}}]))
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Save the language a user reads the portal and its emails in; logged like any other setting."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": "Choose English or हिन्दी."}, code="invalid")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        _log(actor=user, user=user, message=json.dumps([{"changed": {"fields": ["language"]}}]))
    return user


# --- API tokens (django-rest-knox: the key is shown once, only its SHA-512 digest is kept) ---


TWO_FACTOR_FIRST = (
    "Set up two-factor sign-in first: your account must use it, so it gets no API token on a password alone. "
    "Sign in on the website to set it up, then ask again with a code."
)


@transaction.atomic
def api_token_create(*, user: User) -> tuple[AuthToken, str]:
    """Issue `user` a new API token lasting API_TOKEN_DAYS; returns the row and the key, which
    exists nowhere else: show it once. Logged in the admin log entry table.

    Refused while the account must use two-factor sign-in and has not set it up (a token is a
    sign-in, so it needs what a session needs), and at API_TOKENS_PER_USER live tokens."""
    if user.must_use_two_factor and not user.two_factor_enabled:
        raise ValidationError(TWO_FACTOR_FIRST)
    # The user's row lock serialises two requests racing for the last place under the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    live = AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
    if live >= settings.API_TOKENS_PER_USER:
        # Refused rather than revoking the oldest: a password in the wrong hands must not be able
        # to switch off the owner's integrations one new token at a time, and the owner decides
        # which token goes (at /account/api/).
        raise ValidationError(
            f"You have {live} API tokens, the most one person may have. "
            "Revoke one you no longer use at /account/api/ (API access), then ask again."
        )
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
    """A user's password changed: their API tokens are revoked, as their other sessions are; a
    first password chosen from a team invitation tells the startup's managers (once)."""
    notify_invitation_accepted(user=user)
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


# --- Two-factor sign-in ---------------------------------------------------------------

RECOVERY_CODES = 10


@dataclass
class TwoFactorOn:
    device: TOTPDevice
    recovery_codes: list[str]


def user_pending_authenticator(user: User) -> TOTPDevice | None:
    """The authenticator secret `user` is setting up and has not yet confirmed, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def user_two_factor_start(*, user: User) -> TOTPDevice:
    """Begin set-up: a new, unconfirmed authenticator secret for `user`, replacing an earlier unconfirmed one."""
    if user.two_factor_enabled:
        raise ValidationError("Two-factor sign-in is already on.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def user_two_factor_confirm(*, user: User, code: str) -> TwoFactorOn:
    """Turn two-factor sign-in on once the app's first code matches: the device is confirmed and
    `RECOVERY_CODES` recovery codes are made (returned, to be shown once); logged."""
    device = user_pending_authenticator(user)
    if device is None:
        raise ValidationError({"code": "Start the set-up again: there is no authenticator waiting for a code."})
    _check(user=user, device=device, code=code)
    return _turn_on(user=user, device=device)


@transaction.atomic
def _turn_on(*, user: User, device: TOTPDevice) -> TwoFactorOn:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(user)
    user.two_factor_enabled = True
    user.save(update_fields=["two_factor_enabled"])
    _log(actor=user, user=user, message="Turned two-factor sign-in on.")
    # Tokens issued before the second factor were issued on the password alone.
    api_tokens_revoke_all(actor=user, user=user, reason=" when two-factor sign-in was turned on")
    return TwoFactorOn(device=device, recovery_codes=codes)


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def user_recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace `user`'s recovery codes with `RECOVERY_CODES` new ones (returned, to be shown once); logged."""
    if not user.two_factor_enabled:
        raise ValidationError("Turn two-factor sign-in on first.")
    codes = _new_recovery_codes(user)
    _log(actor=user, user=user, message="Made new two-factor recovery codes.")
    return codes


@transaction.atomic
def user_two_factor_disable(*, actor: User, user: User) -> User:
    """Turn `user`'s two-factor sign-in off, deleting their authenticator and recovery codes: by
    themselves (not programme admins, who must keep it) or, as a reset, by an admin; logged."""
    if actor.pk == user.pk and user.must_use_two_factor:
        raise PermissionDenied("Programme admins must keep two-factor sign-in on.")
    if actor.pk != user.pk and not actor.is_programme_admin:
        raise PermissionDenied("Only a programme admin can reset someone else's two-factor sign-in.")
    if not user.two_factor_enabled and not TOTPDevice.objects.filter(user=user).exists():
        return user
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.two_factor_enabled = False
    user.save(update_fields=["two_factor_enabled"])
    message = "Turned two-factor sign-in off." if actor.pk == user.pk else "Reset two-factor sign-in."
    _log(actor=actor, user=user, message=message)
    # A reset often follows a lost phone or a suspected takeover: the tokens go with the old factor.
    reason = " when two-factor sign-in was turned off" if actor.pk == user.pk else " when two-factor sign-in was reset"
    api_tokens_revoke_all(actor=actor, user=user, reason=reason)
    return user


def user_two_factor_verify(*, user: User, code: str, address: str | None = None) -> Device:
    """Check a sign-in code from client `address`: six digits go to the authenticator, anything
    else is tried as a recovery code (used up on success). Returns the device that accepted it.
    A wrong code makes that address wait (see `SecondStepWait`); TWO_FACTOR_ALERT_AFTER wrong
    codes in a row email the owner through the outbox.

    Not one transaction on purpose: a wrong code (and the wait it earns) is recorded in its own,
    which a refusal raised here must not roll back."""
    model = TOTPDevice if code.isascii() and code.isdigit() else StaticDevice  # "²" is no app code
    device = model.objects.filter(user=user, confirmed=True).first()
    if device is None:
        what = "an authenticator app" if model is TOTPDevice else "recovery codes"
        raise ValidationError({"code": f"Your account has no {what} for two-factor sign-in."})
    _check(user=user, device=device, code=code, address=address)
    return device


def _check(*, user: User, device: TOTPDevice | StaticDevice, code: str, address: str | None = None) -> None:
    key = throttle_key("two-factor", address or "")
    now = timezone.now()
    wait = SecondStepWait.objects.filter(user=user, key=key).first()
    cap = timedelta(minutes=settings.TWO_FACTOR_MAX_WAIT_MINUTES)
    if wait is not None and (until := wait.until(cap)) > now:
        seconds = max(1, int((until - now).total_seconds()) + 1)
        raise ValidationError({"code": _wait_message(wait.failures, seconds)})
    if verify_token(user, device.persistent_id, code) is None:
        _wrong_code(user=user, device=device, key=key, now=now)
        if isinstance(device, StaticDevice):
            raise ValidationError({"code": "That recovery code is not right, or it was used already."})
        raise ValidationError({"code": "That code is not right. Type the newest code your app shows."})
    # Only this address is let off: a right code here says nothing about the other addresses.
    SecondStepWait.objects.filter(user=user, key=key).delete()


def _wait_message(failures: int, seconds: int) -> str:
    """Why a code is not checked yet, in words: after one wrong code it is a short pause, not
    "too many" (the person may have typed one digit wrong)."""
    wait = f"wait {seconds} second{'s' if seconds != 1 else ''}"
    if failures <= 1:
        return f"The last code was not right. To keep your account safe, {wait} before typing the next one."
    return f"{failures} wrong codes in a row: {wait} before typing the next one."


@transaction.atomic
def _wrong_code(*, user: User, device: TOTPDevice | StaticDevice, key: str, now) -> None:
    """Record a wrong code from one address (its wait doubles) and, on the TWO_FACTOR_ALERT_AFTER-th
    wrong code in a row for the device (django-otp counts them, a right code resets the count),
    email the owner: once per run, however long the run goes on."""
    wait, _created = SecondStepWait.objects.select_for_update().get_or_create(
        user=user, key=key, defaults={"last_failure_at": now}
    )
    SecondStepWait.objects.filter(pk=wait.pk).update(failures=F("failures") + 1, last_failure_at=now)
    in_a_row = type(device).objects.filter(pk=device.pk).values_list("throttling_failure_count", flat=True).first()
    if in_a_row == settings.TWO_FACTOR_ALERT_AFTER:
        outbox_post(
            [
                NewMessage(
                    kind=MessageKind.TWO_FACTOR_FAILURES,
                    recipient_id=user.pk,
                    period_key=f"2fa-{now.timestamp():.0f}",
                    retry_until=now + timedelta(days=1),
                )
            ],
            lease=now,
        )
        _log(actor=None, user=user, message=f"{in_a_row} wrong two-factor codes in a row: the owner was emailed.")
