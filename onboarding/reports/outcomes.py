"""Outcome arithmetic: percentiles of day histograms and the summary rows built from journeys.

Pure functions over plain values, so the pages (reading stored summaries) and the monthly
pack (building them in memory up to a month's end) compute every figure the same way.

A histogram is {days: journeys}. Percentiles are PostgreSQL's `percentile_cont` (linear
interpolation between the two nearest ranks), computed from the histogram, which is exact
for any union of cohorts: summing histograms loses nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ..models.outcomes import SummaryKind

# Days after assignment at which a cohort's cumulative curve is read (weekly, one year).
CURVE_DAYS = tuple(range(0, 365, 7))
STOREFRONT, FIRST_INQUIRY, FIRST_ORDER = "storefront_live", "first_inquiry", "first_order"
# The slices every figure is kept for; a page filter picks one.
SLICES = ("all", "startup", "state", "sector", "msme")


def percentile_cont(histogram: dict, fraction: float) -> float | None:
    """The `fraction` percentile (0–1) of the values a histogram counts, interpolated like
    PostgreSQL's percentile_cont; None when it counts nothing."""
    counts = sorted((int(value), n) for value, n in histogram.items() if n)
    total = sum(n for _value, n in counts)
    if not total:
        return None
    position = fraction * (total - 1)
    below, above = int(position), min(int(position) + 1, total - 1)
    low = high = None
    seen = 0
    for value, n in counts:
        if low is None and below < seen + n:
            low = value
        if above < seen + n:
            high = value
            break
        seen += n
    return round(low + (high - low) * (position - below), 1)


def median(histogram: dict) -> float | None:
    return percentile_cont(histogram, 0.5)


def merge(histograms: Iterable[dict]) -> Counter:
    total: Counter = Counter()
    for histogram in histograms:
        total.update({int(value): n for value, n in histogram.items()})
    return total


def curve(histogram: dict, size: int) -> list[float | None]:
    """Per CURVE_DAYS day: the percentage of a cohort of `size` that had reached the stage by then."""
    if not size:
        return [None for _day in CURVE_DAYS]
    values = sorted((int(day), n) for day, n in histogram.items())
    points, reached, index = [], 0, 0
    for day in CURVE_DAYS:
        while index < len(values) and values[index][0] <= day:
            reached += values[index][1]
            index += 1
        points.append(round(100 * reached / size, 1))
    return points


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def month_start(day: date) -> date:
    return day.replace(day=1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Journey:
    """A journey as the arithmetic needs it (a row of ExporterJourney)."""

    startup_id: int
    state: str
    sector_id: int | None
    msme_category: str
    cohort: date
    assigned_on: date
    ended_on: date | None
    reached: dict[str, date]
    first_inquiry_on: date | None = None
    inquiry_country: str = ""
    first_order_on: date | None = None
    order_country: str = ""
    order_value_usd: Decimal | None = None

    def slices(self) -> list[tuple[str, str]]:
        return [
            ("all", ""),
            ("startup", str(self.startup_id)),
            ("state", self.state),
            ("sector", str(self.sector_id or "")),
            ("msme", self.msme_category),
        ]

    def until(self, last_day: date) -> Journey:
        """The journey as it stood at the end of `last_day`: later reaches and outcomes forgotten."""
        reached = {code: day for code, day in self.reached.items() if day <= last_day}
        inquiry = self.first_inquiry_on if self.first_inquiry_on and self.first_inquiry_on <= last_day else None
        order = self.first_order_on if self.first_order_on and self.first_order_on <= last_day else None
        ended = self.ended_on if self.ended_on and self.ended_on <= last_day else None
        return Journey(
            self.startup_id, self.state, self.sector_id, self.msme_category, self.cohort, self.assigned_on, ended,
            reached, inquiry, self.inquiry_country if inquiry else "", order,
            self.order_country if order else "", self.order_value_usd if order else None,
        )  # fmt: skip


@dataclass
class Summaries:
    """Summary rows keyed (kind, dimension, key, period, stage) -> figures."""

    rows: dict[tuple, dict] = field(default_factory=dict)

    def figures(self, kind: str, dimension: str, key: str, period: date | None, stage: str = "") -> dict:
        return self.rows.setdefault((kind, dimension, key, period, stage), {})

    def add(self, kind, dimension, key, period, stage, name: str, amount=1) -> None:
        figures = self.figures(kind, dimension, key, period, stage)
        figures[name] = figures.get(name, 0) + amount

    def count_day(self, kind, dimension, key, period, stage, days: int) -> None:
        histogram = self.figures(kind, dimension, key, period, stage).setdefault("days", {})
        histogram[str(days)] = histogram.get(str(days), 0) + 1


def stage_steps(journey: Journey, codes: list[str]) -> list[tuple[str, date, date | None]]:
    """(stage, reached on, next stage reached on or None) for each stage the journey reached, in order."""
    reached = [(code, journey.reached[code]) for code in codes if code in journey.reached]
    return [(code, day, reached[i + 1][1] if i + 1 < len(reached) else None) for i, (code, day) in enumerate(reached)]


def stalled_on(journey: Journey, steps, sla_days: dict[str, int], today: date) -> list[date]:
    """Days the journey went past a stage's SLA without moving on (or leaving), up to today."""
    days = []
    for code, day, left in steps:
        over = day + timedelta(days=sla_days.get(code, 0) + 1)
        stop = min(d for d in (left, journey.ended_on, today + timedelta(days=1)) if d is not None)
        if over < stop:
            days.append(over)
    return days


def build_summaries(journeys: Iterable[Journey], *, codes: list[str], sla_days: dict[str, int], today: date):
    """Every milestone, dwell, trend and outcome summary row for these journeys (in stage order `codes`)."""
    out = Summaries()
    for journey in journeys:
        steps = stage_steps(journey, codes)
        for dimension, key in journey.slices():
            _count_journey(out, journey, steps, dimension, key, codes)
            _count_weeks(out, journey, steps, dimension, key, sla_days, today)
            _count_outcomes(out, journey, dimension, key)
    return out


def _count_journey(out: Summaries, journey: Journey, steps, dimension: str, key: str, codes: list[str]) -> None:
    # The cohort's size sits on the stage-less row; stage rows exist only once someone reached it.
    out.add(SummaryKind.MILESTONE, dimension, key, journey.cohort, "", "n")
    for code, day, left in steps:
        out.count_day(SummaryKind.MILESTONE, dimension, key, journey.cohort, code, (day - journey.assigned_on).days)
        if left is not None:
            out.count_day(SummaryKind.DWELL, dimension, key, journey.cohort, code, (left - day).days)


def _count_weeks(out: Summaries, journey: Journey, steps, dimension, key, sla_days, today) -> None:
    trend = SummaryKind.TREND
    out.add(trend, dimension, key, week_start(journey.assigned_on), "", "assigned")
    for code, day, _left in steps:
        if code != "assigned":
            out.add(trend, dimension, key, week_start(day), "", "forward")
        if code in (STOREFRONT, FIRST_ORDER):
            out.add(trend, dimension, key, week_start(day), "", code)
    for day in stalled_on(journey, steps, sla_days, today):
        out.add(trend, dimension, key, week_start(day), "", "stalled")


def _count_outcomes(out: Summaries, journey: Journey, dimension: str, key: str) -> None:
    kind = SummaryKind.OUTCOME
    if journey.first_inquiry_on:
        month = month_start(journey.first_inquiry_on)
        out.add(kind, dimension, key, month, "", "inquiries")
        out.add(kind, dimension, key, month, f"country:{journey.inquiry_country}", "inquiries")
    if journey.first_order_on:
        month = month_start(journey.first_order_on)
        value = str(journey.order_value_usd or 0)
        for stage in ("", f"country:{journey.order_country}"):
            out.add(kind, dimension, key, month, stage, "orders")
            figures = out.figures(kind, dimension, key, month, stage)
            figures["value_usd"] = str(Decimal(figures.get("value_usd", "0")) + Decimal(value))


def scorecard_counts(journeys: Iterable[Journey], *, codes: list[str], sla_days: dict[str, int]) -> dict:
    """Per startup id: journeys, reaches and days to a live storefront and a first order, and
    how many finished stages were left within their SLA."""
    cards: dict[int, dict] = defaultdict(lambda: {"journeys": 0, "sla_within": 0, "sla_total": 0})
    for journey in journeys:
        card = cards[journey.startup_id]
        card["journeys"] += 1
        for code in (STOREFRONT, FIRST_ORDER):
            if code in journey.reached:
                histogram = card.setdefault(f"{code}_days", {})
                days = str((journey.reached[code] - journey.assigned_on).days)
                histogram[days] = histogram.get(days, 0) + 1
        for code, day, left in stage_steps(journey, codes):
            if left is not None:
                card["sla_total"] += 1
                card["sla_within"] += (left - day).days <= sla_days.get(code, 0)
    return dict(cards)
