"""The auto-assignment engine: who should work each exporter in the pool, and why.

Everything it needs is loaded in a handful of queries (the pool, the startups with
their load, their sectors, past assignments) and matched in Python, so a pool of
10,000 exporters costs the same number of queries as a pool of ten. Writing the plan
is `auto_assignment_apply` below, which re-checks it under row locks.

Rules (docs/guide.md#assignment):
- an exporter in the pool is unassigned and active; oldest first;
- an eligible startup is active, accepting assignments, below capacity and has never
  had this exporter before (declined it, lost it to a reassignment, returned it);
- candidates are ranked by what they share with the exporter: the same state first,
  then the sector (HS section) of its main product, then its preferred language;
  a startup sharing none of the three is no match at all (that would be the blind
  round robin the programme wants to avoid);
- ties go to the lowest load/capacity ratio, then round robin (least recently given).
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Case, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..bulk import copy_rows, write_history
from ..models import Activity, Assignment, Exporter, Sector, Stage, StageEvent, Startup, User
from ..models.assignments import AssignedHow
from ..reference import LANGUAGES, state_name
from .exporter_link import exporters_news
from .notifications import notify_exporters_assigned
from .summary import summary_changed

BATCH = 2000  # exporters per UPDATE when writing a plan
ALTERNATIVES = 5  # other startups offered in a proposal's row, best first
# How long an applied plan can be undone: long enough to notice a mistake on the page that
# says what changed, short enough that the startups have not started on the exporters.
UNDO_WINDOW = timedelta(minutes=30)
# Score weights: a match on a heavier criterion beats any mix of lighter ones.
STATE, SECTOR, LANGUAGE = 4, 2, 1


@dataclass
class Candidate:
    """A startup as the engine sees it; `load` grows as the plan fills it."""

    pk: int
    name: str
    state: str
    capacity: int
    load: int
    sector_ids: frozenset[int]
    languages: frozenset[str]
    last_given: int = 0  # round robin: the plan step at which it last got an exporter

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity


@dataclass
class PoolExporter:
    pk: int
    legal_name: str
    district: str
    state: str
    sector_id: int | None
    language: str

    @property
    def state_name(self) -> str:
        return state_name(self.state)


@dataclass
class Proposal:
    exporter: PoolExporter
    startup: Candidate
    score: int
    why: str
    # Other startups that could take it (room, something shared, never had it): the row's select.
    alternatives: list[Candidate] = field(default_factory=list)


@dataclass
class Unmatched:
    exporter: PoolExporter
    why: str


@dataclass
class Plan:
    proposals: list[Proposal] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    startups: dict[int, Candidate] = field(default_factory=dict)
    initial_load: dict[int, int] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Identifies the plan's pairs, so an apply can tell whether it still is the preview."""
        pairs = ",".join(f"{p.exporter.pk}:{p.startup.pk}" for p in self.proposals)
        return hashlib.sha256(pairs.encode()).hexdigest()[:32]

    def only(self, exporter_ids: set[int], startups: dict[int, int] | None = None) -> Plan:
        """The same plan with just the proposals for these exporters (the part a person chose),
        each going to the startup chosen in its row (`startups`: exporter id -> startup id) when
        that is another startup open for assignment; apply re-checks its room under locks."""
        chosen = []
        for p in self.proposals:
            if p.exporter.pk not in exporter_ids:
                continue
            other = self.startups.get((startups or {}).get(p.exporter.pk, p.startup.pk))
            if other is not None and other.pk != p.startup.pk:
                why = f"chosen by hand; {explain(other, p.exporter, {})}"
                p = Proposal(p.exporter, other, score(other, p.exporter), why, p.alternatives)
            chosen.append(p)
        return Plan(proposals=chosen, unmatched=[], startups=self.startups, initial_load=self.initial_load)

    def by_startup_of(self, proposals: list[Proposal]) -> list[dict]:
        """`by_startup` for some of the proposals (those a filter shows)."""
        return Plan(proposals=proposals, startups=self.startups, initial_load=self.initial_load).by_startup()

    def by_startup(self) -> list[dict]:
        """Per receiving startup: how many it gets and its load before and after, fullest first."""
        counts: dict[int, int] = {}
        for proposal in self.proposals:
            counts[proposal.startup.pk] = counts.get(proposal.startup.pk, 0) + 1
        rows = [
            {
                "startup": self.startups[pk],
                "count": n,
                "before": self.initial_load[pk],
                "after": self.initial_load[pk] + n,
            }
            for pk, n in counts.items()
        ]
        return sorted(rows, key=lambda r: (-r["count"], r["startup"].name))


def _candidates() -> dict[int, Candidate]:
    """Active startups accepting assignments, with their current load (2 queries)."""
    rows = (
        Startup.objects.open_for_assignment()
        .with_load()
        .order_by("pk")
        .values_list("pk", "brand_name", "legal_name", "state", "capacity", "open_exporters", "languages")
    )
    sectors: dict[int, set[int]] = {}
    links = Startup.sectors.through.objects.filter(startup__in=Startup.objects.open_for_assignment()).values_list(
        "startup_id", "sector_id"
    )
    for startup_id, sector_id in links:
        sectors.setdefault(startup_id, set()).add(sector_id)
    return {
        pk: Candidate(
            pk=pk,
            name=brand or legal,
            state=state,
            capacity=capacity,
            load=load,
            sector_ids=frozenset(sectors.get(pk, ())),
            languages=frozenset(languages or ()),
        )
        for pk, brand, legal, state, capacity, load, languages in rows
    }


def _pool(limit: int | None = None) -> list[PoolExporter]:
    rows = (
        Exporter.objects.pool()
        .order_by("pk")
        .values_list("pk", "legal_name", "district", "state", "sector_id", "preferred_language")
    )
    return [PoolExporter(*row) for row in (rows[:limit] if limit else rows)]


def _past_startups() -> dict[int, set[int]]:
    """For each exporter in the pool, the startups that had it before (declined, lost, returned)."""
    past: dict[int, set[int]] = {}
    rows = (
        Assignment.objects.ended().filter(exporter__in=Exporter.objects.pool()).values_list("exporter_id", "startup_id")
    )
    for exporter_id, startup_id in rows:
        past.setdefault(exporter_id, set()).add(startup_id)
    return past


class _Index:
    """Startups with room, by state, sector and language, so an exporter only looks at
    startups that share something with it. Full startups are dropped as they fill."""

    def __init__(self, startups: dict[int, Candidate]):
        self.by_state: dict[str, set[int]] = {}
        self.by_sector: dict[int, set[int]] = {}
        self.by_language: dict[str, set[int]] = {}
        self.open: set[int] = set()
        for s in startups.values():
            if not s.has_room:
                continue
            self.open.add(s.pk)
            self.by_state.setdefault(s.state, set()).add(s.pk)
            for sector_id in s.sector_ids:
                self.by_sector.setdefault(sector_id, set()).add(s.pk)
            for language in s.languages:
                self.by_language.setdefault(language, set()).add(s.pk)

    def drop(self, s: Candidate) -> None:
        self.open.discard(s.pk)
        self.by_state.get(s.state, set()).discard(s.pk)
        for sector_id in s.sector_ids:
            self.by_sector.get(sector_id, set()).discard(s.pk)
        for language in s.languages:
            self.by_language.get(language, set()).discard(s.pk)

    def matching(self, e: PoolExporter) -> set[int]:
        return (
            self.by_state.get(e.state, set())
            | self.by_sector.get(e.sector_id, set())
            | self.by_language.get(e.language, set())
        )


def score(startup: Candidate, exporter: PoolExporter) -> int:
    return (
        STATE * (startup.state == exporter.state)
        + SECTOR * (exporter.sector_id in startup.sector_ids)
        + LANGUAGE * (exporter.language in startup.languages)
    )


def explain(startup: Candidate, exporter: PoolExporter, sector_names: dict[int, str]) -> str:
    """In words: "same state (Gujarat); works in Textiles and textile articles; speaks Gujarati;
    startup has 12 of 40 places used"."""
    parts = []
    if startup.state == exporter.state:
        parts.append(f"same state ({exporter.state_name})")
    if exporter.sector_id in startup.sector_ids:
        parts.append(f"works in {sector_names.get(exporter.sector_id, 'the same sector')}")
    if exporter.language in startup.languages:
        parts.append(f"speaks {LANGUAGES.get(exporter.language, exporter.language)}")
    parts.append(f"startup has {startup.load} of {startup.capacity} places used")
    return "; ".join(parts)


def _why_unmatched(
    exporter: PoolExporter, index: _Index, excluded: set[int], startups: dict[int, Candidate], sector_names
) -> str:
    if not startups:
        return "no active startup is accepting assignments"
    if not index.open:
        return "every active startup accepting assignments is full"
    if index.open <= excluded:
        names = ", ".join(sorted(startups[pk].name for pk in index.open & excluded))
        return f"every startup with room has had this exporter before ({names})"
    sector = sector_names.get(exporter.sector_id, "its sector") if exporter.sector_id else "no known sector"
    language = LANGUAGES.get(exporter.language, exporter.language)
    reason = f"no startup with room works in {exporter.state_name}, knows {sector} or speaks {language}"
    if excluded & index.matching(exporter):
        names = ", ".join(sorted(startups[pk].name for pk in excluded & index.matching(exporter)))
        reason += f" (except {names}, which had this exporter before)"
    return reason


def propose(*, limit: int | None = None) -> Plan:
    """Match the pool against the startups with room; writes nothing (5 queries)."""
    startups = _candidates()
    pool = _pool(limit)
    past = _past_startups()
    sector_names = dict(Sector.objects.values_list("pk", "name"))
    plan = Plan(startups=startups, initial_load={pk: s.load for pk, s in startups.items()})
    index = _Index(startups)
    for step, exporter in enumerate(pool, start=1):
        excluded = past.get(exporter.pk, set())
        # Highest score, then lowest load ratio, then least recently given, then oldest.
        keys = [
            (-score(startups[pk], exporter), startups[pk].load / startups[pk].capacity, startups[pk].last_given, pk)
            for pk in index.matching(exporter) - excluded
        ]
        ranked = heapq.nsmallest(ALTERNATIVES + 1, keys)
        best_key, best = (ranked[0], startups[ranked[0][3]]) if ranked else (None, None)
        if best is None:
            plan.unmatched.append(
                Unmatched(exporter, _why_unmatched(exporter, index, excluded, startups, sector_names))
            )
            continue
        others = [startups[key[3]] for key in ranked[1:]]
        plan.proposals.append(Proposal(exporter, best, -best_key[0], explain(best, exporter, sector_names), others))
        best.load += 1
        best.last_given = step
        if not best.has_room:
            index.drop(best)
    return plan


def rank_for(exporter: Exporter, *, limit: int = 5) -> list[tuple[Candidate, str]]:
    """The best startups with room for one exporter, with reasons: suggestions for a manual assignment."""
    startups = _candidates()
    sector_names = dict(Sector.objects.values_list("pk", "name"))
    excluded = set(Assignment.objects.filter(exporter=exporter).values_list("startup_id", flat=True))
    subject = PoolExporter(
        exporter.pk,
        exporter.legal_name,
        exporter.district,
        exporter.state,
        exporter.sector_id,
        exporter.preferred_language,
    )
    ranked = sorted(
        (s for s in startups.values() if s.has_room and s.pk not in excluded and score(s, subject) > 0),
        key=lambda s: (-score(s, subject), s.load / s.capacity, s.pk),
    )
    return [(s, explain(s, subject, sector_names)) for s in ranked[:limit]]


# --- Applying a plan -------------------------------------------------------------------


@dataclass
class AutoResult:
    assigned: int = 0
    skipped: list[tuple[Proposal, str]] = field(default_factory=list)
    batch: str = ""  # what `auto_assign_undo` and the "what changed" page take


def batch_key(assigned_at: datetime) -> str:
    """An applied plan's name: its assignments' shared `assigned_at`, in microseconds since 1970."""
    return str(round(assigned_at.timestamp() * 1_000_000))


def batch_time(batch: str) -> datetime | None:
    """The `assigned_at` a batch key names; None for anything else."""
    if not batch.isdigit() or len(batch) > 20:
        return None
    seconds, micro = divmod(int(batch), 1_000_000)
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micro)
    except (OverflowError, OSError, ValueError):
        return None


def _write_auto(accepted: list[Proposal], pool: dict[int, Exporter], actor: User | None, now: datetime) -> None:
    """Bulk writes (COPY on PostgreSQL): assignments, exporters grouped by startup, and history rows for both."""
    stage = Stage.objects.get(code="assigned")
    actor_id = actor.pk if actor else None
    copy_rows(
        Assignment,
        ["exporter", "startup", "assigned_by", "assigned_at", "how", "why", "end_reason", "end_note"],
        ((p.exporter.pk, p.startup.pk, actor_id, now, AssignedHow.AUTO, p.why, "", "") for p in accepted),
    )
    # The pool is locked by this transaction, so these are exactly the rows just written.
    ids = dict(Assignment.objects.filter(assigned_at=now, how=AssignedHow.AUTO).values_list("exporter_id", "pk"))
    assignments = [
        Assignment(
            pk=ids[p.exporter.pk],
            exporter_id=p.exporter.pk,
            startup_id=p.startup.pk,
            assigned_by_id=actor_id,
            assigned_at=now,
            how=AssignedHow.AUTO,
            why=p.why,
        )
        for p in accepted
    ]
    write_history(Assignment, assignments, actor=actor, reason="auto-assignment", when=now, history_type="+")
    exporters = []
    for start in range(0, len(accepted), BATCH):
        chunk = accepted[start : start + BATCH]
        groups: dict[int, list[int]] = {}
        for p in chunk:
            groups.setdefault(p.startup.pk, []).append(p.exporter.pk)
            exporter = pool[p.exporter.pk]
            exporter.startup_id, exporter.agent_id = p.startup.pk, None
            exporter.current_stage, exporter.stage_entered_at, exporter.updated_at = stage, now, now
            exporters.append(exporter)
        startup_of = Case(
            *(When(pk__in=pks, then=Value(startup_id)) for startup_id, pks in groups.items()),
            output_field=BigIntegerField(),
        )
        Exporter.objects.filter(pk__in=[p.exporter.pk for p in chunk]).update(
            startup=startup_of, agent=None, current_stage=stage, stage_entered_at=now, updated_at=now
        )
    write_history(Exporter, exporters, actor=actor, reason="auto-assignment", when=now, history_type="~")
    summary_changed()


@transaction.atomic
def auto_assignment_apply(*, actor: User | None, plan: Plan) -> AutoResult:
    """Write a plan from `propose` in one transaction, re-checked under row locks.

    The startups are locked (in id order) and their load re-counted, then the pool is
    locked: a proposal whose exporter has been assigned since, or whose startup was
    paused, filled up or had the exporter meanwhile, is skipped and reported, so two
    admins applying at once can never overfill a startup.
    """
    result = AutoResult()
    if not plan.proposals:
        return result
    startup_ids = sorted({p.startup.pk for p in plan.proposals})
    startups = {s.pk: s for s in Startup.objects.select_for_update().filter(pk__in=startup_ids).order_by("pk")}
    load = Exporter.objects.load_of(startup_ids)
    pool = {e.pk: e for e in Exporter.objects.pool().select_for_update().order_by("pk")}
    past = _past_startups()
    accepted, taken = [], set()
    for p in plan.proposals:
        startup = startups[p.startup.pk]
        if p.exporter.pk not in pool or p.exporter.pk in taken:
            result.skipped.append((p, "the exporter was assigned or put on hold meanwhile"))
            continue
        if startup.pk in past.get(p.exporter.pk, ()):
            result.skipped.append((p, f"{startup} has had this exporter meanwhile"))
            continue
        refusal = startup.refusal(adding=1, load=load[startup.pk])
        if refusal:
            result.skipped.append((p, refusal))
            continue
        load[startup.pk] += 1
        taken.add(p.exporter.pk)
        accepted.append(p)
    # One instant for the whole plan, to the microsecond: it names the batch for the undo (two
    # applies in the same microsecond would share a name; the pool lock above serialises them).
    now = timezone.now()
    _write_auto(accepted, pool, actor, now)
    exporters_news(exporter_ids=[p.exporter.pk for p in accepted], now=now)
    _notify_startups(accepted)
    result.assigned = len(accepted)
    result.batch = batch_key(now) if accepted else ""
    return result


def batch_assignments(batch: str):
    """The assignments one apply wrote (none for a key that names none)."""
    at = batch_time(batch)
    if at is None:
        return Assignment.objects.none()
    return Assignment.objects.filter(assigned_at=at, how=AssignedHow.AUTO)


def _changed_since(assignments: list[Assignment], exporters: dict[int, Exporter], at: datetime) -> list[Exporter]:
    """The exporters of the batch that moved on after it was applied: their spell ended, they
    went elsewhere or to an agent, work or evidence was logged, or their record was edited."""
    ids = [a.exporter_id for a in assignments]
    worked = set(Activity.objects.filter(exporter_id__in=ids, created_at__gte=at).values_list("exporter_id", flat=True))
    claimed = set(
        StageEvent.objects.filter(assignment__in=[a.pk for a in assignments]).values_list("exporter_id", flat=True)
    )
    changed = []
    for a in assignments:
        exporter = exporters[a.exporter_id]
        if (
            a.ended_at is not None
            or exporter.startup_id != a.startup_id
            or exporter.agent_id is not None
            or exporter.updated_at > at
            or a.exporter_id in worked | claimed
        ):
            changed.append(exporter)
    return changed


@transaction.atomic
def auto_assign_undo(*, actor: User, batch: str, now: datetime | None = None) -> int:
    """Take back one applied plan within UNDO_WINDOW if none of its exporters changed since:
    deletes its assignments, returns the exporters to the pool; history rows for both."""
    if not actor.is_programme_staff:  # who may apply a plan may take it back
        raise PermissionDenied(_("Only programme staff can undo an auto-assignment."))
    now = now or timezone.now()
    at = batch_time(batch)
    assignments = list(batch_assignments(batch).select_for_update().order_by("pk"))
    if at is None or not assignments:
        raise ValidationError(_("There is no such auto-assignment to undo."))
    if now - at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        local = timezone.localtime(at)
        raise ValidationError(
            _(
                "An auto-assignment can be undone for %(minutes)s minutes after it is applied, and this one was "
                "applied at %(time)s on %(date)s. Return exporters to the pool from their pages."
            )
            % {"minutes": minutes, "time": f"{local:%H:%M}", "date": date_format(local, "d M Y")}
        )
    ids = sorted(a.exporter_id for a in assignments)
    exporters = {e.pk: e for e in Exporter.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    changed = _changed_since(assignments, exporters, at)
    if changed:
        names = ", ".join(str(e) for e in changed[:3])
        if len(changed) > 3:
            names = _("%(names)s and others") % {"names": names}
        raise ValidationError(
            _(
                "%(changed)s of these %(count)s exporters changed since they were assigned (%(names)s): "
                "nothing was undone. Return exporters to the pool one by one from their pages."
            )
            % {"changed": len(changed), "count": len(assignments), "names": names}
        )
    write_history(Assignment, assignments, actor=actor, reason="auto-assignment undone", when=now, history_type="-")
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).delete()
    for exporter in exporters.values():
        exporter.return_to_pool()
    Exporter.objects.filter(pk__in=ids).update(**Exporter.POOL_FIELDS, updated_at=now)
    write_history(
        Exporter, exporters.values(), actor=actor, reason="auto-assignment undone", when=now, history_type="~"
    )
    summary_changed()
    return len(assignments)


def _notify_startups(accepted: list[Proposal]) -> None:
    """One notice per startup for the whole apply, not one per exporter."""
    names: dict[int, list[str]] = {}
    for p in accepted:
        names.setdefault(p.startup.pk, []).append(p.exporter.legal_name)
    batch = f"auto{timezone.now().timestamp():.0f}"
    for startup_id, exporter_names in names.items():
        notify_exporters_assigned(startup_id=startup_id, exporter_names=exporter_names, batch_key=batch)
