"""The distribution report: how exporters spread over startups, states and sectors
against the startups' capacity, so skew is visible. The exporter counts come from the
programme summary (`models/summary.py`), so no exporter is counted per request.

What reads every startup (each one's load against its capacity, the states' and sectors'
startups and free capacity, the load histogram) is computed by the summary's recount too and
stored with it (`distribution_cells`), with the startups' fingerprint at that moment: a
request uses the stored cells while the startups are unchanged, and computes them from the
startups as they are once any was added, edited or removed since. At 2,000 startups that work
was 16 ms of the report's 38; the fingerprint costs one small aggregate."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

from django.db.models import Count, Max
from django.utils.translation import gettext as _

from ..models import Sector, Startup
from ..models.startups import StartupStatus
from ..models.summary import SectorCount, SummaryFigures
from ..reference import state_name

LOAD_BUCKETS = [("Empty", 0, 0), ("1–25%", 1, 25), ("26–50%", 26, 50), ("51–75%", 51, 75), ("76–99%", 76, 99)]
HISTOGRAM = [label for label, _low, _high in LOAD_BUCKETS] + ["Full"]  # its bars, in order
# A state's or sector's cell, stored as a list in this order.
CELL = ("exporters", "assigned", "startups", "capacity", "load")


def _percent(load: int, capacity: int) -> int:
    if capacity == 0:
        return 100 if load else 0
    return round(100 * load / capacity)


def startups_fingerprint() -> list:
    """What moves whenever a startup row does: how many there are and the last change to any
    (`updated_at`; their sectors change only with a save, in the startup services)."""
    seen = Startup.objects.aggregate(count=Count("pk"), changed=Max("updated_at"))
    return [seen["count"], seen["changed"].isoformat() if seen["changed"] else None]


def distribution_cells(spread: list[SectorCount], loads: dict[int, int]) -> dict:
    """The report's figures that read every startup, as JSON: `startups` are [pk, load, percent]
    of the active startups and of any other still holding exporters, fullest first;
    `states` and `sectors` are [key, *CELL] (exporters from the summary's spread, startups,
    capacity and load of the active startups there); `histogram` counts active startups per
    HISTOGRAM bar, as a list (the database keeps no key order). `seen` is the startups'
    fingerprint, taken first: a startup changed while this runs leaves the cells stale, so
    they are computed again on reading, never wrong."""
    seen = startups_fingerprint()
    loads = defaultdict(int, loads)
    rows = []
    for pk, name, status, capacity, state in Startup.objects.values_list(
        "pk", "legal_name", "status", "capacity", "state"
    ):
        load = loads[pk]
        if status == StartupStatus.ACTIVE or load:
            rows.append(_Row(pk, name, status == StartupStatus.ACTIVE, capacity, state, load, _percent(load, capacity)))
    rows.sort(key=lambda row: (-row.percent, -row.load, row.name))
    by_state, by_sector = defaultdict(lambda: [0] * len(CELL)), defaultdict(lambda: [0] * len(CELL))
    for count in spread:
        for cells, key in ((by_state, count.state), (by_sector, count.sector_id)):
            cells[key][0] += count.exporters
            cells[key][1] += count.assigned
    active = {row.pk: row for row in rows if row.active}
    for row in active.values():
        _add_startup(by_state[row.state], row)
    links = Startup.sectors.through.objects.filter(startup__status=StartupStatus.ACTIVE).values_list(
        "startup_id", "sector_id"
    )
    for startup_id, sector_id in links:
        if startup_id in active:
            _add_startup(by_sector[sector_id], active[startup_id])
    histogram = [0] * len(HISTOGRAM)
    for row in active.values():
        histogram[_bucket(row.percent)] += 1
    return {
        "seen": seen,
        "startups": [[row.pk, row.load, row.percent] for row in rows],
        "states": [[key, *cell] for key, cell in by_state.items()],
        "sectors": [[key, *cell] for key, cell in by_sector.items()],
        "histogram": histogram,
    }


class _Row(NamedTuple):
    pk: int
    name: str
    active: bool
    capacity: int
    state: str
    load: int
    percent: int


def _add_startup(cell: list, row: _Row) -> None:
    cell[2] += 1
    cell[3] += row.capacity
    cell[4] += row.load


def _bucket(percent: int) -> int:
    """The HISTOGRAM bar a load (in %) falls in."""
    if percent >= 100:
        return len(LOAD_BUCKETS)
    return next(index for index, (_label, low, high) in enumerate(LOAD_BUCKETS) if low <= percent <= high)


def with_startups(rows: list) -> list[dict]:
    """The page's [pk, load, percent] rows with their Startup objects, for names, links and the
    capacity bar."""
    startups = Startup.objects.in_bulk([pk for pk, _load, _percent in rows])
    shown = []
    for pk, load, percent in rows:
        startup = startups[pk]
        startup.open_exporters = load  # what the capacity bar template reads
        shown.append({"pk": pk, "startup": startup, "load": load, "percent": percent})
    return shown


def distribution_figures(figures: SummaryFigures, as_of: datetime) -> dict:
    """The report from the summary's figures (computed at `as_of`) and the startups as they are:
    its stored cells while no startup changed since, else computed now."""
    cells = figures.distribution
    if cells["seen"] != startups_fingerprint():
        cells = distribution_cells(figures.spread, figures.load_of())
    sectors = {s.pk: s for s in Sector.objects.all()}
    no_sector = _("No sector")
    state_rows = _finish(cells["states"], lambda code: state_name(code, blank="—"))
    sector_rows = _finish(cells["sectors"], lambda pk: sectors[pk].name if pk in sectors else no_sector)
    top = state_rows[:15]
    names = {"Empty": _("Empty"), "Full": _("Full")}  # the buckets' keys stay English; their labels are read
    return {
        "as_of": as_of,
        "startups": cells["startups"],
        "states": state_rows,
        "sectors": sector_rows,
        "load_chart": {
            "label": _("Active startups"),
            "labels": [names.get(label, label) for label in HISTOGRAM],
            "values": cells["histogram"],
        },
        "state_chart": {
            "labels": [r["name"] for r in top],
            "series": [
                {"label": _("Assigned"), "values": [r["assigned"] for r in top]},
                {"label": _("In the pool"), "values": [r["pool"] for r in top]},
                {"label": _("Free capacity of startups there"), "values": [r["room"] for r in top]},
            ],
        },
    }


def _finish(cells: list, name) -> list[dict]:
    rows = []
    for key, *values in cells:
        cell = dict(zip(CELL, values, strict=True))
        rows.append(
            {
                **cell,
                "key": key,
                "name": name(key),
                "pool": cell["exporters"] - cell["assigned"],
                "room": max(cell["capacity"] - cell["load"], 0),
            }
        )
    return sorted(rows, key=lambda r: (-r["exporters"], r["name"]))
