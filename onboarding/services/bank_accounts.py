"""A startup's bank details: set by one admin, confirmed by another before money goes there."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import BankAccount, Startup, User
from ..validators import clean_bank_account_number, clean_gstin, clean_ifsc, clean_pan
from .audit import as_actor
from .payouts import CONFLICT, payouts_reckon_again

FIELDS = ("holder_name", "account_number", "ifsc", "pan", "gstin")


def _require_admin(actor: User) -> None:
    if not actor.is_programme_admin:
        raise PermissionDenied(_("Only programme admins change or confirm bank details."))


def _checked(*, holder_name: str, account_number: str, ifsc: str, pan: str, gstin: str) -> dict[str, str]:
    """The details normalised, or a ValidationError naming each wrong field."""
    values, errors = {"holder_name": " ".join(holder_name.split())}, {}
    if not values["holder_name"]:
        errors["holder_name"] = [_("Enter the account holder's name as the bank has it.")]
    checks = (("account_number", clean_bank_account_number, account_number), ("ifsc", clean_ifsc, ifsc))
    optional = (("pan", clean_pan, pan), ("gstin", clean_gstin, gstin))
    for field, clean, value in (*checks, *((f, c, v) for f, c, v in optional if (v or "").strip())):
        try:
            values[field] = clean(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    values.setdefault("pan", "")
    values.setdefault("gstin", "")
    if values.get("gstin") and values.get("pan") and values["gstin"][2:12] != values["pan"]:
        errors["gstin"] = [
            _("This GSTIN holds the PAN %(held)s, not %(pan)s.") % {"held": values["gstin"][2:12], "pan": values["pan"]}
        ]
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def bank_account_save(
    *, actor: User, startup: Startup, holder_name: str, account_number: str, ifsc: str, pan: str = "", gstin: str = ""
) -> BankAccount:
    """Set a startup's bank details (admins); history keeps the change, and its unpaid payouts
    are held until another admin confirms it. Saving the same details again changes nothing."""
    _require_admin(actor)
    values = _checked(holder_name=holder_name, account_number=account_number, ifsc=ifsc, pan=pan, gstin=gstin)
    account = BankAccount.objects.select_for_update().filter(startup=startup).first()
    if account is not None and all(getattr(account, f) == values[f] for f in FIELDS):
        return account
    account = account or BankAccount(startup=startup)
    for field in FIELDS:
        setattr(account, field, values[field])
    account.changed_by, account.changed_at = actor, timezone.now()
    account.confirmed_by = account.confirmed_at = None
    as_actor(account, actor).save()
    return account


@transaction.atomic
def bank_account_confirm(*, actor: User, account: BankAccount) -> BankAccount:
    """A second admin confirms the details: the startup's held payouts can be paid, their taxes
    reckoned again with the payee's PAN and GSTIN. History records who confirmed."""
    _require_admin(actor)
    account = BankAccount.objects.select_for_update().select_related("startup").get(pk=account.pk)
    if account.is_confirmed:
        raise ValidationError(_("These bank details are already confirmed: nothing was changed."), code=CONFLICT)
    if account.changed_by_id == actor.pk:
        raise PermissionDenied(_("You entered these bank details: another admin must confirm them."))
    account.confirmed_by, account.confirmed_at = actor, timezone.now()
    as_actor(account, actor).save()
    payouts_reckon_again(actor=actor, startup_id=account.startup_id)
    return account
