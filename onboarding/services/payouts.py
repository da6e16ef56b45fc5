"""Payout runs: gather a month's approved commissions per startup, then pay each startup once."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ..models import Commission, Payout, PayoutLine, PayoutRun, User
from ..models.commissions import CommissionStatus
from ..models.payouts import ZERO, month_end
from .audit import as_actor
from .commissions import commission_approve

# The code of a refusal because the work was already done by someone else: the API's 409.
CONFLICT = "conflict"


def _require_admin(actor: User) -> None:
    if not actor.is_programme_admin:
        raise PermissionDenied("Only programme admins make and pay payout runs.")


def payable(period: date):
    """Approved commissions (reversals included) not yet in any payout, accrued before the month's end."""
    until = timezone.make_aware(datetime.combine(month_end(period), time.min))
    # NOT EXISTS rather than a LEFT JOIN: PostgreSQL cannot lock rows of an outer join.
    taken = PayoutLine.objects.filter(commission=OuterRef("pk"))
    return (
        Commission.objects.filter(status=CommissionStatus.APPROVED, created_at__lt=until)
        .exclude(Exists(taken))
        .order_by("startup_id", "created_at", "pk")
    )


@transaction.atomic
def payout_run_create(*, actor: User, period: date) -> PayoutRun:
    """Make a run for the month of `period`: one payout per startup owed money, its lines locked
    to it (a commission is in one payout, ever). Refused when nothing is owed."""
    _require_admin(actor)
    period = period.replace(day=1)
    by_startup: dict[int, list[Commission]] = defaultdict(list)
    for commission in payable(period).select_for_update(of=("self",)):
        by_startup[commission.startup_id].append(commission)
    # A startup whose reversals outweigh its earnings is owed nothing yet: its lines wait.
    owed = {sid: lines for sid, lines in by_startup.items() if sum(c.amount for c in lines) > ZERO}
    if not owed:
        raise ValidationError(
            {"period": f"Nothing to pay for {period:%B %Y}: no approved commission is waiting for a payout."}
        )
    run = as_actor(PayoutRun(period=period, created_by=actor), actor)
    run.save()
    try:
        with transaction.atomic():
            for startup_id, lines in owed.items():
                payout = as_actor(Payout(run=run, startup_id=startup_id, amount=sum(c.amount for c in lines)), actor)
                payout.save()
                PayoutLine.objects.bulk_create(PayoutLine(payout=payout, commission=c, amount=c.amount) for c in lines)
    except IntegrityError as exc:
        raise ValidationError(
            "Another payout run took these commissions a moment ago: reload the payouts page.", code=CONFLICT
        ) from exc
    return run


@transaction.atomic
def payout_pay(*, actor: User, payout: Payout, payment_reference: str) -> Payout:
    """Record the one bank transfer (UTR) for a startup's payout and mark each of its lines paid.
    A payout is paid once; a paid payout never changes again."""
    _require_admin(actor)
    reference = payment_reference.strip().upper()
    if not reference:
        raise ValidationError({"payment_reference": "Enter the UTR of the bank transfer."})
    payout = Payout.objects.select_for_update().select_related("startup", "run").get(pk=payout.pk)
    if payout.is_paid:
        raise ValidationError(
            f"{payout.startup} was already paid for this run (UTR {payout.payment_reference}): nothing was changed.",
            code=CONFLICT,
        )
    used = Payout.objects.filter(payment_reference=reference).exclude(pk=payout.pk).select_related("startup").first()
    if used:
        raise ValidationError({"payment_reference": f"This UTR was already recorded for {used}."})
    lines = list(Commission.objects.select_for_update(of=("self",)).filter(payout_line__payout=payout).order_by("pk"))
    if any(c.status != CommissionStatus.APPROVED for c in lines):
        raise ValidationError("Some of these commissions are no longer approved and unpaid: nothing was changed.")
    now = timezone.now()
    for commission in lines:
        commission.status, commission.paid_at, commission.payment_reference = CommissionStatus.PAID, now, reference
    bulk_update_with_history(lines, Commission, ["status", "paid_at", "payment_reference"], default_user=actor)
    payout.payment_reference, payout.paid_at, payout.paid_by = reference, now, actor
    try:
        with transaction.atomic():
            as_actor(payout, actor).save(update_fields=["payment_reference", "paid_at", "paid_by"])
    except IntegrityError as exc:
        raise ValidationError({"payment_reference": "This UTR was just recorded for another payout."}) from exc
    return payout


@transaction.atomic
def commissions_approve_bulk(*, actor: User, commission_ids: list[int]) -> int:
    """Approve the accrued commissions among `commission_ids` (others are left); returns how many."""
    _require_admin(actor)
    approved = 0
    # A reversal, and an entry already reversed, net to nothing: neither is approved for payment.
    accrued = Commission.objects.filter(
        pk__in=commission_ids, status=CommissionStatus.ACCRUED, reverses__isnull=True, reversed_by__isnull=True
    )
    for commission in accrued.order_by("pk"):
        commission_approve(actor=actor, commission=commission)
        approved += 1
    return approved


def statement_lines(payout: Payout) -> tuple[list[Commission], list[Commission]]:
    """A payout's earnings and its reversals, each oldest first."""
    lines = list(
        Commission.objects.filter(payout_line__payout=payout)
        .select_related("exporter", "stage", "reverses")
        .order_by("created_at", "pk")
    )
    return [c for c in lines if c.reverses_id is None], [c for c in lines if c.reverses_id is not None]
