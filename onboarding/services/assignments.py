"""Who works which exporter: assign, reassign, return to the pool, decline, hand to an agent.
Startup capacity is enforced here (`_check_can_take`, on `Startup.refusal`) and, for
auto-assignment, in `services/auto_assign.py` with the same rule.

Every function is one transaction that locks the rows it decides on (the startup
whose capacity is checked, then the exporters: always in that order, so two callers
never deadlock) and leaves history rows naming the actor. Assignments are closed,
never deleted. Refusals are `ValidationError`s worded for the person who asked.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Assignment, Exporter, Stage, Startup, StartupMember, User
from ..models.assignments import AssignedHow, EndReason
from ..models.exporters import ExporterStatus
from ..models.startups import MemberRole
from .audit import as_actor, require_reason
from .exporter_link import exporter_links_rotate, exporter_news
from .notifications import notify_exporter_handed, notify_exporters_assigned
from .progress import claims_withdraw, in_english
from .summary import summary_changed

# What the receiving startup reads: the reason for a move is about the startup that lost the
# exporter, so it is kept on that startup's closed assignment (staff see both), not shown here.
MOVED_HERE = "Moved here from another startup by programme staff"


def _assigned_stage() -> Stage:
    return Stage.objects.get(code="assigned")


def _lock_startup(startup: Startup) -> Startup:
    return Startup.objects.select_for_update().get(pk=startup.pk)


def _lock_exporters(pks: Iterable[int]) -> list[Exporter]:
    return list(Exporter.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk"))


def _check_can_take(startup: Startup, exporters: list[Exporter]) -> None:
    refusal = startup.refusal(adding=len(exporters), load=Exporter.objects.load_of([startup.pk])[startup.pk])
    if refusal:
        raise ValidationError({"startup": refusal})
    declined = Assignment.objects.filter(
        startup=startup, exporter__in=exporters, end_reason=EndReason.DECLINED
    ).select_related("exporter")
    names = sorted({str(a.exporter) for a in declined})
    if names:
        raise ValidationError(
            {
                "startup": _("%(startup)s declined %(names)s; a declined exporter is never offered to it again.")
                % {"startup": startup, "names": ", ".join(names)}
            }
        )
    inactive = [str(e) for e in exporters if e.status != ExporterStatus.ACTIVE]
    if inactive:
        raise ValidationError(
            {"startup": _("Only active exporters can be assigned: %(names)s is not.") % {"names": ", ".join(inactive)}}
        )


def _close(assignment: Assignment, *, actor: User | None, reason: str, note: str, now) -> Assignment:
    """End an assignment; the startup's claims on the exporter that still wait are withdrawn."""
    assignment.ended_at, assignment.end_reason, assignment.end_note, assignment.ended_by = now, reason, note, actor
    as_actor(assignment, actor).save(update_fields=["ended_at", "end_reason", "end_note", "ended_by"])
    claims_withdraw(
        actor=actor,
        startup_id=assignment.startup_id,
        exporter_ids=[assignment.exporter_id],
        reason=f"{in_english(EndReason(reason).label).lower()} ({note})",
    )
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
    exporter_news(exporter_id=exporter.pk, now=now)
    return assignment


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
        raise ValidationError(
            {
                "startup": _("%(exporter)s is already with %(startup)s: reassign it with a reason.")
                % {"exporter": exporter, "startup": exporter.startup}
            }
        )
    _check_can_take(startup, [exporter])
    summary_changed()
    assignment = _open(
        exporter,
        startup=startup,
        actor=actor,
        how=how,
        why=why.strip() or "Assigned by programme staff",
        agent=agent,
        stage=_assigned_stage(),
        now=timezone.now(),
    )
    notify_exporters_assigned(
        startup_id=startup.pk, exporter_names=[exporter.legal_name], batch_key=f"a{assignment.pk}"
    )
    return assignment


@transaction.atomic
def exporter_reassign(*, actor: User | None, exporter: Exporter, startup: Startup, reason: str) -> Assignment:
    """Move an exporter to another startup: closes the open assignment and opens the new one together."""
    reason = require_reason(reason)
    startup = _lock_startup(startup)
    [exporter] = _lock_exporters([exporter.pk])
    if exporter.startup_id == startup.pk:
        raise ValidationError(
            {"startup": _("%(exporter)s is already with %(startup)s.") % {"exporter": exporter, "startup": startup}}
        )
    _check_can_take(startup, [exporter])
    now = timezone.now()
    current = Assignment.objects.open().select_for_update().filter(exporter=exporter).first()
    if current:
        _close(current, actor=actor, reason=EndReason.REASSIGNED, note=reason, now=now)
    summary_changed()
    assignment = _open(
        exporter,
        startup=startup,
        actor=actor,
        how=AssignedHow.MANUAL,
        why=MOVED_HERE,
        agent=None,
        stage=_assigned_stage(),
        now=now,
    )
    exporter_links_rotate(actor=actor, exporter_ids=[exporter.pk], reason=f"Moved to {startup}", now=now)
    notify_exporters_assigned(
        startup_id=startup.pk, exporter_names=[exporter.legal_name], batch_key=f"a{assignment.pk}"
    )
    return assignment


@transaction.atomic
def exporters_assign_bulk(*, actor: User | None, exporters: list[Exporter], startup: Startup, reason: str = "") -> int:
    """Give several exporters to one startup, all or nothing; those already assigned elsewhere
    are reassigned, which needs a reason. Returns how many changed hands."""
    startup = _lock_startup(startup)
    locked = [e for e in _lock_exporters(e.pk for e in exporters) if e.startup_id != startup.pk]
    moving = [e for e in locked if e.startup_id]
    if moving and not reason.strip():
        raise ValidationError(
            {
                "reason": _("%(count)s of the selected exporters are with another startup: say why they move.")
                % {"count": len(moving)}
            }
        )
    _check_can_take(startup, locked)
    now, stage = timezone.now(), _assigned_stage()
    open_by_exporter = {
        a.exporter_id: a for a in Assignment.objects.open().select_for_update().filter(exporter__in=moving)
    }
    opened = []
    for exporter in locked:
        if exporter.pk in open_by_exporter:
            _close(open_by_exporter[exporter.pk], actor=actor, reason=EndReason.REASSIGNED, note=reason, now=now)
        moved = exporter.pk in open_by_exporter
        why = MOVED_HERE if moved else reason.strip() or "Assigned by programme staff (bulk)"
        opened.append(
            _open(
                exporter,
                startup=startup,
                actor=actor,
                how=AssignedHow.MANUAL,
                why=why,
                agent=None,
                stage=stage,
                now=now,
            )
        )
    summary_changed()
    exporter_links_rotate(actor=actor, exporter_ids=list(open_by_exporter), reason=f"Moved to {startup}", now=now)
    # One notice for the whole batch, named by its first assignment.
    names = [e.legal_name for e in locked]
    notify_exporters_assigned(
        startup_id=startup.pk, exporter_names=names, batch_key=f"a{min((a.pk for a in opened), default=0)}"
    )
    return len(locked)


@transaction.atomic
def exporter_unassign(
    *, actor: User | None, exporter: Exporter, reason: str, end_reason: str = EndReason.UNASSIGNED
) -> Assignment:
    """Return an exporter to the pool: closes its open assignment with the reason; history rows."""
    reason = require_reason(reason)
    [exporter] = _lock_exporters([exporter.pk])
    current = Assignment.objects.open().select_for_update().filter(exporter=exporter).first()
    if current is None:
        raise ValidationError({"reason": _("%(exporter)s is not assigned to anyone.") % {"exporter": exporter}})
    now = timezone.now()
    _close(current, actor=actor, reason=end_reason, note=reason, now=now)
    exporter.return_to_pool()
    as_actor(exporter, actor).save()
    exporter_links_rotate(
        actor=actor, exporter_ids=[exporter.pk], reason=in_english(EndReason(end_reason).label), now=now
    )
    summary_changed()
    return current


def assignment_decline(*, actor: User, exporter: Exporter, reason: str) -> Assignment:
    """A startup manager hands an exporter back; it returns to the pool and is never offered to them again."""
    membership = actor.active_membership
    if not (membership and membership.role == MemberRole.MANAGER and membership.startup_id == exporter.startup_id):
        raise PermissionDenied(_("Only a manager of the assigned startup can decline it."))
    return exporter_unassign(actor=actor, exporter=exporter, reason=reason, end_reason=EndReason.DECLINED)


@transaction.atomic
def exporter_hand_to_agent(*, actor: User, exporter: Exporter, agent: User | None) -> Exporter:
    """A manager names who in the team works an exporter (None: the whole team); history rows."""
    [exporter] = _lock_exporters([exporter.pk])
    if (
        agent is not None
        and not StartupMember.objects.active().filter(user=agent, startup_id=exporter.startup_id).exists()
    ):
        raise ValidationError(
            {"agent": _("%(agent)s is not in %(startup)s's team.") % {"agent": agent, "startup": exporter.startup}}
        )
    current = Assignment.objects.open().select_for_update().filter(exporter=exporter).first()
    if current is None:
        raise ValidationError({"agent": _("%(exporter)s is not assigned to anyone.") % {"exporter": exporter}})
    current.agent = agent
    as_actor(current, actor).save(update_fields=["agent"])
    exporter.agent = agent
    as_actor(exporter, actor).save()
    if agent is not None:
        notify_exporter_handed(exporter=exporter, agent=agent, actor=actor, when=timezone.now())
    return exporter
