from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, models
from django.db.models import BooleanField, Case, Count, Expression, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..links import link
from ..reference import GSTIN_ONLY_STATES, LANGUAGE_CHOICES, STATE_CHOICES, MsmeCategory, state_name
from .choice_labels import ChoiceLabels
from .scoped import ScopedQuerySet
from .shown_as import ShownAs


class ExporterStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    DROPPED = "dropped", _("Dropped")


# Stalled this many times its stage's SLA, an exporter's badge turns from amber to red.
FAR_PAST_SLA = 2
# No work logged since the exporter entered its stage.
QUIET = Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=F("stage_entered_at"))


class EnteredBefore(Expression):
    """True where the exporter is in one of the stages of `cutoffs` and entered it before that
    stage's cut-off: `(current_stage_id = s AND stage_entered_at < t) OR …`, written by one node.
    As a Q of a branch per stage (twenty lookups for ten stages), Django took longer to resolve
    and compile it than PostgreSQL took to run the count: about 1 ms a use, and a startup's
    home uses it three times. The SQL is the same, so the plans are too."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, cutoffs: tuple[tuple[int, datetime], ...]):
        super().__init__()
        self.cutoffs = cutoffs
        self.stage, self.entered = F("current_stage_id"), F("stage_entered_at")

    def get_source_expressions(self):
        return [self.stage, self.entered]

    def set_source_expressions(self, exprs):
        self.stage, self.entered = exprs

    def as_sql(self, compiler, connection):
        stage, stage_params = compiler.compile(self.stage)
        entered, entered_params = compiler.compile(self.entered)
        field = self.entered.output_field
        pair = f"({stage} = %s AND {entered} < %s)"
        params = []
        for stage_id, cutoff in self.cutoffs:
            params += [*stage_params, stage_id, *entered_params, field.get_db_prep_value(cutoff, connection)]
        return "(" + " OR ".join([pair] * len(self.cutoffs)) + ")", params


class ExporterQuerySet(ScopedQuerySet):
    def search(self, term: str) -> ExporterQuerySet:
        term = term.strip()
        if not term:
            return self
        compact = term.replace(" ", "").replace("-", "").upper()
        if len(compact) == 15 and compact[:2].isdigit():
            return self.filter(gstin=compact)
        # Matches are sorted case-insensitively, an order no b-tree serves: PostgreSQL then
        # collects them through the trigram indexes and sorts the few thousand, instead of
        # walking the name index past most of the table to fill a page.
        matches = Q(legal_name__icontains=term) | Q(trade_name__icontains=term) | Q(gstin__startswith=compact)
        # A district is matched whole, in the spellings people type, so the b-tree index on
        # the column serves it; a phone number by its last digits (mobiles are stored +91…).
        matches |= Q(district__in={term, term.title(), term.upper(), term.lower()})
        digits = "".join(ch for ch in term if ch.isascii() and ch.isdigit())
        if len(digits) >= 5 and len(digits) >= len(compact) - 3:
            matches |= Q(contact_mobile__endswith=digits[-10:])
        return self.filter(matches).order_by(Upper("legal_name"), "pk")

    @staticmethod
    def late_q(now: datetime, stages, factor: int = 1) -> Q:
        """Q for active exporters past `factor` × their stage's SLA, whether or not work was logged."""
        cutoffs = tuple((stage.pk, now - timedelta(days=stage.sla_days * factor)) for stage in stages)
        if not cutoffs:
            return Q(pk__in=[])
        return Q(EnteredBefore(cutoffs), status=ExporterStatus.ACTIVE)

    @staticmethod
    def stalled_q(now: datetime, stages, factor: int = 1) -> Q:
        """Q for exporters late (see late_q) with no activity since entering their stage."""
        return ExporterQuerySet.late_q(now, stages, factor) & QUIET

    def late(self, now: datetime) -> ExporterQuerySet:
        """Past the stage's SLA (stalled ones included: late and no work since)."""
        stages = self.model.current_stage.field.related_model.objects.all()
        return self.filter(self.late_q(now, stages))

    def stalled(self, now: datetime) -> ExporterQuerySet:
        stages = self.model.current_stage.field.related_model.objects.all()
        return self.filter(self.stalled_q(now, stages))

    def stalled_for_reminders(self, now: datetime, stages, escalate_after: int):
        """(id, startup, agent, escalated) of each stalled exporter held by a startup, escalated
        meaning stalled past `escalate_after` × its stage's SLA: whole numbers and a flag, the
        comparison made by the database, since turning a stage time into a Python datetime was
        most of the read for 150,000 stalled exporters."""
        escalated = Case(
            When(self.late_q(now, stages, escalate_after), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        return (
            self.filter(self.stalled_q(now, stages), startup__isnull=False)
            .order_by()
            .annotate(escalated=escalated)
            .values_list("pk", "startup_id", "agent_id", "escalated")
        )

    def sla_counts(self, now: datetime, stages) -> dict[str, int]:
        """How many of these exporters there are, and how many are late and stalled, in one query."""
        late = self.late_q(now, stages)
        stalled = late & QUIET
        return self.aggregate(assigned=Count("pk"), late=Count("pk", filter=late), stalled=Count("pk", filter=stalled))

    def by_urgency(self, now: datetime, stages) -> ExporterQuerySet:
        """Stalled first, then longest in stage."""
        return self.annotate(
            is_stalled=Case(
                When(self.stalled_q(now, stages), then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        ).order_by("-is_stalled", "stage_entered_at", "pk")

    def pool(self) -> ExporterQuerySet:
        """Exporters waiting for a startup."""
        return self.filter(startup__isnull=True, status=ExporterStatus.ACTIVE)

    def load_of(self, startup_ids=None) -> defaultdict[int, int]:
        """How many exporters each startup (of `startup_ids`, else all) holds now, 0 for none:
        one grouped COUNT(*), which PostgreSQL answers from the (startup, …) index alone.
        `Startup.objects.with_load()` is the same figure as an annotation, for a page of startups."""
        held = self.filter(startup__isnull=False)
        if startup_ids is not None:
            held = held.filter(startup_id__in=list(startup_ids))
        return defaultdict(int, held.order_by().values_list("startup").annotate(n=Count("*")))

    def for_list(self) -> ExporterQuerySet:
        return self.select_related("current_stage", "startup", "sector")

    def board_cards(self, stages, per_stage: int, fields, with_startup: bool) -> dict[int, list[Exporter]]:
        """The `per_stage` exporters of each of `stages` waiting longest, by stage id: one UNION
        ALL of small queries, each walking its stage's index where a window over the set would
        sort all of it. SQLite (`make run`) cannot slice inside a UNION: it asks stage by stage.
        Each card gets its stage from `stages` rather than a join: one object, not one per card."""
        cards = self.only(*fields).order_by("stage_entered_at", "pk")
        if with_startup:
            cards = cards.select_related("startup").only(*fields, "startup__legal_name", "startup__brand_name")
        parts = [cards.filter(current_stage=stage)[:per_stage] for stage in stages]
        if len(parts) > 1 and connections[self.db].features.supports_slicing_ordering_in_compound:
            rows = sorted(parts[0].union(*parts[1:], all=True), key=lambda e: (e.stage_entered_at, e.pk))
        else:
            rows = [exporter for part in parts for exporter in part]
        stage_of = {stage.pk: stage for stage in stages}
        by_stage = defaultdict(list)
        for exporter in rows:
            exporter.current_stage = stage_of[exporter.current_stage_id]
            by_stage[exporter.current_stage_id].append(exporter)
        return by_stage


class Exporter(ChoiceLabels, ShownAs, models.Model):
    legal_name = models.CharField(max_length=200)
    trade_name = models.CharField(max_length=200, blank=True)
    gstin = models.CharField("GSTIN", max_length=15, unique=True)
    pan = models.CharField("PAN", max_length=10)  # indexed by (pan, state) below
    iec = models.CharField("IEC", max_length=10, blank=True, help_text=_("Import Export Code; the PAN unless legacy"))
    udyam_number = models.CharField(_("Udyam number"), max_length=19, blank=True)
    msme_category = models.CharField(_("MSME category"), max_length=10, choices=MsmeCategory.choices, blank=True)
    state = models.CharField(max_length=2, choices=STATE_CHOICES + sorted(GSTIN_ONLY_STATES.items()))
    district = models.CharField(max_length=80, blank=True, db_index=True)
    pin_code = models.CharField(_("PIN code"), max_length=6, blank=True)
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_mobile = models.CharField(max_length=16, blank=True, help_text=_("Indian mobile, stored as +91…"))
    products = models.JSONField(default=list, blank=True, help_text=_("HS codes, 2–8 digits"))
    # The HS section of the main product: what sector filters and matching use.
    sector = models.ForeignKey("onboarding.Sector", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_markets = models.JSONField(default=list, blank=True, help_text=_("ISO 3166 country codes"))
    preferred_language = models.CharField(max_length=3, choices=LANGUAGE_CHOICES, default="en")
    is_manufacturer = models.BooleanField(default=True)
    marketplace = models.CharField(max_length=40, default="Alibaba.com")
    marketplace_member_id = models.CharField(max_length=64, blank=True)
    storefront_url = models.URLField(blank=True)
    products_listed = models.PositiveIntegerField(default=0)
    # Indexed first in (current_stage, stage_entered_at) below, as `startup` and `state` are in theirs.
    current_stage = models.ForeignKey(
        "onboarding.Stage", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    stage_entered_at = models.DateTimeField(null=True, blank=True)
    # Denormalised from the open Assignment and the Activity log, so lists,
    # scoping and stall checks never scan those large tables.
    startup = models.ForeignKey(
        "onboarding.Startup", null=True, blank=True, on_delete=models.PROTECT, related_name="exporters", db_index=False
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ExporterStatus.choices, default=ExporterStatus.ACTIVE)
    status_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["last_activity_at", "updated_at"])

    objects = ExporterQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name", "pk"]
        indexes = [
            models.Index(fields=["legal_name", "id"]),  # the list's default order
            models.Index(fields=["startup", "stage_entered_at"]),
            # A startup's board: each stage column's first cards read off the index in order.
            models.Index(
                fields=["startup", "current_stage", "stage_entered_at", "id"],
                condition=Q(status="active"),
                name="exporter_board_of_startup",
            ),
            models.Index(fields=["current_stage", "stage_entered_at"]),
            models.Index(fields=["status", "startup"]),
            models.Index(fields=["status", "current_stage"]),  # the board's column counts, index-only
            models.Index(fields=["pan", "state"]),
            models.Index(fields=["created_at", "id"]),  # `?sort=added`, newest first from the index
            # The list filtered by state and status, in its default order: a page is read off
            # the index instead of sorting every match (tens of thousands at national scale).
            models.Index(fields=["state", "status", "legal_name", "id"]),
            # The "contact shared with another firm" fraud signal looks exporters up by mobile and email.
            models.Index(fields=["contact_mobile"], condition=~Q(contact_mobile=""), name="exporter_contact_mobile"),
            models.Index(Lower("contact_email"), condition=~Q(contact_email=""), name="exporter_contact_email_lower"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(status_reason=""), name="dropped_exporter_has_reason"
            ),
        ]

    # In the pool nobody owes the next step, so the exporter has no current stage (and cannot
    # look stalled); its progress is kept in the stage events and history.
    POOL_FIELDS = {"startup": None, "agent": None, "current_stage": None, "stage_entered_at": None}

    STR_FIELDS = ("trade_name", "legal_name")

    def __str__(self) -> str:
        return self.trade_name or self.legal_name

    def get_absolute_url(self) -> str:
        return link("onboarding:exporter-detail", self.pk)

    def return_to_pool(self) -> None:
        """Clear who works it and its stage (the caller saves, with history)."""
        for name, value in self.POOL_FIELDS.items():
            setattr(self, name, value)

    @property
    def days_in_stage(self) -> int | None:
        if self.stage_entered_at is None:
            return None
        return (timezone.now() - self.stage_entered_at).days

    @property
    def lateness(self) -> str:
        """ "stalled" (past the stage's SLA, no work since it entered it), "late" (past the SLA),
        "on_time", or "" when not in a stage or not active: the same rule as late_q/stalled_q."""
        if self.stage_entered_at is None or self.current_stage is None or self.status != ExporterStatus.ACTIVE:
            return ""
        if timezone.now() - self.stage_entered_at <= timedelta(days=self.current_stage.sla_days):
            return "on_time"
        quiet = self.last_activity_at is None or self.last_activity_at < self.stage_entered_at
        return "stalled" if quiet else "late"

    @property
    def sla_state(self) -> str:
        """The badge colour. Colour is for the exception someone must act on, never for most
        cards: amber for stalled (past the SLA, no work since it entered the stage), red for
        stalled past FAR_PAST_SLA × the SLA; on time and late-but-worked are plain ("light"),
        the badge's words saying which."""
        if self.lateness != "stalled":
            return "light"
        far = timezone.now() - self.stage_entered_at > timedelta(days=self.current_stage.sla_days * FAR_PAST_SLA)
        return "danger" if far else "warning"

    @property
    def state_name(self) -> str:
        return state_name(self.state)

    def next_stage(self, stages):
        """The first of `stages` (in order) beyond the current one, or None when it has finished."""
        current = self.current_stage.order if self.current_stage else 0
        return next((s for s in stages if s.order > current), None)
