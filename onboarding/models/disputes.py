"""Disputes: an exporter says a startup's work did not happen (a "No" to a question about it)
or that nobody from the startup has contacted them. While one is open, the startup's claims
for that exporter wait: an officer looks into it and resolves it with a note the startup sees."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exporter_link import ConfirmationKind
from .scoped import ScopedQuerySet

# What the exporter said, in staff words (the status page speaks to the exporter instead).
STAFF_WORDS = {
    ConfirmationKind.CALL: _("The exporter says {person} of {startup} did not call them on {date}."),
    ConfirmationKind.VISIT: _("The exporter says {person} of {startup} did not visit them on {date}."),
    ConfirmationKind.TRAINING: _("The exporter says {person} of {startup} did not train them on {date}."),
    ConfirmationKind.MILESTONE: _("The exporter says their storefront is not live ({startup} claimed it on {date})."),
    ConfirmationKind.NO_CONTACT: _("The exporter said on {date} that nobody from {startup} has contacted them."),
}


class DisputeQuerySet(ScopedQuerySet):
    # A startup sees the disputes about its own work.

    def open(self) -> DisputeQuerySet:
        return self.filter(resolved_at__isnull=True)

    def count_by_startup(self) -> dict[int, int]:
        """Startup id -> how many of these disputes are about it: one grouped query."""
        rows = self.order_by().values("startup_id").annotate(n=models.Count("pk")).values_list("startup_id", "n")
        return dict(rows)

    def for_page(self) -> DisputeQuerySet:
        return self.select_related("exporter", "startup", "confirmation", "resolved_by").order_by("-opened_at", "-pk")

    def blocking(self, pairs) -> dict[tuple[int, int], Dispute]:
        """(exporter id, startup id) -> the open dispute that holds that startup's claims for that
        exporter, for a page of claims in one query."""
        pairs = {(e, s) for e, s in pairs if s is not None}
        if not pairs:
            return {}
        rows = self.open().filter(exporter_id__in={e for e, _ in pairs}).select_related("confirmation", "startup")
        found: dict[tuple[int, int], Dispute] = {}
        for dispute in rows.order_by("opened_at", "pk"):
            pair = (dispute.exporter_id, dispute.startup_id)
            if pair in pairs:
                found.setdefault(pair, dispute)
        return found

    def attach_blocking(self, events) -> None:
        """Set `dispute` on each claim that has none yet: the open dispute holding it (`blocking`),
        or None. One query for a page of claims, none when every one has it: the review card and
        the open-dispute signal both read it."""
        events = [event for event in events if not hasattr(event, "dispute")]
        found = self.blocking((event.exporter_id, event.startup_id) for event in events)
        for event in events:
            event.dispute = found.get((event.exporter_id, event.startup_id))


class Dispute(models.Model):
    """One exporter's objection to one startup's work, open until an officer resolves it."""

    exporter = models.ForeignKey("onboarding.Exporter", on_delete=models.CASCADE, related_name="disputes")
    startup = models.ForeignKey("onboarding.Startup", on_delete=models.PROTECT, related_name="disputes")
    # The "No" that opened it (a question answered no, or "Nobody has contacted me").
    confirmation = models.OneToOneField(
        "onboarding.ConfirmationRequest", on_delete=models.CASCADE, related_name="dispute"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # None: closed by the exporter (they changed their answer to yes).
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True, help_text=_("What the officer found; the startup sees it"))

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            # Open disputes (the dashboard's count, the review queue, approvals): few, so small.
            models.Index(fields=["exporter", "startup"], condition=Q(resolved_at__isnull=True), name="dispute_open"),
            models.Index(fields=["startup", "opened_at"]),
        ]

    def __str__(self) -> str:
        return f"Dispute about {self.startup} on {self.exporter}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def staff_words(self) -> str:
        """What the exporter said, as a sentence for officers."""
        confirmation = self.confirmation
        when = timezone.localtime(confirmation.occurred_at)
        template = STAFF_WORDS.get(confirmation.kind, STAFF_WORDS[ConfirmationKind.NO_CONTACT])
        return template.format(
            person=confirmation.person or _("someone"), startup=self.startup, date=f"{when.day} {when:%b %Y}"
        )
