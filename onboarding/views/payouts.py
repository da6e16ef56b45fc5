"""Payout runs (admins) and the payout statements a startup's managers file."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms.payouts import PayoutPayForm, PayoutRunForm
from ..models import Payout, PayoutRun
from ..models.users import Role
from ..pagination import paginate
from ..reference import rupees
from ..reports.pdf import pdf_bytes
from ..services.payouts import payout_pay, payout_run_create, statement_lines
from ..spreadsheets import xlsx_bytes
from .access import admin_required, object_view, report_refusal, role_required
from .downloads import file_response

PDF = "application/pdf"


@role_required(Role.ADMIN, Role.MANAGER)
def payout_list(request):
    """Admins: the runs, newest first, and a form to make one. Managers: their startup's payouts."""
    if request.user.role == Role.MANAGER:
        page = paginate(request, Payout.objects.visible_to(request.user).for_list(), per_page=25)
        return render(request, "onboarding/payout_statements.html", {"page": page})
    form = PayoutRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = payout_run_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            report_refusal(request, exc, form)
        else:
            messages.success(request, f"Made the payout run for {run.period_label}: record each startup's UTR.")
            return redirect(run)
    page = paginate(request, PayoutRun.objects.for_list(), per_page=25)
    return render(request, "onboarding/payout_list.html", {"page": page, "form": form})


def _run_page(request, run: PayoutRun, forms: dict | None = None, status: int = 200) -> HttpResponse:
    payouts = list(run.payouts.select_related("startup", "paid_by").order_by("startup__legal_name"))
    forms = forms or {}
    for payout in payouts:
        payout.form = forms.get(payout.pk) or PayoutPayForm(auto_id=f"utr-{payout.pk}-%s")
    context = {
        "run": run,
        "payouts": payouts,
        "total": sum((p.amount for p in payouts), Decimal("0")),
        "paid": sum((p.amount for p in payouts if p.is_paid), Decimal("0")),
    }
    return render(request, "onboarding/payout_run.html", context, status=status)


@admin_required
def payout_run(request, pk: int):
    return _run_page(request, get_object_or_404(PayoutRun, pk=pk))


@admin_required
@require_POST
def payout_pay_view(request, pk: int):
    payout = get_object_or_404(Payout.objects.select_related("run", "startup"), pk=pk)
    form = PayoutPayForm(request.POST, auto_id=f"utr-{payout.pk}-%s")
    if form.is_valid():
        try:
            payout_pay(actor=request.user, payout=payout, **form.cleaned_data)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.warning(request, " ".join(exc.messages))
                return redirect(payout.run)
            report_refusal(request, exc, form)
        else:
            messages.success(request, f"Paid {rupees(payout.amount)} to {payout.startup}: every line is marked paid.")
            return redirect(payout.run)
    messages.error(request, f"{payout.startup} was not marked paid: see the UTR below.")
    return _run_page(request, payout.run, {payout.pk: form}, status=400)


def _statement_rows(payout: Payout, earnings, reversals) -> list[list[object]]:
    startup = payout.startup
    rows: list[list[object]] = [
        ["DPIIT number", startup.dpiit_number],
        ["GSTIN", startup.gstin or "Not on record"],
        ["PAN", startup.pan or "Not on record"],
        ["Period", payout.run.period_label],
        ["Payment reference (UTR)", payout.payment_reference or "Not paid yet"],
        ["Paid on", timezone.localtime(payout.paid_at).date() if payout.paid_at else ""],
        [],
        ["Date", "Exporter", "GSTIN", "Stage", "Kind", "Amount (INR)"],
    ]
    for kind, lines in (("Earning", earnings), ("Reversal", reversals)):
        for c in lines:
            rows.append(
                [
                    timezone.localtime(c.created_at).date(),
                    c.exporter.legal_name,
                    c.exporter.gstin,
                    c.stage.name,
                    kind,
                    c.amount,
                ]
            )
    rows += [
        [],
        ["Earnings", "", "", "", "", sum((c.amount for c in earnings), Decimal("0"))],
        ["Reversals", "", "", "", "", sum((c.amount for c in reversals), Decimal("0"))],
        ["Total paid" if payout.is_paid else "Total due", "", "", "", "", payout.amount],
    ]
    return rows


@object_view(Payout, Role.ADMIN, Role.MANAGER)
def payout_statement(request, pk: int, kind: str):
    """A startup's statement for one run, as XLSX or PDF: its own managers and admins only."""
    payout = get_object_or_404(Payout.objects.visible_to(request.user).select_related("run", "startup"), pk=pk)
    earnings, reversals = statement_lines(payout)
    if kind == "xlsx":
        rows = _statement_rows(payout, earnings, reversals)
        header = ["Payout statement", payout.startup.legal_name]
        return _xlsx(header, rows, payout.statement_name("xlsx"))
    if kind != "pdf":
        raise Http404("Statements come as .xlsx or .pdf.")
    context = {
        "payout": payout,
        "startup": payout.startup,
        "earnings": earnings,
        "reversals": reversals,
        "earned": sum((c.amount for c in earnings), Decimal("0")),
        "reversed": sum((c.amount for c in reversals), Decimal("0")),
    }
    response = HttpResponse(pdf_bytes("documents/payout_statement.html", context), content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{payout.statement_name("pdf")}"'
    return response


def _xlsx(header, rows, filename: str) -> HttpResponse:
    # Through the one writer (formula guard).
    content = xlsx_bytes(header, rows, sheet="Statement", widths=(24, 36, 18, 22, 10, 16))
    return file_response(content, "xlsx", filename)
