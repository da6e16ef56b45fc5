"""Outcome arithmetic: percentiles of day histograms and the summary rows built from journeys.

Pure functions over plain values, so the pages (reading stored summaries) and the monthly
pack (building them in memory up to a month's end) compute every figure the same way.

A histogram is {days: journeys}. Percentiles are PostgreSQL's `percentile_cont` (linear
interpolation between the two nearest ranks), computed from the histogram, which is exact
for any union of cohorts: summing histograms loses nothing.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ..models.outcomes import SummaryKind

ONE_DAY = timedelta(days=1)
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


@functools.lru_cache(maxsize=4096)
def week_start(day: date) -> date:
    """The Monday of `day`'s week (cached: a refresh asks for the same few hundred days a million times)."""
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


def stage_steps(journey: Journey, codes: list[str]) -> list[tuple[str, date, date | None]]:
    """(stage, reached on, next stage reached on or None) for each stage the journey reached, in order."""
    reached = [(code, journey.reached[code]) for code in codes if code in journey.reached]
    return [(code, day, reached[i + 1][1] if i + 1 < len(reached) else None) for i, (code, day) in enumerate(reached)]


def stalled_on(journey: Journey, steps, sla_days: dict[str, int], today: date) -> list[date]:
    """Days the journey went past a stage's SLA without moving on (or leaving), up to today."""
    days = []
    end = today if journey.ended_on is None else min(journey.ended_on - ONE_DAY, today)
    for code, day, left in steps:
        over = day + timedelta(days=sla_days.get(code, 0) + 1)
        if over <= end and (left is None or over < left):
            days.append(over)
    return days


def journey_items(journey: Journey, codes: list[str], sla_days: dict[str, int], today: date) -> list[tuple]:
    """What one journey adds to every slice it belongs to, as (kind, period, stage, figure, day) items:
    a `day` item counts into the row's histogram, the others into the named figure."""
    milestone, dwell, trend = SummaryKind.MILESTONE, SummaryKind.DWELL, SummaryKind.TREND
    steps = stage_steps(journey, codes)
    # The cohort's size sits on the stage-less row; stage rows exist only once someone reached it.
    items = [(milestone, journey.cohort, "", "n", None), (trend, week_start(journey.assigned_on), "", "assigned", None)]
    for code, day, left in steps:
        items.append((milestone, journey.cohort, code, "days", (day - journey.assigned_on).days))
        if left is not None:
            items.append((dwell, journey.cohort, code, "days", (left - day).days))
        if code != "assigned":
            items.append((trend, week_start(day), "", "forward", None))
        if code in (STOREFRONT, FIRST_ORDER):
            items.append((trend, week_start(day), "", code, None))
    items += [(trend, week_start(day), "", "stalled", None) for day in stalled_on(journey, steps, sla_days, today)]
    if journey.first_inquiry_on:
        month = month_start(journey.first_inquiry_on)
        for stage in ("", f"country:{journey.inquiry_country}"):
            items.append((SummaryKind.OUTCOME, month, stage, "inquiries", None))
    if journey.first_order_on:
        month = month_start(journey.first_order_on)
        for stage in ("", f"country:{journey.order_country}"):
            items.append((SummaryKind.OUTCOME, month, stage, "orders", None))
    return items


def build_summaries(
    journeys: Iterable[Journey], *, codes: list[str], sla_days: dict[str, int], today: date, dimensions=SLICES
):
    """Every milestone, dwell, trend and outcome summary row for these journeys (in stage order `codes`).

    Each journey's items are worked out once and counted into its five slices with Counter.update,
    which counts in C: at 100,000 journeys the Python work is per journey, not per slice and item."""
    per_slice: dict[tuple[str, str], Counter] = defaultdict(Counter)
    values: dict[tuple, Decimal] = defaultdict(Decimal)
    for journey in journeys:
        items = journey_items(journey, codes, sla_days, today)
        for dimension_key in journey.slices():
            if dimension_key[0] not in dimensions:
                continue
            per_slice[dimension_key].update(items)
            if journey.first_order_on and journey.order_value_usd:
                month = month_start(journey.first_order_on)
                for stage in ("", f"country:{journey.order_country}"):
                    values[(*dimension_key, month, stage)] += journey.order_value_usd
    out = Summaries()
    for (dimension, key), counts in per_slice.items():
        for (kind, period, stage, name, day), n in counts.items():
            figures = out.figures(kind, dimension, key, period, stage)
            if day is None:
                figures[name] = n
            else:
                figures.setdefault(name, {})[str(day)] = n
    for (dimension, key, month, stage), value in values.items():
        out.figures(SummaryKind.OUTCOME, dimension, key, month, stage)["value_usd"] = str(value)
    return out


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
