"""The analytics pages under /reports/: read from the outcome summaries, never from the event
tables, so each answers in a handful of queries whatever the programme's size."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..forms.analytics import AnalyticsFilterForm, MonthlyReportForm
from ..models import ConfirmationRequest, Dispute, Exporter, MonthlyReport, Stage, Startup
from ..reports.analytics import (
    Scope,
    StoredSource,
    dwell_table,
    milestone_tables,
    outcome_tables,
    so_far,
    split_table,
    trend_table,
)
from ..reports.monthly import dimension_names, for_people
from ..reports.scorecards import (
    COLUMNS,
    programme_median,
    scorecard_table,
    scorecards,
    sort_cards,
    with_confirmations,
    with_open_disputes,
)
from ..services.monthly_reports import monthly_report_request
from ..spreadsheets import xlsx_sheets_bytes
from .access import member_required, report_refusal, staff_required
from .downloads import download_name, download_response, file_response, private_file_response


def _download(request, tables: list, name: str):
    """`?format=csv|xlsx[&table=slug]`: one table as CSV, or XLSX of one table or (without `table`) all."""
    kind = request.GET.get("format")
    if not kind:
        return None
    slug = request.GET.get("table", "")
    chosen = [t for t in tables if t.slug == slug] if slug else tables
    if not chosen:
        raise Http404("There is no such table on this page.")
    if kind == "xlsx" and len(chosen) > 1:
        content = xlsx_sheets_bytes((t.slug, t.header, for_people(t).rows) for t in chosen)
        return file_response(content, "xlsx", download_name(request, name, "xlsx"))
    table = for_people(chosen[0])
    filename = download_name(request, f"{name}-{table.slug}", kind)
    return download_response(kind, filename, table.header, table.rows, sheet=table.slug[:31])


def _page(request, template: str, context: dict, tables: list, name: str, source: StoredSource):
    download = _download(request, tables, name)
    if download is not None:
        return download
    # Figures of another OUTCOMES_VERSION are not shown: the page says they are being prepared.
    # Rounded as people read them, on the page and in its downloads: 51.4, never 51.349999999999994.
    context.update(tables=[for_people(t) for t in tables], as_of=source.refresh, query=request.GET.urlencode())
    return render(request, template, context)


def _filters(request, stages) -> tuple[AnalyticsFilterForm, Scope]:
    form = AnalyticsFilterForm(request.GET or None, stages=stages)
    return form, Scope(**form.scope_values())


@staff_required
def milestones(request):
    """Days from assignment to each stage by cohort, the cohorts' curves, dwell against SLA, splits."""
    stages = list(Stage.objects.ordered())
    form, scope = _filters(request, stages)
    source = StoredSource()
    figures = milestone_tables(source, scope, stages)
    tables = [figures["overall"], figures["cohorts"], figures["curve_table"], dwell_table(source, scope, stages)]
    if scope.by:
        tables.insert(2, split_table(source, scope, stages, dimension_names(scope.by)))
    context = {"form": form, "scope": scope, "curve_chart": figures["curve_chart"]}
    return _page(request, "onboarding/analytics_milestones.html", context, tables, "time-to-milestone", source)


@staff_required
def trends(request):
    """Week by week: assigned, moved forward, storefronts live, first orders, stalled."""
    form, scope = _filters(request, list(Stage.objects.ordered()))
    source = StoredSource()
    table, chart = trend_table(source, scope)
    context = {"form": form, "chart": chart}
    return _page(request, "onboarding/analytics_trends.html", context, [table], "trends", source)


@staff_required
def outcomes(request):
    """First inquiries, first orders and order value (USD) by month, buyer country, state and sector."""
    form, scope = _filters(request, list(Stage.objects.ordered()))
    names = {"state": dimension_names("state"), "sector": dimension_names("sector")}
    source = StoredSource()
    tables = list(outcome_tables(source, scope, names).values())
    month = tables[0]
    partial = len(month.rows) - 1 if month.rows and month.rows[-1][0].endswith(so_far()) else None
    chart = {
        "labels": [row[0] for row in month.rows],
        "series": [{"label": _("First inquiries"), "values": [r[1] for r in month.rows]},
                   {"label": _("First orders"), "values": [r[2] for r in month.rows]}],
        "partial": partial,
    }  # fmt: skip
    context = {"form": form, "chart": chart, "filtered": scope.dimension != "all"}
    return _page(request, "onboarding/analytics_outcomes.html", context, tables, "export-outcomes", source)


@member_required
def scorecards_view(request):
    """Every startup's scorecard for staff; a startup's own beside the programme median for its people."""
    rows = Startup.objects.values_list("pk", "brand_name", "legal_name", "capacity")
    startups = {pk: (brand or legal, capacity) for pk, brand, legal, capacity in rows}
    source = StoredSource()
    cards = with_open_disputes(scorecards(source, startups), Dispute.objects.open().count_by_startup())
    cards = with_confirmations(cards, ConfirmationRequest.objects.rates(timezone.now()))
    median_row = programme_median(cards)
    preparing = False
    if not request.user.is_programme_staff:
        # Other startups' rows never leave the server: only the median made from them does.
        own = request.user.startup.pk
        cards = [card for card in cards if card["startup_id"] == own]
        # Exporters given since the last refresh have no card yet: "being prepared", not "no figures".
        preparing = not cards and Exporter.objects.filter(startup_id=own).exists()
    sort = request.GET.get("sort", "name")
    cards = sort_cards(cards, sort)
    table = scorecard_table(cards, median_row)
    context = {"cards": cards, "median": median_row, "columns": COLUMNS, "sort": sort, "preparing": preparing}
    return _page(request, "onboarding/analytics_scorecards.html", context, [table], "scorecards", source)


@staff_required
def monthly_reports(request):
    """The frozen packs, newest first; admins build one for a finished month."""
    form = MonthlyReportForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                version = monthly_report_request(actor=request.user, month=form.cleaned_data["month"])
            except ValidationError as refusal:
                # A field's refusal shows beside it; anything else (the role) as a message.
                report_refusal(request, refusal, form if hasattr(refusal, "error_dict") else None)
            else:
                month = form.cleaned_data["month"]
                messages.success(
                    request,
                    _("Building the %(month)s report (v%(version)s): it is listed here in a minute.")
                    % {"month": date_format(month, "F Y"), "version": version},
                )
                return redirect("onboarding:analytics-monthly")
        messages.error(request, _("The report was not built: see the month below."))
    reports = MonthlyReport.objects.listed()
    return render(request, "onboarding/analytics_monthly.html", {"form": form, "reports": reports})


@staff_required
def monthly_report_file(request, pk: int, kind: str):
    report = get_object_or_404(MonthlyReport, pk=pk)
    if kind not in ("xlsx", "pdf"):
        raise Http404("Packs come as .xlsx or .pdf.")
    return private_file_response(getattr(report, kind), report.file_name(kind))
