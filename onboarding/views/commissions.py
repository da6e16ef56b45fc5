"""The commission statement, its exports, and the admin's ledger actions and rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import database
from ..filters import CommissionFilter
from ..forms.commissions import CommissionRuleForm, ReversalForm
from ..models import Commission, CommissionRule, CommissionTotal, Exporter, Stage, Startup
from ..models.commissions import CommissionStatus
from ..models.users import Role
from ..pagination import COMMISSION_SORTS, paginate, sort
from ..reference import rupees
from ..reports.exports import COMMISSIONS
from ..services.commissions import (
    commission_approve,
    commission_reverse,
    commission_rule_save,
)
from ..services.payouts import commissions_approve_bulk
from .access import admin_required, member_required, object_view, report_refusal
from .downloads import list_export, requested_format
from .navigation import safe_next

# What a statement row shows (commission_rows.py): day, startup, exporter, stage, amount, status,
# reversal, payment reference and note. Whole rows of the entry, its startup, exporter and stage
# (76 columns) took longer to read than the query: 6.8 -> 3.5 ms for a page of fifty.
ROW_FIELDS = (
    *("created_at", "amount", "status", "reverses", "payment_reference", "note"),
    *Startup.shown_as("startup"),
    *Exporter.shown_as("exporter"),
    *Stage.shown_as("stage"),
)


def _statement_filter(request) -> CommissionFilter:
    """The statement's filters (query string) over the rows the user may see: a startup user's
    are scoped to their startup before any filter, and they have no startup filter to send."""
    commissions = Commission.objects.visible_to(request.user).for_list()
    return CommissionFilter(request.GET, queryset=commissions, user=request.user)


def _statement_totals(request, filterset: CommissionFilter) -> dict:
    """The filtered statement's totals. On PostgreSQL the same filters pick rows of the totals
    its trigger keeps per startup and status (a few rows, where summing the ledger took 38 ms
    at national scale); elsewhere the ledger is summed."""
    if not database.runs_triggers():
        return filterset.qs.totals()
    filterset.is_valid()  # filter_queryset reads the cleaned filters
    # A filter set of Commission applied to CommissionTotal: this works, and gives the totals of
    # exactly the statement's rows, only because every filter touches columns both models have
    # (`startup`, through it the startup's names, and `status`), and visible_to scopes both by
    # `startup_id`. A filter on anything else (stage, exporter, dates) would fail here or, worse,
    # need totals CommissionTotal does not keep: such a filter needs its totals summed from the
    # ledger instead. test_commission_totals.py fails when the filter gains such a field.
    return filterset.filter_queryset(CommissionTotal.objects.visible_to(request.user)).totals()


@member_required
def commission_statement(request):
    filterset = _statement_filter(request)
    commissions, sorting = sort(request, filterset.qs, COMMISSION_SORTS)
    # `?export=` is the older spelling of `?format=`, kept for links and scripts that use it.
    # No BOM on the CSV, as before: readers of this export decode it as plain UTF-8.
    kind = requested_format(request) or requested_format(request, "export")
    if export := list_export(request, commissions, COMMISSIONS, "commissions", kind=kind, bom=False):
        return export
    user = request.user
    context = {
        "filter": filterset,
        "sorting": sorting,
        "page": paginate(request, commissions.only(*ROW_FIELDS), estimate=True),
        "totals": _statement_totals(request, filterset),
        "startup": filterset.chosen_startup() if user.is_programme_staff else user.startup,  # for the heading
    }
    return render(request, "onboarding/commission_list.html", context)


@object_view(Commission, Role.ADMIN)
@require_POST
def commission_action(request, pk: int, action: str):
    if action not in ("approve", "reverse"):
        # Paying one commission by itself is gone: money goes out only through payout runs.
        raise Http404("No such action on a commission.")
    commission = get_object_or_404(Commission, pk=pk)
    try:
        if action == "approve":
            commission_approve(actor=request.user, commission=commission)
            messages.success(
                request,
                _("Approved %(amount)s for %(exporter)s.")
                % {"amount": rupees(commission.amount), "exporter": commission.exporter},
            )
        elif action == "reverse":
            form = ReversalForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the reason for the reversal."))
            commission_reverse(actor=request.user, commission=commission, **form.cleaned_data)
            messages.success(
                request,
                _("Reversed %(amount)s for %(exporter)s.")
                % {"amount": rupees(commission.amount), "exporter": commission.exporter},
            )
    except (ValidationError, PermissionDenied) as exc:
        report_refusal(request, exc)
    return redirect(safe_next(request) or "onboarding:commission-list")


@admin_required
@require_POST
def commission_approve_matching(request):
    """Approve every accrued commission the statement's filters (in the query string) show."""
    filterset = _statement_filter(request)
    if not filterset.is_valid():
        # A filter in error is left out of the list: approving "all shown" would reach further
        # than the filters asked, so nothing is approved until they are put right.
        messages.error(request, _("These filters have an error, so nothing was approved: correct them first."))
        return redirect(safe_next(request) or "onboarding:commission-list")
    accrued = filterset.qs.filter(status=CommissionStatus.ACCRUED, reverses__isnull=True)
    ids = list(accrued.values_list("pk", flat=True))
    if not ids:
        messages.info(request, _("No accrued commissions match these filters: nothing to approve."))
    else:
        count = commissions_approve_bulk(actor=request.user, commission_ids=ids)
        messages.success(
            request,
            ngettext(
                "Approved %(count)s commission: they join the next payout run.",
                "Approved %(count)s commissions: they join the next payout run.",
                count,
            )
            % {"count": count},
        )
    return redirect(safe_next(request) or "onboarding:commission-list")


@admin_required
def commission_rules(request, pk: int | None = None):
    rule = get_object_or_404(CommissionRule, pk=pk) if pk else None
    form = CommissionRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        commission_rule_save(actor=request.user, rule=form.save(commit=False))
        messages.success(
            request,
            _("Saved: %(amount)s for “%(stage)s”.")
            % {"amount": rupees(form.instance.amount), "stage": form.instance.stage},
        )
        return redirect("onboarding:commission-rules")
    rules = CommissionRule.objects.select_related("stage")
    return render(request, "onboarding/commissionrule_list.html", {"rules": rules, "form": form, "rule": rule})
