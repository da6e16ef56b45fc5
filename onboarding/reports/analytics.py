"""The analytics pages' tables, read from the outcome summaries (stored, or built in memory for
a monthly pack). Every table is a `Table`: the page shows it, downloads it as CSV or XLSX, and
the monthly pack writes it as a sheet and a PDF section.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import OutcomeRefresh, OutcomeSummary
from ..models.outcomes import OUTCOMES_VERSION, SummaryKind
from ..validators import country_name
from .outcomes import CURVE_DAYS, STOREFRONT, curve, median, merge, percentile_cont, share, week_start


@dataclass
class Table:
    slug: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""
    money: tuple[int, ...] = ()  # columns in rupees, shown as ₹ on pages (plain numbers in files)


@dataclass
class Scope:
    """What a page shows: cohort months from `start` to `end` (first days), one slice, one stage."""

    start: date
    end: date
    dimension: str = "all"
    key: str = ""
    stage: str = STOREFRONT
    by: str = ""

    @property
    def last_day(self) -> date:
        return (self.end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)

    def months(self) -> list[date]:
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        return months


class StoredSource:
    """Summary rows from the table the refresh writes; none while they are of another
    OUTCOMES_VERSION (stale until the next refresh rebuilds them, never misread)."""

    @cached_property
    def refresh(self) -> OutcomeRefresh | None:
        """The last refresh (its "as of"), when it wrote figures of this OUTCOMES_VERSION."""
        return OutcomeRefresh.objects.filter(pk=1, version=OUTCOMES_VERSION).first()

    def rows(self, kind: str, dimension: str, key: str | None = None, stages=None, since: date | None = None):
        """Rows of one kind and dimension (of one key, of some stages, of periods from `since`)."""
        if self.refresh is None:
            return []
        found = OutcomeSummary.objects.filter(kind=kind, dimension=dimension)
        if key is not None:
            found = found.filter(key=key)
        if stages is not None:
            found = found.filter(stage__in=list(stages))
        if since is not None:
            found = found.filter(period__gte=since)
        return list(found.order_by().values_list("key", "period", "stage", "figures"))


class MemorySource:
    """The same rows, unsaved: what a monthly pack reads."""

    def __init__(self, summaries: list[OutcomeSummary]):
        self.by_slice = defaultdict(list)
        for s in summaries:
            self.by_slice[(s.kind, s.dimension)].append((s.key, s.period, s.stage, s.figures))

    def rows(self, kind: str, dimension: str, key: str | None = None, stages=None, since: date | None = None):
        return [
            row
            for row in self.by_slice[(kind, dimension)]
            if (key is None or row[0] == key)
            and (stages is None or row[2] in stages)
            and (since is None or (row[1] is not None and row[1] >= since))
        ]


SPLIT_HEADER = [
    gettext_lazy("Exporters assigned"),
    gettext_lazy("Reached"),
    gettext_lazy("Reached %"),
    gettext_lazy("Median days"),
    gettext_lazy("80th percentile days"),
]


def _split_header() -> list[str]:
    return [str(label) for label in SPLIT_HEADER]


def _month(month: date) -> str:
    """A cohort's or a month's label, "Oct 2026", in the page's language."""
    return date_format(month, "M Y")


def _in(scope: Scope, period) -> bool:
    return period is not None and scope.start <= period <= scope.last_day


def cohort_age(month: date, today: date) -> int:
    """Days a cohort (its month's first day) has had by `today`: its curve is read no further."""
    return max((today - month).days, 0)


def milestone_tables(source, scope: Scope, stages: list, today: date | None = None) -> dict:
    """Days from assignment to each stage, per cohort and overall; the cohorts' cumulative curves,
    each stopping at the cohort's age on `today` (a weeks-old cohort has no day-300 figure)."""
    today = today or timezone.localdate()
    rows = [r for r in source.rows(SummaryKind.MILESTONE, scope.dimension, scope.key) if _in(scope, r[1])]
    sizes = {period: figures.get("n", 0) for _k, period, stage, figures in rows if stage == ""}
    total = sum(sizes.values())
    by_stage = defaultdict(list)
    for _key, period, stage, figures in rows:
        if stage:
            by_stage[stage].append((period, figures.get("days", {})))
    overall = Table("time-to-stage", _("Days from assignment to each stage"), [_("Stage"), *_split_header()[1:]])
    for stage in stages:
        days = merge(h for _p, h in by_stage[stage.code])
        reached = sum(days.values())
        overall.rows.append([str(stage), reached, share(reached, total), median(days), percentile_cont(days, 0.8)])
    chosen = dict(by_stage[scope.stage])
    name = next((s.name for s in stages if s.code == scope.stage), scope.stage)
    cohorts = Table(
        "cohorts",
        _("%(stage)s: by cohort (month of assignment)") % {"stage": name},
        [_("Cohort"), *_split_header()],
        note=_("A cohort with no exporters shows dashes."),
    )
    series = []
    for month in scope.months():
        if month > today:  # a cohort of a month to come has nobody in it yet, not zero
            break
        histogram, size = chosen.get(month, {}), sizes.get(month, 0)
        reached = sum(histogram.values())
        cohorts.rows.append(
            [
                _month(month),
                size,
                reached,
                share(reached, size),
                median(histogram),
                percentile_cont(histogram, 0.8),
            ]
        )
        if size:
            age = cohort_age(month, today)
            values = [
                value if day <= age else None for day, value in zip(CURVE_DAYS, curve(histogram, size), strict=True)
            ]
            series.append({"label": _month(month), "values": values})
    chart = {"labels": [_("Day %(day)s") % {"day": d} for d in CURVE_DAYS], "series": series[-12:]}
    curve_table = Table(
        "curve",
        _("%(stage)s: %% of each cohort reached after N days") % {"stage": name},
        [_("Cohort"), *[_("Day %(day)s") % {"day": d} for d in CURVE_DAYS[::4]]],
    )
    curve_table.rows = [[s["label"], *s["values"][::4]] for s in series]
    if series:
        curve_table.note = _("A cohort's row stops at its age today: later days have not happened for it yet.")
        # Trim the chart's days to the oldest shown cohort's age: no empty run to day 364.
        last = max(i for s in chart["series"] for i, v in enumerate(s["values"]) if v is not None)
        chart["labels"] = chart["labels"][: last + 1]
        chart["series"] = [{**s, "values": s["values"][: last + 1]} for s in chart["series"]]
    return {"overall": overall, "cohorts": cohorts, "curve_table": curve_table, "curve_chart": chart}


def dwell_table(source, scope: Scope, stages: list) -> Table:
    rows = [r for r in source.rows(SummaryKind.DWELL, scope.dimension, scope.key) if _in(scope, r[1])]
    by_stage = defaultdict(list)
    for _key, _period, stage, figures in rows:
        by_stage[stage].append(figures.get("days", {}))
    table = Table(
        "dwell",
        _("Days spent in each stage (finished stays) against the SLA"),
        [
            _("Stage"),
            _("Finished stays"),
            _("Median days"),
            _("80th percentile days"),
            _("SLA days"),
            _("Within SLA %"),
        ],
    )
    for stage in stages:
        days = merge(by_stage[stage.code])
        done = sum(days.values())
        within = sum(n for d, n in days.items() if d <= stage.sla_days)
        table.rows.append(
            [str(stage), done, median(days), percentile_cont(days, 0.8), stage.sla_days, share(within, done)]
        )
    return table


def split_table(source, scope: Scope, stages: list, names: dict[str, str]) -> Table:
    """The chosen stage's figures per startup, state, sector or MSME category."""
    # Only the period's cohorts leave the database: at 500 startups this is the largest read of any page.
    rows = source.rows(SummaryKind.MILESTONE, scope.by, stages=("", scope.stage), since=scope.start)
    sizes, days = defaultdict(int), defaultdict(list)
    for key, period, stage, figures in rows:
        if _in(scope, period):
            if stage:
                days[key].append(figures.get("days", {}))
            else:
                sizes[key] += figures.get("n", 0)
    name = next((s.name for s in stages if s.code == scope.stage), scope.stage)
    table = Table(
        f"by-{scope.by}",
        _("%(stage)s: by %(split)s") % {"stage": name, "split": str(BY_LABELS.get(scope.by, scope.by))},
        [str(BY_LABELS.get(scope.by, scope.by)).capitalize(), *_split_header()],
    )
    for key in sorted(sizes, key=lambda k: names.get(k, k or "~")):
        histogram = merge(days[key])
        reached = sum(histogram.values())
        label = names.get(key) or key or _("Not recorded")
        table.rows.append(
            [label, sizes[key], reached, share(reached, sizes[key]), median(histogram), percentile_cont(histogram, 0.8)]
        )
    return table


BY_LABELS = {
    "startup": gettext_lazy("startup"),
    "state": gettext_lazy("state"),
    "sector": gettext_lazy("sector"),
    "msme": gettext_lazy("MSME category"),
}
TREND_COLUMNS = [
    ("assigned", gettext_lazy("Assigned")),
    ("forward", gettext_lazy("Moved forward")),
    ("storefront_live", gettext_lazy("Storefront live")),
    ("first_order", gettext_lazy("First order")),
    ("stalled", gettext_lazy("Stalled")),
]


def so_far() -> str:
    """The mark of the week or month in progress, " (so far)", in the page's language."""
    return " " + _("(so far)")


def trend_table(source, scope: Scope, today: date | None = None) -> tuple[Table, dict]:
    """Per week (Monday first): exporters assigned, stage moves, storefronts, first orders, stalls.
    Weeks after `today`'s are left out (they have no figures, not zero ones); today's week is
    labelled "(so far)" and the chart marks it as `partial`."""
    today = today or timezone.localdate()
    this_week = week_start(today)
    # A week is "so far" until its Sunday has passed (a pack's "today" may be a month's last day).
    partial_week = this_week if today < this_week + timedelta(days=6) else None
    first_week = week_start(scope.start)
    rows = {
        period: figures
        for _key, period, _stage, figures in source.rows(SummaryKind.TREND, scope.dimension, scope.key)
        if period is not None and first_week <= period <= scope.last_day
    }
    table = Table("weeks", _("Week by week"), [_("Week from"), *[str(label) for _c, label in TREND_COLUMNS]])
    mark = so_far()
    week, weeks = first_week, []
    while week <= scope.last_day and week <= this_week:
        weeks.append(week)
        figures = rows.get(week, {})
        label = date_format(week, "d M Y") + (mark if week == partial_week else "")
        table.rows.append([label, *[figures.get(code, 0) for code, _l in TREND_COLUMNS]])
        week += timedelta(days=7)
    chart = {
        "labels": [date_format(w, "d M") + (mark if w == partial_week else "") for w in weeks],
        "partial": len(weeks) - 1 if weeks and weeks[-1] == partial_week else None,
        "series": [
            {"label": str(label), "values": [row[i + 1] for row in table.rows]}
            for i, (_c, label) in enumerate(TREND_COLUMNS)
        ],
    }
    return table, chart


def _outcome_sum(rows) -> tuple[int, int, Decimal]:
    inquiries = sum(f.get("inquiries", 0) for f in rows)
    orders = sum(f.get("orders", 0) for f in rows)
    return inquiries, orders, sum((Decimal(f.get("value_usd", "0")) for f in rows), Decimal("0"))


def outcome_tables(
    source, scope: Scope, names: dict[str, dict[str, str]], today: date | None = None
) -> dict[str, Table]:
    """First inquiries, first orders and their value (USD) by month, buyer country, state and sector;
    no month after `today`'s, and today's labelled "(so far)"."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    partial_month = this_month if (today + timedelta(days=1)).month == today.month else None
    header = [_("Inquiries (first)"), _("Orders (first)"), _("Order value (USD)")]
    mark, not_recorded = so_far(), _("Not recorded")
    mine = [r for r in source.rows(SummaryKind.OUTCOME, scope.dimension, scope.key) if _in(scope, r[1])]
    month = Table("by-month", _("By month"), [_("Month"), *header])
    for m in scope.months():
        if m > this_month:
            break
        label = _month(m) + (mark if m == partial_month else "")
        month.rows.append([label, *_outcome_sum([f for _k, p, s, f in mine if p == m and not s])])
    countries = defaultdict(list)
    for _k, _p, stage, figures in mine:
        if stage.startswith("country:"):
            countries[stage.removeprefix("country:")].append(figures)
    country = Table("by-country", _("By buyer country"), [_("Buyer country"), *header])
    # Countries by name, as people look them up ("United Arab Emirates", not "AE").
    country.rows = sorted(
        [country_name(code) if code else not_recorded, *_outcome_sum(countries[code])] for code in countries
    )
    tables = {"month": month, "country": country}
    for dimension, title, by_title in (("state", _("State"), _("By state")), ("sector", _("Sector"), _("By sector"))):
        per_key = defaultdict(list)
        for key, period, _stage, figures in source.rows(
            SummaryKind.OUTCOME, dimension, stages=("",), since=scope.start
        ):
            if _in(scope, period):
                per_key[key].append(figures)
        table = Table(f"by-{dimension}", by_title, [title, *header], note=_("The whole programme."))
        labels = names.get(dimension, {})
        table.rows = sorted(([labels.get(k) or k or not_recorded, *_outcome_sum(v)] for k, v in per_key.items()))
        tables[dimension] = table
    return tables
