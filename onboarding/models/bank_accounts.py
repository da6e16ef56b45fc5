"""A startup's bank details: where its payouts go, and whose PAN and GSTIN its taxes follow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .scoped import ScopedQuerySet


def masked(number: str) -> str:
    """An account number as every screen shows it: only the last four digits."""
    return f"XXXXXX{number[-4:]}" if number else ""


class BankAccountQuerySet(ScopedQuerySet):
    pass


class BankAccount(models.Model):
    """Where a startup's payouts are sent. A change by one admin holds the startup's unpaid
    payouts until a second admin confirms it: a mistyped or planted account number needs two
    people to get through."""

    startup = models.OneToOneField("onboarding.Startup", on_delete=models.PROTECT, related_name="bank_account")
    holder_name = models.CharField(_("account holder"), max_length=140)
    account_number = models.CharField(max_length=18)
    ifsc = models.CharField("IFSC", max_length=11)
    pan = models.CharField(_("PAN of the payee"), max_length=10, blank=True)
    gstin = models.CharField(_("GSTIN of the payee"), max_length=15, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = BankAccountQuerySet.as_manager()

    class Meta:
        constraints = [
            # The second pair of eyes is a second person, whatever path wrote the row.
            models.CheckConstraint(
                condition=models.Q(confirmed_by__isnull=True) | ~models.Q(confirmed_by=models.F("changed_by")),
                name="bank_account_confirmed_by_another_admin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} · {self.masked_number} · {self.ifsc}"

    @property
    def masked_number(self) -> str:
        return masked(self.account_number)

    @property
    def bank_code(self) -> str:
        return self.ifsc[:4]

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
