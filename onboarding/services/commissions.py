"""The commission ledger: accrual on approval, then approve or reverse. Never edited. Paying is
only ever through a payout run (services/payouts.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Commission, CommissionRule, StageEvent, User
from ..models.commissions import CommissionStatus
from .audit import as_actor
from .notifications import notify_commission_approved


def rule_for(stage, day) -> CommissionRule | None:
    return (
        CommissionRule.objects.filter(stage=stage, active_from__lte=day)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=day))
        .order_by("-active_from")
        .first()
    )


def commission_accrue(*, event: StageEvent, actor: User | None) -> Commission | None:
    """Accrue the commission an approved stage earns, once per exporter and stage, ever.

    The database's unique constraint is the guard: a second (or concurrent) approval
    finds the existing accrual instead of adding another.
    """
    # The startup that made the claim while it held the exporter, never the holder of today.
    startup_id = event.startup_id
    rule = rule_for(event.stage, timezone.localdate())
    if rule is None or rule.amount <= 0 or startup_id is None:
        return None
    existing = Commission.objects.filter(exporter_id=event.exporter_id, stage=event.stage, reverses__isnull=True)
    if existing.exists():
        return existing.first()
    try:
        with transaction.atomic():
            commission = as_actor(
                Commission(
                    startup_id=startup_id,
                    exporter_id=event.exporter_id,
                    stage=event.stage,
                    stage_event=event,
                    rule=rule,
                    amount=rule.amount,
                ),
                actor,
            )
            commission.save()
            return commission
    except IntegrityError:
        return existing.first()


@transaction.atomic
def commission_rule_save(*, actor: User, rule: CommissionRule) -> CommissionRule:
    """Create or change a rule (admins); the change is kept in its history."""
    _require_admin(actor)
    as_actor(rule, actor).save()
    return rule


def _require_admin(actor: User) -> None:
    if not actor.is_programme_admin:
        raise PermissionDenied(_("Only programme admins approve or reverse commissions."))


def _locked(commission: Commission) -> Commission:
    return Commission.objects.select_for_update().get(pk=commission.pk)


@transaction.atomic
def commission_approve(*, actor: User, commission: Commission) -> Commission:
    """Accrued → approved (payable)."""
    _require_admin(actor)
    commission = _locked(commission)
    if commission.status != CommissionStatus.ACCRUED:
        raise ValidationError(
            _("Only accrued commissions can be approved; this one is %(status)s.")
            % {"status": commission.get_status_display().lower()}
        )
    commission.status = CommissionStatus.APPROVED
    commission.approved_by = actor
    commission.approved_at = timezone.now()
    as_actor(commission, actor).save()
    notify_commission_approved(commission=commission)
    return commission


@transaction.atomic
def commission_reverse(*, actor: User, commission: Commission, reason: str) -> Commission:
    """Cancel an entry with an equal and opposite one; the original stays as it was."""
    _require_admin(actor)
    if not reason.strip():
        raise ValidationError(_("Give the reason for the reversal."))
    commission = _locked(commission)
    if commission.reverses_id is not None:
        raise ValidationError(_("A reversal cannot itself be reversed."))
    if Commission.objects.filter(reverses=commission).exists():
        raise ValidationError(_("This commission has already been reversed."))
    reversal = as_actor(
        Commission(
            startup_id=commission.startup_id,
            exporter_id=commission.exporter_id,
            stage_id=commission.stage_id,
            stage_event_id=commission.stage_event_id,
            rule_id=commission.rule_id,
            amount=-commission.amount,
            # Money already paid is owed back: the reversal is approved and is deducted in a
            # later payout run. Otherwise it follows the original's status.
            status=CommissionStatus.APPROVED if commission.status == CommissionStatus.PAID else commission.status,
            reverses=commission,
            note=reason.strip(),
        ),
        actor,
    )
    reversal.save()
    return reversal
