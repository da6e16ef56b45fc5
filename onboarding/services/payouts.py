"""Payout runs: gather a month's approved commissions per startup, reckon their taxes, then
pay each startup once, through the bank's files (or one UTR typed in)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from ..models import Commission, Payout, PayoutLine, PayoutRun, User
from ..models.commissions import CommissionStatus
from ..models.payouts import ZERO, month_end, payee_ids
from ..models.tax_rules import financial_year, reckon_taxes
from ..reference import rupees
from ..reports.bank_files import PAID, ResponseLine, payout_for
from .audit import as_actor
from .commissions import commission_approve
from .notifications import notify_payout_paid

# The code of a refusal because the work was already done by someone else: the API's 409.
CONFLICT = "conflict"


def _require_admin(actor: User) -> None:
    if not actor.is_programme_admin:
        raise PermissionDenied(_("Only programme admins make and pay payout runs."))


def payable(period: date):
    """Approved commissions not yet in a live payout, accrued before the month's end and at least
    COMMISSION_HOLD_DAYS ago. An entry reversed before it was taken into a run is never paid, and
    its reversal never deducted; a reversal of money paid (or being paid) is deducted."""
    until = timezone.make_aware(datetime.combine(month_end(period), time.min))
    held_since = timezone.now() - timedelta(days=settings.COMMISSION_HOLD_DAYS)
    # NOT EXISTS rather than a LEFT JOIN: PostgreSQL cannot lock rows of an outer join.
    taken = PayoutLine.objects.filter(commission=OuterRef("pk"), released=False)
    original_taken = PayoutLine.objects.filter(commission=OuterRef("reverses_id"), released=False)
    # Paid one by one, before payout runs: no payout line, still owed back when reversed.
    original_paid = Commission.objects.filter(pk=OuterRef("reverses_id"), status=CommissionStatus.PAID)
    reversed_ = Commission.objects.filter(reverses=OuterRef("pk"))
    return (
        Commission.objects.filter(status=CommissionStatus.APPROVED, created_at__lt=until, created_at__lte=held_since)
        .filter(Q(reverses__isnull=True) | Exists(original_taken) | Exists(original_paid))
        .exclude(Exists(taken))
        .exclude(Exists(reversed_))
        .order_by("startup_id", "created_at", "pk")
    )


def _reckon(payout: Payout, day: date) -> Payout:
    """Put the taxes on `payout` as of `day` (not saved): TDS on the payee's financial-year total."""
    start, end = financial_year(day)
    earlier, taxed = Payout.objects.exclude(pk=payout.pk).reckoned_in_year(
        startup_id=payout.startup_id, start=start, end=end
    )
    pan, gstin = payee_ids(payout.startup)
    taxes = reckon_taxes(gross=payout.amount, day=day, pan=pan, gstin=gstin, earlier=earlier, untaxed=earlier - taxed)
    payout.tax_date, payout.tds, payout.tds_base, payout.tds_rate = day, taxes.tds, taxes.tds_base, taxes.tds_rate
    payout.gst, payout.gst_rate, payout.net = taxes.gst, taxes.gst_rate, taxes.net
    return payout


@transaction.atomic
def payouts_reckon_again(*, actor: User, startup_id: int) -> int:
    """Reckon the taxes of a startup's pending payouts again (its PAN or GSTIN changed); how many."""
    pending = list(Payout.objects.pending().filter(startup_id=startup_id).select_related("startup").order_by("pk"))
    today = timezone.localdate()
    for payout in pending:
        as_actor(_reckon(payout, today), actor).save()
    return len(pending)


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
            {
                "period": _("Nothing to pay for %(month)s: no approved commission is waiting for a payout.")
                % {"month": date_format(period, "F Y")}
            }
        )
    run = as_actor(PayoutRun(period=period, created_by=actor), actor)
    run.save()
    today = timezone.localdate()
    try:
        with transaction.atomic():
            for startup_id, lines in owed.items():
                payout = Payout(run=run, startup_id=startup_id, amount=sum(c.amount for c in lines))
                as_actor(_reckon(payout, today), actor).save()
                PayoutLine.objects.bulk_create(PayoutLine(payout=payout, commission=c, amount=c.amount) for c in lines)
    except IntegrityError as exc:
        raise ValidationError(
            _("Another payout run took these commissions a moment ago: reload the payouts page."), code=CONFLICT
        ) from exc
    return run


@transaction.atomic
def payout_pay(*, actor: User, payout: Payout, payment_reference: str) -> Payout:
    """Record the one bank transfer (UTR) for a startup's payout and mark each of its lines paid.
    A payout is paid once; a paid payout never changes again."""
    _require_admin(actor)
    reference = payment_reference.strip().upper()
    if not reference:
        raise ValidationError({"payment_reference": _("Enter the UTR of the bank transfer.")})
    payout = Payout.objects.select_for_update(of=("self",)).select_related("startup", "run").get(pk=payout.pk)
    if refusal := _why_not_payable(payout):
        raise ValidationError(f"{refusal} {_('Nothing was changed.')}", code=CONFLICT)
    used = Payout.objects.filter(payment_reference=reference).exclude(pk=payout.pk).select_related("startup").first()
    if used:
        raise ValidationError(
            {"payment_reference": _("This UTR was already recorded for %(payout)s.") % {"payout": used}}
        )
    try:
        with transaction.atomic():
            _mark_paid(actor=actor, payout=payout, reference=reference, when=timezone.now())
    except IntegrityError as exc:
        raise ValidationError({"payment_reference": _("This UTR was just recorded for another payout.")}) from exc
    return payout


def _why_not_payable(payout: Payout) -> str:
    """Why a payout cannot be settled now ("" when it can): paid, failed or held."""
    if payout.is_paid:
        return _("%(startup)s was already paid for this run (UTR %(utr)s).") % {
            "startup": payout.startup,
            "utr": payout.payment_reference,
        }
    if payout.is_failed:
        return _("The bank failed %(startup)s's payout: its commissions wait for the next run.") % {
            "startup": payout.startup
        }
    if Payout.objects.held().filter(pk=payout.pk).exists():
        return _("%(startup)s's payout is on hold until a second admin confirms its bank details.") % {
            "startup": payout.startup
        }
    return ""


def _mark_paid(*, actor: User, payout: Payout, reference: str, when: datetime) -> None:
    lines = list(
        Commission.objects.select_for_update(of=("self",))
        .filter(payout_lines__payout=payout, payout_lines__released=False)
        .order_by("pk")
    )
    if any(c.status != CommissionStatus.APPROVED for c in lines):
        raise ValidationError(_("Some of these commissions are no longer approved and unpaid: nothing was changed."))
    for commission in lines:
        commission.status, commission.paid_at, commission.payment_reference = CommissionStatus.PAID, when, reference
    bulk_update_with_history(lines, Commission, ["status", "paid_at", "payment_reference"], default_user=actor)
    payout.payment_reference, payout.paid_at, payout.paid_by = reference, when, actor
    as_actor(payout, actor).save(update_fields=["payment_reference", "paid_at", "paid_by"])
    notify_payout_paid(payout=payout)


def _mark_failed(*, actor: User, payout: Payout, reason: str, when: datetime) -> None:
    # Released lines free their commissions for the next run (the unique live line allows it).
    payout.lines.update(released=True)
    payout.failed_at, payout.failure_reason = when, reason or "Failed at the bank"
    as_actor(payout, actor).save(update_fields=["failed_at", "failure_reason"])


@dataclass
class Settled:
    """What one line of the bank's response did: `done` says whether it changed anything."""

    line: ResponseLine
    done: bool
    text: str


def _settle_line(line: ResponseLine, payout: Payout | None, seen: set[int], utrs: set[str]) -> str:
    """Why a response line is refused ("" when it can be applied)."""
    if line.problem:
        return line.problem
    if payout is None:
        return _("No payout of this run is %(names)s: nothing was changed for this line.") % {"names": line.names}
    if payout.pk in seen:
        return _("An earlier line of this file already settled %(reference)s.") % {"reference": payout.reference}
    if refusal := _why_not_payable(payout):
        return refusal
    if line.amount != payout.net:
        return _("The amount %(amount)s is not the %(net)s the bank file asked for.") % {
            "amount": rupees(line.amount),
            "net": rupees(payout.net),
        }
    account = getattr(payout.startup, "bank_account", None)
    if line.account and account and line.account != account.account_number:
        return _("The account number is not the one the bank file named.")
    if line.status == PAID and (line.utr in utrs or Payout.objects.filter(payment_reference=line.utr).exists()):
        return _("The UTR %(utr)s was already recorded for another payout.") % {"utr": line.utr}
    return ""


def _when(line: ResponseLine, now: datetime) -> datetime:
    if line.paid_on is None or line.paid_on == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.combine(line.paid_on, time(12)))


@transaction.atomic
def payout_run_settle(*, actor: User, run: PayoutRun, lines: list[ResponseLine]) -> list[Settled]:
    """Apply the bank's response to a run in one transaction: each good line marks its payout
    paid (UTR, payment date, its commissions paid) or failed (its commissions freed for the next
    run); each bad line is refused with the reason and changes nothing. Returns a line-by-line report."""
    _require_admin(actor)
    payouts = list(
        run.payouts.select_for_update(of=("self",)).select_related("startup__bank_account", "run").order_by("pk")
    )
    now, seen, utrs, report = timezone.now(), set(), set(), []
    for line in lines:
        payout = payout_for(line, payouts)
        if line.paid_on and not (run.created_at.date() <= line.paid_on <= timezone.localdate(now)):
            line.problem = line.problem or _("The payment date is before the run was made, or in the future.")
        if refusal := _settle_line(line, payout, seen, utrs):
            report.append(Settled(line, False, refusal))
            continue
        seen.add(payout.pk)
        if line.status == PAID:
            utrs.add(line.utr)
            _mark_paid(actor=actor, payout=payout, reference=line.utr, when=_when(line, now))
            report.append(
                Settled(
                    line,
                    True,
                    _("Paid %(amount)s to %(startup)s (UTR %(utr)s).")
                    % {"amount": rupees(payout.net), "startup": payout.startup, "utr": line.utr},
                )
            )
        else:
            _mark_failed(actor=actor, payout=payout, reason=line.reason, when=now)
            report.append(
                Settled(
                    line,
                    True,
                    _("Failed: %(startup)s's commissions return to the next run.") % {"startup": payout.startup},
                )
            )
    return report


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
        Commission.objects.filter(payout_lines__payout=payout)
        .select_related("exporter", "stage", "reverses")
        .order_by("created_at", "pk")
    )
    return [c for c in lines if c.reverses_id is None], [c for c in lines if c.reverses_id is not None]
