"""Payout runs (admins) and the payout statements a startup's managers file."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from ..forms.payouts import BankResponseForm, PayoutPayForm, PayoutRunForm, TdsYearForm
from ..models import Payout, PayoutRun
from ..models.payouts import payee_ids
from ..models.tax_rules import financial_year
from ..models.users import Role
from ..pagination import paginate
from ..reference import rupees
from ..reports.bank_files import BANK_FILE_HEADER, bank_file_name, bank_file_rows, read_response
from ..reports.pdf import pdf_bytes
from ..services.payouts import payout_pay, payout_run_create, payout_run_settle, statement_lines
from ..spreadsheets import csv_bytes, xlsx_bytes
from .access import admin_required, object_view, report_refusal, role_required
from .downloads import download_response, file_response, requested_format

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
            messages.success(
                request,
                _("Made the payout run for %(period)s: record each startup's UTR.") % {"period": run.period_label},
            )
            return redirect(run)
    page = paginate(request, PayoutRun.objects.for_list(), per_page=25)
    return render(request, "onboarding/payout_list.html", {"page": page, "form": form})


def _run_page(request, run: PayoutRun, forms: dict | None = None, status: int = 200, **extra) -> HttpResponse:
    payouts = list(
        run.payouts.select_related("startup__bank_account", "paid_by", "run").order_by("startup__legal_name")
    )
    forms = forms or {}
    for payout in payouts:
        payout.form = forms.get(payout.pk) or PayoutPayForm(auto_id=f"utr-{payout.pk}-%s")
    context = {
        "run": run,
        "payouts": payouts,
        "total": sum((p.amount for p in payouts), Decimal("0")),
        "paid": sum((p.net for p in payouts if p.is_paid), Decimal("0")),
        "to_bank": [p for p in payouts if not (p.is_paid or p.is_failed or p.is_held)],
        "response_form": extra.pop("response_form", None) or BankResponseForm(),
        **extra,
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
            messages.success(
                request,
                _("Paid %(amount)s to %(startup)s: every line is marked paid.")
                % {"amount": rupees(payout.amount), "startup": payout.startup},
            )
            return redirect(payout.run)
    messages.error(request, _("%(startup)s was not marked paid: see the UTR below.") % {"startup": payout.startup})
    return _run_page(request, payout.run, {payout.pk: form}, status=400)


@admin_required
def payout_bank_file(request, pk: int):
    """The run's bulk-payment CSV for the bank: pending payouts to confirmed bank details only."""
    run = get_object_or_404(PayoutRun, pk=pk)
    payouts = list(run.payouts.for_bank_file())
    if not payouts:
        messages.warning(request, _("Nothing for the bank in this run: every payout is paid, failed or on hold."))
        return redirect(run)
    # No BOM: bank upload screens read plain UTF-8 (ASCII, in practice).
    return file_response(
        csv_bytes(BANK_FILE_HEADER, bank_file_rows(run, payouts), bom=False), "csv", bank_file_name(run)
    )


@admin_required
@require_POST
def payout_bank_response(request, pk: int):
    """Take back the bank's response file: a line-by-line report on the run's page."""
    run = get_object_or_404(PayoutRun, pk=pk)
    form = BankResponseForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the bank's response file to upload."))
        return _run_page(request, run, status=400, response_form=form)
    upload = form.cleaned_data["response"]
    try:
        report = payout_run_settle(actor=request.user, run=run, lines=read_response(upload.read(), upload.name))
    except (ValidationError, PermissionDenied) as exc:
        report_refusal(request, exc, form)
        messages.error(request, _("The response file was not used: nothing was changed."))
        return _run_page(request, run, status=400, response_form=form)
    done = sum(1 for r in report if r.done)
    refused = len(report) - done
    if done:
        messages.success(
            request,
            ngettext(
                "Used %(count)s line of the bank's response.", "Used %(count)s lines of the bank's response.", done
            )
            % {"count": done},
        )
    if refused:
        messages.warning(
            request,
            ngettext(
                "Refused %(count)s line: see the report below.",
                "Refused %(count)s lines: see the report below.",
                refused,
            )
            % {"count": refused},
        )
    return _run_page(request, run, report=report)


def _statement_rows(payout: Payout, earnings, reversals) -> list[list[object]]:
    startup = payout.startup
    pan, gstin = payee_ids(startup)
    rows: list[list[object]] = [
        [_("DPIIT number"), startup.dpiit_number],
        ["GSTIN", gstin or _("Not on record")],
        ["PAN", pan or _("Not on record")],
        [
            _("Bank account"),
            account.masked_number if (account := getattr(startup, "bank_account", None)) else _("Not on record"),
        ],
        ["IFSC", account.ifsc if account else ""],
        [_("Period"), payout.run.period_label],
        [_("Payment reference (UTR)"), payout.payment_reference or _not_paid(payout)],
        [_("Paid on"), timezone.localtime(payout.paid_at).date() if payout.paid_at else ""],
        [],
        [_("Date"), _("Exporter"), "GSTIN", _("Stage"), _("Kind"), _("Amount (INR)")],
    ]
    for kind, lines in ((_("Earning"), earnings), (_("Reversal"), reversals)):
        for c in lines:
            rows.append(
                [
                    timezone.localtime(c.created_at).date(),
                    c.exporter.legal_name,
                    c.exporter.gstin,
                    str(c.stage),
                    kind,
                    c.amount,
                ]
            )
    rows += [
        [],
        [_("Earnings"), "", "", "", "", sum((c.amount for c in earnings), Decimal("0"))],
        [_("Reversals"), "", "", "", "", sum((c.amount for c in reversals), Decimal("0"))],
        [_("Gross commission"), "", "", "", "", payout.amount],
        [_tds_label(payout), "", "", "", "", -payout.tds],
        [_gst_label(payout), "", "", "", "", payout.gst],
        [_("Net paid") if payout.is_paid else _("Net due"), "", "", "", "", payout.net],
    ]
    return rows


def _not_paid(payout: Payout) -> str:
    if payout.is_failed:
        return _("Failed at the bank: %(reason)s") % {"reason": payout.failure_reason}
    return _("Not paid yet")


def _tds_label(payout: Payout) -> str:
    if payout.tds_rate is None:
        return _("TDS deducted")
    return _("TDS deducted (%(rate)s%%)") % {"rate": payout.tds_rate}


def _gst_label(payout: Payout) -> str:
    if payout.gst_rate is None:
        return _("GST added")
    return _("GST added (%(rate)s%%)") % {"rate": payout.gst_rate}


@object_view(Payout, Role.ADMIN, Role.MANAGER)
def payout_statement(request, pk: int, kind: str):
    """A startup's statement for one run, as XLSX or PDF: its own managers and admins only."""
    payout = get_object_or_404(
        Payout.objects.visible_to(request.user).select_related("run", "startup__bank_account"), pk=pk
    )
    earnings, reversals = statement_lines(payout)
    if kind == "xlsx":
        rows = _statement_rows(payout, earnings, reversals)
        header = [_("Payout statement"), payout.startup.legal_name]
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
        "payee_pan": payee_ids(payout.startup)[0],
        "payee_gstin": payee_ids(payout.startup)[1],
        "not_paid": _not_paid(payout),
    }
    response = HttpResponse(pdf_bytes("documents/payout_statement.html", context), content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{payout.statement_name("pdf")}"'
    return response


def _xlsx(header, rows, filename: str) -> HttpResponse:
    # Through the one writer (formula guard).
    content = xlsx_bytes(header, rows, sheet=_("Statement"), widths=(24, 36, 18, 22, 10, 16))
    return file_response(content, "xlsx", filename)


QUARTERS = {
    4: gettext_lazy("Q1 (Apr–Jun)"),
    7: gettext_lazy("Q2 (Jul–Sep)"),
    10: gettext_lazy("Q3 (Oct–Dec)"),
    1: gettext_lazy("Q4 (Jan–Mar)"),
}


def _tds_header() -> list[str]:
    """The TDS download's header row, in the reader's language (TDS and PAN stay as they are)."""
    quarters = [
        label % {"quarter": q} for q in QUARTERS.values() for label in (_("%(quarter)s paid"), _("%(quarter)s TDS"))
    ]
    return [_("Payee"), _("DPIIT number"), "PAN", *quarters]


def _tds_table(start, end) -> list[dict]:
    """Per payee, the amounts paid and TDS deducted in each quarter of the financial year."""
    payees: dict[int, dict] = {}
    for row in Payout.objects.tds_by_quarter(start=start, end=end):
        payee = payees.setdefault(
            row["startup_id"],
            {
                "name": row["startup__legal_name"],
                "dpiit": row["startup__dpiit_number"],
                "pan": row["startup__bank_account__pan"] or row["startup__pan"] or _("No PAN"),
                "quarters": {q: [Decimal("0"), Decimal("0")] for q in QUARTERS},
            },
        )
        # TruncQuarter: the first day of the calendar quarter, local time (April opens the first of the year).
        sums = payee["quarters"][row["quarter"].month]
        sums[0] += row["paid"]
        sums[1] += row["tds"]
    return list(payees.values())


@admin_required
def payout_tds(request):
    """The quarterly TDS summary per payee, for the TDS return: a page, CSV or Excel."""
    today_start, _year_end = financial_year(timezone.localdate())
    form = TdsYearForm(request.GET or {"year": today_start.year})
    year = form.cleaned_data["year"] if form.is_valid() else today_start.year
    start, end = financial_year(today_start.replace(year=year))
    payees = _tds_table(start, end)
    if kind := requested_format(request):
        rows = [
            [p["name"], p["dpiit"], p["pan"], *[amount for q in QUARTERS for amount in p["quarters"][q]]]
            for p in payees
        ]
        return download_response(kind, f"tds-{year}-{(year + 1) % 100:02d}.{kind}", _tds_header(), rows, sheet="TDS")
    context = {"form": form, "payees": payees, "quarters": QUARTERS, "start": start, "end": end, "year": year}
    return render(request, "onboarding/payout_tds.html", context)
