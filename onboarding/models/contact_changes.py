"""A change to an exporter's contact of record (name, email, mobile) proposed by the startup
working it. It takes effect only when the exporter confirms it from the channel they have now
(their status page, whose link went to the old contact) or programme staff approve it: until
then links, questions and messages go to the contact of record, so a startup cannot route the
exporter's questions to itself. Staff corrections apply at once and need no proposal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choice_labels import ChoiceLabels
from .scoped import ScopedQuerySet

# The exporter's fields a proposal may change, with the words people read.
CONTACT_FIELDS = {"contact_name": _("Name"), "contact_email": _("Email"), "contact_mobile": _("Mobile")}


class ContactChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the exporter or programme staff")
    CONFIRMED = "confirmed", _("Confirmed by the exporter")
    APPROVED = "approved", _("Approved by programme staff")
    REJECTED = "rejected", _("Refused")
    SUPERSEDED = "superseded", _("Replaced by a later change")


class DecidedHow(models.TextChoices):
    EXPORTER = "exporter", _("By the exporter on their status page")
    STAFF = "staff", _("By programme staff")
    # A later proposal, a staff correction, or the exporter's contact changed some other way.
    LATER = "later", _("By a later change")


class ContactChangeQuerySet(ScopedQuerySet):
    """Staff see every proposal; a startup sees the ones it made."""

    def pending(self) -> ContactChangeQuerySet:
        return self.filter(status=ContactChangeStatus.PENDING)

    def for_page(self) -> ContactChangeQuerySet:
        """Newest first, with the startup and the people an exporter's page names."""
        return self.select_related("startup", "proposed_by", "decided_by").order_by("-proposed_at", "-pk")


class ContactChange(ChoiceLabels, models.Model):
    """One proposed contact change: who proposed it, when, the values before and after, and
    how it ended (confirmed, approved, refused or replaced), by whom and when."""

    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.CASCADE, related_name="contact_changes")
    # The startup that proposed it: the exporter may have moved on since.
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.PROTECT, related_name="contact_changes")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField()
    old_name = models.CharField(max_length=120, blank=True)
    old_email = models.EmailField(blank=True)
    old_mobile = models.CharField(max_length=16, blank=True)
    new_name = models.CharField(max_length=120, blank=True)
    new_email = models.EmailField(blank=True)
    new_mobile = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=12, choices=ContactChangeStatus.choices, default=ContactChangeStatus.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Empty when the exporter decided (they have no account) or for a replaced proposal.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_how = models.CharField(max_length=10, choices=DecidedHow.choices, blank=True)
    history = HistoricalRecords()

    objects = ContactChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [models.Index(fields=["exporter", "proposed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["exporter"], condition=Q(status="pending"), name="one_pending_contact_change"
            ),
        ]

    def __str__(self) -> str:
        return f"Contact change of {self.exporter_id} proposed {self.proposed_at:%d %b %Y}"

    @property
    def old(self) -> dict[str, str]:
        return {"contact_name": self.old_name, "contact_email": self.old_email, "contact_mobile": self.old_mobile}

    @property
    def new(self) -> dict[str, str]:
        return {"contact_name": self.new_name, "contact_email": self.new_email, "contact_mobile": self.new_mobile}

    def changes(self) -> list[tuple[str, str, str]]:
        """(field, before, after) for each field the proposal changes."""
        old, new = self.old, self.new
        return [(name, old[name], new[name]) for name in CONTACT_FIELDS if old[name] != new[name]]

    def described(self) -> str:
        """The changes in words, e.g. "Email: a@x.in → b@y.in; Mobile: — → +9198…"."""
        return "; ".join(f"{CONTACT_FIELDS[n]}: {b or '—'} → {a or '—'}" for n, b, a in self.changes())
