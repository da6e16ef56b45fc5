"""The commission statement, its exports, and the admin's ledger actions and rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..filters import parse_id
from ..forms.commissions import CommissionRuleForm, PaymentForm, ReversalForm
from ..models import Commission, CommissionRule, Startup
from ..models.commissions import CommissionStatus
from ..models.users import Role
from ..pagination import paginate
from ..reference import rupees
from ..services.commissions import (
    commission_approve,
    commission_mark_paid,
    commission_reverse,
    commission_rule_save,
)
from .access import admin_required, member_required, object_view, report_refusal
from .downloads import download_response

EXPORT_COLUMNS = [
    "Date",
    "Startup",
    "Exporter",
    "GSTIN",
    "Stage",
    "Amount (INR)",
    "Status",
    "Payment reference",
    "Note",
]


def _statement_queryset(request):
    commissions = Commission.objects.visible_to(request.user).for_list()
    startup = None
    startup_id = parse_id(request.GET.get("startup"))
    if request.user.is_programme_staff and startup_id:
        startup = get_object_or_404(Startup, pk=startup_id)
        commissions = commissions.filter(startup=startup)
    status = request.GET.get("status", "")
    if status:
        commissions = commissions.filter(status=status)
    if not request.user.is_programme_staff:
        startup = request.user.startup
    return commissions, startup


@member_required
def commission_statement(request):
    commissions, startup = _statement_queryset(request)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _export(commissions, export)
    context = {
        "page": paginate(request, commissions),
        "totals": commissions.totals(),
        "startup": startup,
        "startups": Startup.objects.only("pk", "legal_name", "brand_name") if request.user.is_programme_staff else [],
        "statuses": CommissionStatus.choices,
    }
    return render(request, "onboarding/commission_list.html", context)


def _rows(commissions):
    for c in commissions.iterator(chunk_size=2000):
        yield [
            timezone.localdate(c.created_at),  # a real date in Excel, ISO 8601 in the CSV
            str(c.startup),
            c.exporter.legal_name,
            c.exporter.gstin,
            c.stage.name,
            c.amount,
            c.get_status_display(),
            c.payment_reference,
            c.note,
        ]


def _export(commissions, kind: str) -> HttpResponse:
    # No BOM on the CSV, as before: readers of this export decode it as plain UTF-8.
    return download_response(
        kind, f"commissions.{kind}", EXPORT_COLUMNS, _rows(commissions), sheet="Commissions", bom=False
    )


@object_view(Commission, Role.ADMIN)
@require_POST
def commission_action(request, pk: int, action: str):
    commission = get_object_or_404(Commission, pk=pk)
    try:
        if action == "approve":
            commission_approve(actor=request.user, commission=commission)
            messages.success(request, f"Approved {rupees(commission.amount)} for {commission.exporter}.")
        elif action == "pay":
            form = PaymentForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Enter the payment reference (e.g. the UTR number).")
            commission_mark_paid(actor=request.user, commission=commission, **form.cleaned_data)
            messages.success(request, f"Marked {rupees(commission.amount)} for {commission.exporter} as paid.")
        elif action == "reverse":
            form = ReversalForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Give the reason for the reversal.")
            commission_reverse(actor=request.user, commission=commission, **form.cleaned_data)
            messages.success(request, f"Reversed {rupees(commission.amount)} for {commission.exporter}.")
    except (ValidationError, PermissionDenied) as exc:
        report_refusal(request, exc)
    return redirect(_safe_next(request) or "onboarding:commission-list")


def _safe_next(request) -> str:
    """The form's `next` (the filtered list it was posted from) when it stays on this site, else ""."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


@admin_required
def commission_rules(request, pk: int | None = None):
    rule = get_object_or_404(CommissionRule, pk=pk) if pk else None
    form = CommissionRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        commission_rule_save(actor=request.user, rule=form.save(commit=False))
        messages.success(request, f"Saved: {rupees(form.instance.amount)} for “{form.instance.stage}”.")
        return redirect("onboarding:commission-rules")
    rules = CommissionRule.objects.select_related("stage")
    return render(request, "onboarding/commissionrule_list.html", {"rules": rules, "form": form, "rule": rule})
