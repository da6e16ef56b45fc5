"""Startup scorecards: what each startup delivered, beside the programme's median startup."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.outcomes import SummaryKind
from .analytics import Table
from .outcomes import FIRST_ORDER, STOREFRONT, median, share

# (key, heading): the table's columns, in order; a key is also a `sort=` value.
COLUMNS = [
    ("name", gettext_lazy("Startup")),
    ("held", gettext_lazy("Exporters held")),
    ("capacity", gettext_lazy("Capacity")),
    ("journeys", gettext_lazy("Exporters ever assigned")),
    ("storefront_pct", gettext_lazy("Storefront live %")),
    ("first_order_pct", gettext_lazy("First order %")),
    ("storefront_days", gettext_lazy("Median days to storefront")),
    ("first_order_days", gettext_lazy("Median days to first order")),
    ("sla_pct", gettext_lazy("Stages within SLA %")),
    ("rejection_pct", gettext_lazy("Evidence rejected %")),
    ("confirmation_pct", gettext_lazy("Exporter confirmation %")),
    ("open_disputes", gettext_lazy("Open disputes")),
    ("earned", gettext_lazy("Commission earned (₹)")),
    ("paid", gettext_lazy("Commission paid (₹)")),
    ("cost_per_storefront", gettext_lazy("Cost per live storefront (₹)")),
]
SORTS = {key for key, _label in COLUMNS}
CONFIRMATION_NOTE = gettext_lazy(
    "Exporter confirmation: of the exporters who answered in the last 90 days, the share who confirmed "
    "the startup's work (a figure of now: empty in a monthly pack)."
)


def card(figures: dict, name: str, capacity: int | None) -> dict:
    """One startup's scorecard from its summary figures."""
    journeys = figures.get("journeys", 0)
    storefronts = sum(figures.get(f"{STOREFRONT}_days", {}).values())
    orders = sum(figures.get(f"{FIRST_ORDER}_days", {}).values())
    earned = Decimal(figures.get("earned", "0"))
    return {
        "name": name,
        "held": figures.get("held", 0),
        "capacity": capacity,
        "journeys": journeys,
        "storefront_pct": share(storefronts, journeys),
        "first_order_pct": share(orders, journeys),
        "storefront_days": median(figures.get(f"{STOREFRONT}_days", {})),
        "first_order_days": median(figures.get(f"{FIRST_ORDER}_days", {})),
        "sla_pct": share(figures.get("sla_within", 0), figures.get("sla_total", 0)),
        "rejection_pct": share(figures.get("rejected", 0), figures.get("decided", 0)),
        "confirmation_pct": None,
        "open_disputes": None,  # a figure of now, not of the summaries: filled by `with_open_disputes`
        "earned": earned,
        "paid": Decimal(figures.get("paid", "0")),
        "cost_per_storefront": (earned / storefronts).quantize(Decimal("0.01")) if storefronts else None,
    }


def scorecards(source, startups: dict[int, tuple[str, int]]) -> list[dict]:
    """Every startup's card (`startups`: id -> (name, capacity)), each with its `startup_id`."""
    cards = []
    for key, _period, _stage, figures in source.rows(SummaryKind.SCORECARD, "startup"):
        if key.isdigit() and int(key) in startups:
            name, capacity = startups[int(key)]
            cards.append({"startup_id": int(key), **card(figures, name, capacity)})
    return cards


def with_open_disputes(cards: list[dict], open_by_startup: dict[int, int]) -> list[dict]:
    """Each card with its startup's open disputes now (exporters saying its work did not happen)."""
    for card_ in cards:
        card_["open_disputes"] = open_by_startup.get(card_["startup_id"], 0)
    return cards


def with_confirmations(cards: list[dict], rates: dict[int, dict]) -> list[dict]:
    """Each card with the share of its exporters' answers (last 90 days) that confirmed its work."""
    for card_ in cards:
        card_["confirmation_pct"] = rates.get(card_["startup_id"], {}).get("percent")
    return cards


def _middle(values: list):
    """The median, in decimals: the mean of 51.3 and 51.4 is 51.35 (→ 51.4), never 51.349999999999994."""
    middle = statistics.median(Decimal(str(v)) for v in values)
    if isinstance(values[0], float):
        return float(middle.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if isinstance(values[0], Decimal):
        return middle.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(middle) if middle == middle.to_integral_value() else float(middle)


def programme_median(cards: list[dict]) -> dict:
    """The median startup (of those ever given an exporter), metric by metric."""
    active = [c for c in cards if c["journeys"]]
    row = {"name": _("Programme median"), "startup_id": None}
    for key, _label in COLUMNS[1:]:
        values = [c[key] for c in active if c[key] is not None]
        row[key] = _middle(values) if values else None
    return row


def sort_cards(cards: list[dict], sort: str) -> list[dict]:
    """By a column (`-` first for descending); blanks last either way."""
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = "name", "name"
    filled = [c for c in cards if c[key] is not None]
    blank = [c for c in cards if c[key] is None]
    ordered = sorted(filled, key=lambda c: (c[key], c["name"]), reverse=sort.startswith("-"))
    return ordered + sorted(blank, key=lambda c: c["name"])


def scorecard_table(cards: list[dict], median_row: dict) -> Table:
    money = tuple(i for i, (key, _label) in enumerate(COLUMNS) if key in ("earned", "paid", "cost_per_storefront"))
    table = Table(
        "scorecards",
        _("Startup scorecards"),
        [str(label) for _key, label in COLUMNS],
        note=str(CONFIRMATION_NOTE),
        money=money,
    )
    table.rows = [[row[key] for key, _label in COLUMNS] for row in [median_row, *cards]]
    return table
