"""Who works which exporter: assign, reassign, return to the pool, decline, hand to an agent.

Every function is one transaction that locks the rows it decides on (the startup
whose capacity is checked, then the exporters: always in that order, so two callers
never deadlock) and leaves history rows naming the actor. Assignments are closed,
never deleted. Refusals are `ValidationError`s worded for the person who asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, Value, When
from django.utils import timezone

from ..bulk import copy_rows
from ..bulk_history import write_history
from ..matching import Plan, Proposal, pool_q
from ..models import Assignment, Exporter, Stage, Startup, StartupMember, User
from ..models.assignments import AssignedHow, EndReason
from ..models.exporters import ExporterStatus
from ..models.startups import MemberRole, StartupStatus
from .audit import as_actor

BATCH = 2000


def _assigned_stage() -> Stage:
    return Stage.objects.get(code="assigned")


def _load(startup: Startup) -> int:
    return Exporter.objects.filter(startup=startup).count()


def _lock_startup(startup: Startup) -> Startup:
    return Startup.objects.select_for_update().get(pk=startup.pk)


def _lock_exporters(pks: Iterable[int]) -> list[Exporter]:
    return list(Exporter.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk"))


def startup_refusal(startup: Startup, *, adding: int, load: int) -> str | None:
    """Why `startup` cannot take `adding` more exporters now, or None when it can."""
    if startup.status != StartupStatus.ACTIVE:
        return f"{startup} is {startup.get_status_display().lower()}: only active startups take exporters."
    if not startup.accepting_assignments:
        return f"{startup} has paused new assignments."
    room = max(startup.capacity - load, 0)
    if adding > room:
        return f"{startup} is at {load}/{startup.capacity}: it has room for {room} more, not {adding}."
    return None


def _check_can_take(startup: Startup, exporters: list[Exporter]) -> None:
    refusal = startup_refusal(startup, adding=len(exporters), load=_load(startup))
    if refusal:
        raise ValidationError({"startup": refusal})
    declined = Assignment.objects.filter(
        startup=startup, exporter__in=exporters, end_reason=EndReason.DECLINED
    ).select_related("exporter")
    names = sorted({str(a.exporter) for a in declined})
    if names:
        raise ValidationError(
            {"startup": f"{startup} declined {', '.join(names)}; a declined exporter is never offered to it again."}
        )
    inactive = [str(e) for e in exporters if e.status != ExporterStatus.ACTIVE]
    if inactive:
        raise ValidationError({"startup": f"Only active exporters can be assigned: {', '.join(inactive)} is not."})


def _close(assignment: Assignment, *, actor: User | None, reason: str, note: str, now) -> Assignment:
    assignment.ended_at, assignment.end_reason, assignment.end_note, assignment.ended_by = now, reason, note, actor
    as_actor(assignment, actor).save(update_fields=["ended_at", "end_reason", "end_note", "ended_by"])
    return assignment


def _open(
    exporter: Exporter, *, startup: Startup, actor: User | None, how: str, why: str, agent: User | None, stage, now
) -> Assignment:
    assignment = as_actor(
        Assignment(
            exporter=exporter, startup=startup, agent=agent, assigned_by=actor, assigned_at=now, how=how, why=why
        ),
        actor,
    )
    assignment.save()
    exporter.startup, exporter.agent = startup, agent
    exporter.current_stage, exporter.stage_entered_at = stage, now
    as_actor(exporter, actor).save()
    return assignment


def _to_pool(exporter: Exporter, *, actor: User | None) -> None:
    # Progress is kept in the stage events and history; in the pool nobody owes the
    # next step, so the exporter has no current stage (and cannot look stalled).
    exporter.startup = exporter.agent = exporter.current_stage = exporter.stage_entered_at = None
    as_actor(exporter, actor).save()


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: "Say why: it is kept in the exporter's history."})
    return reason


@transaction.atomic
def exporter_assign(
    *,
    actor: User | None,
    exporter: Exporter,
    startup: Startup,
    why: str = "",
    how: str = AssignedHow.MANUAL,
    agent: User | None = None,
) -> Assignment:
    """Give a pool exporter to a startup with room; opens an Assignment, stage → assigned, history rows."""
    startup = _lock_startup(startup)
    [exporter] = _lock_exporters([exporter.pk])
    if exporter.startup_id:
        raise ValidationError({"startup": f"{exporter} is already with {exporter.startup}: reassign it with a reason."})
    _check_can_take(startup, [exporter])
    return _open(
        exporter,
        startup=startup,
        actor=actor,
        how=how,
        why=why.strip() or "Assigned by programme staff",
        agent=agent,
        stage=_assigned_stage(),
        now=timezone.now(),
    )


@transaction.atomic
def exporter_reassign(*, actor: User | None, exporter: Exporter, startup: Startup, reason: str) -> Assignment:
    """Move an exporter to another startup: closes the open assignment and opens the new one together."""
    reason = _require_reason(reason)
    startup = _lock_startup(startup)
    [exporter] = _lock_exporters([exporter.pk])
    if exporter.startup_id == startup.pk:
        raise ValidationError({"startup": f"{exporter} is already with {startup}."})
    _check_can_take(startup, [exporter])
    now = timezone.now()
    current = Assignment.objects.select_for_update().filter(exporter=exporter, ended_at__isnull=True).first()
    if current:
        _close(current, actor=actor, reason=EndReason.REASSIGNED, note=reason, now=now)
    return _open(
        exporter,
        startup=startup,
        actor=actor,
        how=AssignedHow.MANUAL,
        why=reason,
        agent=None,
        stage=_assigned_stage(),
        now=now,
    )


@transaction.atomic
def exporters_assign_bulk(*, actor: User | None, exporters: list[Exporter], startup: Startup, reason: str = "") -> int:
    """Give several exporters to one startup, all or nothing; those already assigned elsewhere
    are reassigned, which needs a reason. Returns how many changed hands."""
    startup = _lock_startup(startup)
    locked = [e for e in _lock_exporters(e.pk for e in exporters) if e.startup_id != startup.pk]
    moving = [e for e in locked if e.startup_id]
    if moving and not reason.strip():
        raise ValidationError(
            {"reason": f"{len(moving)} of the selected exporters are with another startup: say why they move."}
        )
    _check_can_take(startup, locked)
    now, stage = timezone.now(), _assigned_stage()
    open_by_exporter = {
        a.exporter_id: a
        for a in Assignment.objects.select_for_update().filter(exporter__in=moving, ended_at__isnull=True)
    }
    for exporter in locked:
        if exporter.pk in open_by_exporter:
            _close(open_by_exporter[exporter.pk], actor=actor, reason=EndReason.REASSIGNED, note=reason, now=now)
        why = reason.strip() or "Assigned by programme staff (bulk)"
        _open(exporter, startup=startup, actor=actor, how=AssignedHow.MANUAL, why=why, agent=None, stage=stage, now=now)
    return len(locked)


@transaction.atomic
def exporter_unassign(
    *, actor: User | None, exporter: Exporter, reason: str, end_reason: str = EndReason.UNASSIGNED
) -> Assignment:
    """Return an exporter to the pool: closes its open assignment with the reason; history rows."""
    reason = _require_reason(reason)
    [exporter] = _lock_exporters([exporter.pk])
    current = Assignment.objects.select_for_update().filter(exporter=exporter, ended_at__isnull=True).first()
    if current is None:
        raise ValidationError({"reason": f"{exporter} is not assigned to anyone."})
    _close(current, actor=actor, reason=end_reason, note=reason, now=timezone.now())
    _to_pool(exporter, actor=actor)
    return current


def assignment_decline(*, actor: User, exporter: Exporter, reason: str) -> Assignment:
    """A startup manager hands an exporter back; it returns to the pool and is never offered to them again."""
    membership = actor.active_membership
    if not (membership and membership.role == MemberRole.MANAGER and membership.startup_id == exporter.startup_id):
        raise PermissionDenied("Only a manager of the assigned startup can decline it.")
    return exporter_unassign(actor=actor, exporter=exporter, reason=reason, end_reason=EndReason.DECLINED)


@transaction.atomic
def exporter_hand_to_agent(*, actor: User, exporter: Exporter, agent: User | None) -> Exporter:
    """A manager names who in the team works an exporter (None: the whole team); history rows."""
    [exporter] = _lock_exporters([exporter.pk])
    if (
        agent is not None
        and not StartupMember.objects.filter(
            user=agent, startup_id=exporter.startup_id, removed_at__isnull=True
        ).exists()
    ):
        raise ValidationError({"agent": f"{agent} is not in {exporter.startup}'s team."})
    current = Assignment.objects.select_for_update().filter(exporter=exporter, ended_at__isnull=True).first()
    if current is None:
        raise ValidationError({"agent": f"{exporter} is not assigned to anyone."})
    current.agent = agent
    as_actor(current, actor).save(update_fields=["agent"])
    exporter.agent = agent
    as_actor(exporter, actor).save()
    return exporter


# --- Startup lifecycle --------------------------------------------------------------


@transaction.atomic
def startup_set_accepting(*, actor: User | None, startup: Startup, accepting: bool) -> Startup:
    """Pause or resume new assignments; the startup keeps the exporters it has. History row."""
    startup = _lock_startup(startup)
    startup.accepting_assignments = accepting
    as_actor(startup, actor).save()
    return startup


@transaction.atomic
def startup_release_exporters(
    *, actor: User | None, startup: Startup, reason: str, end_reason: str = EndReason.STARTUP_EXITED
) -> int:
    """Return every open exporter of a startup to the pool in one go; assignments are closed, not deleted."""
    reason = _require_reason(reason)
    startup = _lock_startup(startup)
    exporters = list(Exporter.objects.select_for_update().filter(startup=startup).order_by("pk"))
    assignments = list(
        Assignment.objects.select_for_update().filter(exporter__in=exporters, ended_at__isnull=True).order_by("pk")
    )
    now = timezone.now()
    for a in assignments:
        a.ended_at, a.end_reason, a.end_note, a.ended_by = now, end_reason, reason, actor
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        ended_at=now, end_reason=end_reason, end_note=reason, ended_by=actor
    )
    Assignment.history.bulk_history_create(
        assignments, update=True, default_user=actor, default_change_reason=reason, default_date=now
    )
    for e in exporters:
        e.startup = e.agent = e.current_stage = e.stage_entered_at = None
        e.updated_at = now
    Exporter.objects.filter(pk__in=[e.pk for e in exporters]).update(
        startup=None, agent=None, current_stage=None, stage_entered_at=None, updated_at=now
    )
    Exporter.history.bulk_history_create(
        exporters, update=True, default_user=actor, default_change_reason=reason, default_date=now
    )
    return len(exporters)


@transaction.atomic
def startup_set_status(
    *, actor: User | None, startup: Startup, status: str, reason: str, release: bool = False
) -> tuple[Startup, int]:
    """Activate, suspend or exit a startup; optionally return all its exporters to the pool at once."""
    reason = _require_reason(reason)
    startup = _lock_startup(startup)
    startup.status = status
    startup._change_reason = reason
    as_actor(startup, actor).save()
    released = startup_release_exporters(actor=actor, startup=startup, reason=reason) if release else 0
    return startup, released


# --- Auto-assignment ----------------------------------------------------------------


@dataclass
class AutoResult:
    assigned: int = 0
    skipped: list[tuple[Proposal, str]] = field(default_factory=list)


def _write_auto(accepted: list[Proposal], pool: dict[int, Exporter], actor: User | None) -> None:
    """Bulk writes (COPY on PostgreSQL): assignments, exporters grouped by startup, and history rows for both."""
    now, stage = timezone.now(), _assigned_stage()
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


@transaction.atomic
def auto_assignment_apply(*, actor: User | None, plan: Plan) -> AutoResult:
    """Write a plan from `matching.propose` in one transaction, re-checked under row locks.

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
    load = dict(
        Exporter.objects.filter(startup_id__in=startup_ids)
        .order_by()
        .values_list("startup")
        .annotate(n=Count("pk"))
        .values_list("startup", "n")
    )
    pool = {e.pk: e for e in Exporter.objects.select_for_update().filter(pool_q()).order_by("pk")}
    past = set(
        Assignment.objects.filter(
            ended_at__isnull=False, exporter__startup__isnull=True, exporter__status=ExporterStatus.ACTIVE
        ).values_list("exporter_id", "startup_id")
    )
    accepted, taken = [], set()
    for p in plan.proposals:
        startup = startups[p.startup.pk]
        if p.exporter.pk not in pool or p.exporter.pk in taken:
            result.skipped.append((p, "the exporter was assigned or put on hold meanwhile"))
            continue
        if (p.exporter.pk, startup.pk) in past:
            result.skipped.append((p, f"{startup} has had this exporter meanwhile"))
            continue
        refusal = startup_refusal(startup, adding=1, load=load.get(startup.pk, 0))
        if refusal:
            result.skipped.append((p, refusal))
            continue
        load[startup.pk] = load.get(startup.pk, 0) + 1
        taken.add(p.exporter.pk)
        accepted.append(p)
    _write_auto(accepted, pool, actor)
    result.assigned = len(accepted)
    return result
