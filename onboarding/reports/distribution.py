"""The distribution report: how exporters spread over startups, states and sectors
against the startups' capacity, so skew is visible. The exporter counts come from the
programme summary (`models/summary.py`), so no exporter is counted per request: the
remaining queries read startups' figures, their sectors and sectors, and the page of
startups the table shows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.utils.translation import gettext as _

from ..models import Sector, Startup
from ..models.startups import StartupStatus
from ..models.summary import SummaryFigures
from ..reference import state_name

LOAD_BUCKETS = [("Empty", 0, 0), ("1–25%", 1, 25), ("26–50%", 26, 50), ("51–75%", 51, 75), ("76–99%", 76, 99)]


def _percent(load: int, capacity: int) -> int:
    if capacity == 0:
        return 100 if load else 0
    return round(100 * load / capacity)


def startup_rows(loads: dict[int, int]) -> list[dict]:
    """Active startups and any other startup still holding exporters, fullest first.

    Plain values for every startup (thousands at national scale, for the chart and the
    totals); `with_startups` loads the objects of the few rows a page shows."""
    rows = []
    startups = Startup.objects.values_list("pk", "legal_name", "status", "capacity", "state")
    for pk, name, status, capacity, state in startups:
        load = loads[pk]
        if status != StartupStatus.ACTIVE and not load:
            continue
        rows.append(
            {"pk": pk, "name": name, "status": status, "capacity": capacity, "state": state, "load": load}
            | {"percent": _percent(load, capacity)}
        )
    return sorted(rows, key=lambda r: (-r["percent"], -r["load"], r["name"]))


def with_startups(rows: list[dict]) -> list[dict]:
    """`rows` with their Startup objects, for names, links and the capacity bar."""
    startups = Startup.objects.in_bulk([r["pk"] for r in rows])
    for row in rows:
        row["startup"] = startups[row["pk"]]
        row["startup"].open_exporters = row["load"]  # what the capacity bar template reads
    return rows


def load_histogram(rows: list[dict]) -> dict:
    counts = dict.fromkeys([b[0] for b in LOAD_BUCKETS] + ["Full"], 0)
    for row in rows:
        if row["status"] != StartupStatus.ACTIVE:
            continue
        if row["percent"] >= 100:
            counts["Full"] += 1
            continue
        for label, low, high in LOAD_BUCKETS:
            if low <= row["percent"] <= high:
                counts[label] += 1
                break
    names = {"Empty": _("Empty"), "Full": _("Full")}  # the buckets' keys stay English; their labels are read
    return {"label": _("Active startups"), "labels": [names.get(k, k) for k in counts], "values": list(counts.values())}


def distribution_figures(figures: SummaryFigures, as_of: datetime) -> dict:
    """The report from the summary's figures (computed at `as_of`) and the startups as they are."""
    startups = startup_rows(defaultdict(int, figures.load_of()))
    by_state = defaultdict(lambda: {"exporters": 0, "assigned": 0, "startups": 0, "capacity": 0, "load": 0})
    by_sector = defaultdict(lambda: {"exporters": 0, "assigned": 0, "startups": 0, "capacity": 0, "load": 0})
    for row in figures.spread:
        for bucket, key in ((by_state, row.state), (by_sector, row.sector_id)):
            bucket[key]["exporters"] += row.exporters
            bucket[key]["assigned"] += row.assigned
    active = {r["pk"]: r for r in startups if r["status"] == StartupStatus.ACTIVE}
    for row in active.values():
        cell = by_state[row["state"]]
        cell["startups"] += 1
        cell["capacity"] += row["capacity"]
        cell["load"] += row["load"]
    links = Startup.sectors.through.objects.filter(startup__status=StartupStatus.ACTIVE).values_list(
        "startup_id", "sector_id"
    )
    for startup_id, sector_id in links:
        if startup_id in active:
            cell = by_sector[sector_id]
            cell["startups"] += 1
            cell["capacity"] += active[startup_id]["capacity"]
            cell["load"] += active[startup_id]["load"]
    sectors = {s.pk: s for s in Sector.objects.all()}
    no_sector = _("No sector")
    state_rows = _finish(by_state, lambda code: state_name(code, blank="—"))
    sector_rows = _finish(by_sector, lambda pk: sectors[pk].name if pk in sectors else no_sector)
    top = state_rows[:15]
    return {
        "as_of": as_of,
        "startups": startups,
        "states": state_rows,
        "sectors": sector_rows,
        "load_chart": load_histogram(startups),
        "state_chart": {
            "labels": [r["name"] for r in top],
            "series": [
                {"label": _("Assigned"), "values": [r["assigned"] for r in top]},
                {"label": _("In the pool"), "values": [r["pool"] for r in top]},
                {"label": _("Free capacity of startups there"), "values": [r["room"] for r in top]},
            ],
        },
    }


def _finish(cells: dict, name) -> list[dict]:
    rows = []
    for key, cell in cells.items():
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
