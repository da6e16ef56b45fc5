from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from ..reference import STATE_CHOICES, state_name
from .choice_labels import ChoiceLabels
from .scoped import ScopedQuerySet
from .shown_as import ShownAs


class StartupStatus(models.TextChoices):
    APPLIED = "applied", gettext_lazy("Applied")
    ACTIVE = "active", gettext_lazy("Active")
    SUSPENDED = "suspended", gettext_lazy("Suspended")
    EXITED = "exited", gettext_lazy("Exited")


class StartupQuerySet(ScopedQuerySet):
    startup_lookup = "pk"

    def with_load(self) -> StartupQuerySet:
        """Annotate `open_exporters`: exporters currently assigned to the startup.

        A correlated subquery rather than a JOIN + GROUP BY, so a paginated list
        counts only the startups on its page.
        """
        exporters = self.model.exporters.rel.related_model
        load = (
            exporters.objects.filter(startup=OuterRef("pk"))
            .order_by()
            .values("startup")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(open_exporters=Coalesce(Subquery(load), 0))

    def open_for_assignment(self) -> StartupQuerySet:
        """Startups that may be given exporters now (those with room among them)."""
        return self.filter(status=StartupStatus.ACTIVE, accepting_assignments=True)

    def search(self, term: str) -> StartupQuerySet:
        term = term.strip()
        if not term:
            return self
        return self.filter(
            Q(legal_name__icontains=term)
            | Q(brand_name__icontains=term)
            | Q(dpiit_number__iexact=term.replace(" ", ""))
            | Q(city__icontains=term)
        )


class Startup(ChoiceLabels, ShownAs, models.Model):
    legal_name = models.CharField(max_length=200)
    brand_name = models.CharField(max_length=120, blank=True)
    dpiit_number = models.CharField(gettext_lazy("DPIIT recognition number"), max_length=20, unique=True)
    # Optional (payout statements print it when given); unique when given: see Meta.
    gstin = models.CharField("GSTIN", max_length=15, blank=True, default="")
    cin = models.CharField("CIN", max_length=21, blank=True)
    pan = models.CharField("PAN", max_length=10, blank=True)
    state = models.CharField(max_length=2, choices=STATE_CHOICES)
    city = models.CharField(max_length=80)
    website = models.URLField(blank=True)
    contact_name = models.CharField(max_length=120)
    contact_email = models.EmailField()
    contact_mobile = models.CharField(max_length=16, help_text=gettext_lazy("Indian mobile, stored as +91…"))
    sectors = models.ManyToManyField("onboarding.Sector", blank=True, related_name="startups")
    languages = models.JSONField(default=list, blank=True, help_text=gettext_lazy("ISO 639-1 codes it can serve"))
    capacity = models.PositiveIntegerField(default=25, help_text=gettext_lazy("Most active exporters at once"))
    accepting_assignments = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=StartupStatus.choices, default=StartupStatus.APPLIED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[])

    objects = StartupQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=0), name="startup_capacity_non_negative"),
            # Many startups have no GSTIN on record (blank); a given one belongs to one startup.
            models.UniqueConstraint(fields=["gstin"], condition=~Q(gstin=""), name="startup_gstin_unique_when_given"),
        ]

    STR_FIELDS = ("brand_name", "legal_name")

    def __str__(self) -> str:
        return self.brand_name or self.legal_name

    def get_absolute_url(self) -> str:
        return reverse("onboarding:startup-detail", args=[self.pk])

    @property
    def state_name(self) -> str:
        return state_name(self.state)

    def refusal(self, *, adding: int, load: int) -> str | None:
        """Why this startup cannot take `adding` more exporters on top of `load`, or None when it
        can: the one capacity rule, for manual and automatic assignment alike."""
        if self.status != StartupStatus.ACTIVE:
            return _("%(startup)s is %(status)s: only active startups take exporters.") % {
                "startup": self,
                "status": self.get_status_display().lower(),
            }
        if not self.accepting_assignments:
            return _("%(startup)s has paused new assignments.") % {"startup": self}
        room = max(self.capacity - load, 0)
        if adding > room:
            return _("%(startup)s is at %(load)s/%(capacity)s: it has room for %(room)s more, not %(adding)s.") % {
                "startup": self,
                "load": load,
                "capacity": self.capacity,
                "room": room,
                "adding": adding,
            }
        return None


class MemberRole(models.TextChoices):
    MANAGER = "manager", gettext_lazy("Manager")
    AGENT = "agent", gettext_lazy("Agent")


class StartupMemberQuerySet(models.QuerySet):
    def active(self) -> StartupMemberQuerySet:
        """Memberships in force: removal is recorded, not deleted."""
        return self.filter(removed_at__isnull=True)


class StartupMember(ChoiceLabels, models.Model):
    """A user's place in a startup. Removal is recorded, not deleted, so history stays."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=10, choices=MemberRole.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = StartupMemberQuerySet.as_manager()

    class Meta:
        ordering = ["role", "user__email"]
        constraints = [
            # A person works for one startup at a time.
            models.UniqueConstraint(
                fields=["user"], condition=Q(removed_at__isnull=True), name="one_active_membership_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.startup})"
