"""The commission statement, its exports, and the admin's ledger actions and rules."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ..forms import CommissionRuleForm, PaymentForm, ReversalForm
from ..models import Commission, CommissionRule, Startup
from ..models.commissions import CommissionStatus
from ..permissions import admin_required, member_required
from ..services.commissions import (
    commission_approve,
    commission_mark_paid,
    commission_reverse,
    commission_rule_save,
    totals_by_status,
)
from .pagination import paginate, querystring_without_page

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
    if request.user.is_programme_staff and request.GET.get("startup", "").isdigit():
        startup = get_object_or_404(Startup, pk=request.GET["startup"])
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
        "totals": totals_by_status(commissions),
        "startup": startup,
        "startups": Startup.objects.only("pk", "legal_name", "brand_name") if request.user.is_programme_staff else [],
        "querystring": querystring_without_page(request),
        "statuses": CommissionStatus.choices,
    }
    return render(request, "onboarding/commission_list.html", context)


def _rows(commissions):
    for c in commissions.iterator(chunk_size=2000):
        yield [
            c.created_at.date().isoformat(),
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
    if kind == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(_rows(commissions))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Commissions")
        sheet.append(EXPORT_COLUMNS)
        for row in _rows(commissions):
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="commissions.{kind}"'
    return response


@admin_required
@require_POST
def commission_action(request, pk: int, action: str):
    commission = get_object_or_404(Commission, pk=pk)
    try:
        if action == "approve":
            commission_approve(actor=request.user, commission=commission)
            messages.success(request, f"Approved ₹{commission.amount} for {commission.exporter}.")
        elif action == "pay":
            form = PaymentForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Enter the payment reference (e.g. the UTR number).")
            commission_mark_paid(actor=request.user, commission=commission, **form.cleaned_data)
            messages.success(request, f"Marked ₹{commission.amount} for {commission.exporter} as paid.")
        elif action == "reverse":
            form = ReversalForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Give the reason for the reversal.")
            commission_reverse(actor=request.user, commission=commission, **form.cleaned_data)
            messages.success(request, f"Reversed ₹{commission.amount} for {commission.exporter}.")
    except (ValidationError, PermissionDenied) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    return redirect(request.POST.get("next") or "onboarding:commission-list")


@admin_required
def commission_rules(request, pk: int | None = None):
    rule = get_object_or_404(CommissionRule, pk=pk) if pk else None
    form = CommissionRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        commission_rule_save(actor=request.user, rule=form.save(commit=False))
        messages.success(request, f"Saved: ₹{form.instance.amount} for “{form.instance.stage}”.")
        return redirect("onboarding:commission-rules")
    rules = CommissionRule.objects.select_related("stage")
    return render(request, "onboarding/commissionrule_list.html", {"rules": rules, "form": form, "rule": rule})
