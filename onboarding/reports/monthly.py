"""What a frozen monthly pack holds: the analytics tables as they stood at the month's end,
with the commission summary and the assignment distribution."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Commission, Sector, StageEvent, Startup
from ..models.commissions import CommissionStatus
from ..models.stages import StageEventStatus
from ..reference import GSTIN_ONLY_STATES, STATE_CHOICES, MsmeCategory, state_name
from .analytics import Scope, Table, dwell_table, milestone_tables, outcome_tables, trend_table
from .outcomes import Journey
from .scorecards import programme_median, scorecard_table, scorecards


def dimension_names(dimension: str) -> dict[str, str]:
    """Summary keys -> names people read, for one dimension."""
    if dimension == "startup":
        return {
            str(pk): brand or legal
            for pk, brand, legal in Startup.objects.values_list("pk", "brand_name", "legal_name")
        }
    if dimension == "sector":
        return {str(pk): f"{code} · {name}" for pk, code, name in Sector.objects.values_list("pk", "code", "name")}
    if dimension == "msme":
        return dict(MsmeCategory.choices)
    if dimension == "state":
        return {**dict(STATE_CHOICES), **GSTIN_ONLY_STATES}
    return {}


def year_to(month: date) -> Scope:
    """The twelve cohorts ending with `month`."""
    start = month
    for _month in range(11):
        start = (start - timedelta(days=1)).replace(day=1)
    return Scope(start=start, end=month)


def distribution_tables(journeys: list[Journey], last_day: date, startups: dict[int, tuple[str, int]]) -> list[Table]:
    """Exporters held at the month's end, per startup against capacity and per state."""
    open_ = [j for j in journeys if j.assigned_on <= last_day and (j.ended_on is None or j.ended_on > last_day)]
    held = Counter(j.startup_id for j in open_)
    by_startup = Table(
        "distribution", _("Exporters held at the month's end"), [_("Startup"), _("Held"), _("Capacity"), _("Load %")]
    )
    for pk, (name, capacity) in sorted(startups.items(), key=lambda item: item[1][0]):
        if held[pk] or capacity:
            load = round(100 * held[pk] / capacity, 1) if capacity else None
            by_startup.rows.append([name, held[pk], capacity, load])
    by_state = Table("distribution-state", _("Exporters held at the month's end, by state"), [_("State"), _("Held")])
    by_state.rows = sorted([state_name(code), n] for code, n in Counter(j.state for j in open_).items())
    return [by_startup, by_state]


COMMISSION_NOTE = gettext_lazy(
    "Each column counts money by its own date, in India time: accrued counts commission entries made in the "
    "month (a reversal subtracts on the day it was made); approved counts entries approved in the month; paid "
    "counts payments made in the month, by the day the money was paid, so a commission paid on the 4th of the "
    "next month is in the next month's pack; unpaid counts entries made up to the month's end and not paid by then."
)


def commission_table(start: datetime, until: datetime) -> Table:
    """Commission money per startup for the month from `start` to `until`, each figure by its own date."""
    table = Table(
        "commissions", _("Commissions by startup: the month's money, each by its own date"),
        [_("Startup"), _("Accrued in the month (₹)"), _("Approved in the month (₹)"), _("Paid in the month (₹)"),
         _("Unpaid at the month's end (₹)")],
        note=str(COMMISSION_NOTE), money=(1, 2, 3, 4),
    )  # fmt: skip

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": start, f"{field}__lt": until})

    # A reversal has no approval of its own: it is payable (approved) from the day it is made.
    reversal_approved = Q(approved_at__isnull=True, reverses__isnull=False) & ~Q(status=CommissionStatus.ACCRUED)
    figures = {
        "accrued": Sum("amount", filter=within("created_at")),
        "approved": Sum("amount", filter=within("approved_at") | (reversal_approved & within("created_at"))),
        "paid": Sum("amount", filter=within("paid_at")),
        "unpaid": Sum("amount", filter=Q(paid_at__isnull=True) | Q(paid_at__gte=until)),
    }
    rows = (
        Commission.objects.filter(created_at__lt=until)
        .order_by()
        .values_list("startup_id", "startup__brand_name", "startup__legal_name")
        .annotate(**figures)
    )
    zero = Decimal("0")
    named = sorted(((brand or legal, [f or zero for f in sums]) for _pk, brand, legal, *sums in rows))
    rows = [[name, *sums] for name, sums in named if any(sums)]
    # The total leads, like the scorecards' median: the PDF shows only a table's first rows.
    total = [_("All startups"), *(sum((row[i] for row in rows), zero) for i in range(1, 5))]
    table.rows = [total, *rows] if rows else []
    return table


def unconfirmed_table(since, until) -> Table:
    """Claims approved in [since, until) without the exporter's confirmation of the contact,
    each with the officer's reason: the count is in the title, every one is listed."""
    rows = (
        StageEvent.objects.filter(status=StageEventStatus.APPROVED, reviewed_at__gte=since, reviewed_at__lt=until)
        .exclude(unconfirmed_reason="")
        .order_by("reviewed_at", "pk")
        .values_list(
            "reviewed_at", "exporter__legal_name", "exporter__gstin", "startup__brand_name", "startup__legal_name",
            "stage__name", "reviewed_by__first_name", "reviewed_by__last_name", "reviewed_by__email",
            "unconfirmed_reason",
        )
    )  # fmt: skip
    header = [_("Approved on"), _("Exporter"), "GSTIN", _("Startup"), _("Stage"), _("Approved by"), _("Reason")]
    table = Table("unconfirmed", "", header)
    for at, exporter, gstin, brand, legal, stage, first, last, email, reason in rows:
        officer = f"{first} {last}".strip() or email or ""
        table.rows.append([timezone.localdate(at), exporter, gstin, brand or legal, stage, officer, reason])
    count = len(table.rows)
    table.title = ngettext(
        "Approved without the exporter's confirmation: %(count)s claim",
        "Approved without the exporter's confirmation: %(count)s claims",
        count,
    ) % {"count": count}
    table.note = _(
        "Officers may approve “Contacted” before the exporter confirms a call or visit that reached them, "
        "giving a reason; each such approval of the month is listed here."
    )
    return table


def pack_tables(source, *, month: date, stages: list, startups: dict[int, tuple[str, int]]) -> list[Table]:
    """Every table of the pack for `month`, from summaries built up to its end."""
    scope = year_to(month)
    # The pack's "today" is the month's last day: cohorts' ages and the last (partial) week stop there.
    milestones = milestone_tables(source, scope, stages, today=scope.last_day)
    weeks, _chart = trend_table(source, Scope(start=month, end=month), today=scope.last_day)
    names = {"state": dimension_names("state"), "sector": dimension_names("sector")}
    outcomes = outcome_tables(source, scope, names, today=scope.last_day)
    cards = scorecards(source, startups)
    cards.sort(key=lambda c: c["name"])
    scores = scorecard_table(cards, programme_median(cards))
    scores.note = f"{SCORECARD_MONEY_NOTE} {scores.note}"
    return [
        milestones["overall"],
        milestones["cohorts"],
        dwell_table(source, scope, stages),
        weeks,
        *outcomes.values(),
        scores,
    ]


SCORECARD_MONEY_NOTE = gettext_lazy(
    "Commission earned counts entries made up to the month's end (net of reversals); commission paid counts "
    "what was paid up to the month's end, by the day it was paid."
)


def for_people(table: Table) -> Table:
    """The table with medians, shares and amounts rounded as people read them (the XLSX too): a
    figure to one decimal, an amount to the paisa, never a float's tail like 42.550000000000004."""
    rounded = []
    for row in table.rows:
        cells = []
        for cell in row:
            if isinstance(cell, Decimal):  # amounts (rupees, dollars): to the paisa or cent
                cell = cell.quantize(Decimal("0.01"))
            elif isinstance(cell, float):  # halves up, as people round: 12.25 → 12.3
                cell = float(Decimal(str(cell)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            cells.append(cell)
        rounded.append(cells)
    table.rows = rounded
    return table
