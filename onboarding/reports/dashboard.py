"""Read-only figures for the dashboard.

`summary_figures` counts every exporter in two grouped scans (by state, stage and status;
by state and sector for the active ones) and one grouped count of each startup's load:
the programme summary (`models/summary.py`) stores its result, so a dashboard request
reads one row and formats it here with `dashboard_figures`, constant work at any scale.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ..models import Exporter, Stage, Startup
from ..models.exporters import ExporterStatus
from ..models.startups import StartupStatus
from ..models.summary import SectorCount, StageCount, SummaryFigures
from ..reference import state_name
from .distribution import distribution_cells


def stage_funnel(now_by_stage: Counter, stages: list[Stage]) -> list[dict]:
    """Per stage: exporters there now, exporters that reached it, and conversion from the previous stage."""
    rows, previous_reached = [], None
    for stage in stages:
        reached = sum(now_by_stage[s.pk] for s in stages if s.order >= stage.order)
        conversion = round(100 * reached / previous_reached) if previous_reached else None
        rows.append({"stage": stage, "now": now_by_stage[stage.pk], "reached": reached, "conversion": conversion})
        previous_reached = reached
    return rows


def exporter_breakdown(now: datetime, stages: list[Stage]):
    """(state, stage id, status, count, assigned, stalled) rows from one grouped scan."""
    return (
        Exporter.objects.order_by()
        .values_list("state", "current_stage", "status")
        .annotate(
            n=Count("pk"),
            assigned=Count("pk", filter=Q(startup__isnull=False)),
            stalled=Count("pk", filter=Exporter.objects.stalled_q(now, stages)),
        )
    )


def summary_figures(now: datetime) -> SummaryFigures:
    """Every exporter counted from scratch (what the summary stores, named and versioned)."""
    stages = list(Stage.objects.ordered())
    spread = (
        Exporter.objects.filter(status=ExporterStatus.ACTIVE)
        .order_by()
        .values_list("state", "sector")
        .annotate(n=Count("pk"), assigned=Count("pk", filter=Q(startup__isnull=False)))
    )
    spread = sorted((SectorCount(*row) for row in spread), key=repr)
    return SummaryFigures(
        breakdown=sorted((StageCount(*row) for row in exporter_breakdown(now, stages)), key=repr),
        spread=spread,
        distribution=distribution_cells(spread, Exporter.objects.load_of()),
    )


def active_by_stage(figures: SummaryFigures, *, what: str = "exporters") -> Counter:
    """Active exporters per current stage id, from the summary's figures; `what="stalled"`
    counts only the stalled ones (the board's heads)."""
    counts = Counter()
    for row in figures.breakdown:
        if row.status == ExporterStatus.ACTIVE and row.stage_id is not None:
            counts[row.stage_id] += getattr(row, what)
    return counts


def dashboard_figures(figures: SummaryFigures, as_of: datetime) -> dict:
    """The dashboard's cards and charts from the summary's figures, computed at `as_of`."""
    stages = list(Stage.objects.ordered())
    totals = Counter()
    by_state, by_stage = Counter(), Counter()
    for row in figures.breakdown:
        totals.update(total=row.exporters, assigned=row.assigned, stalled=row.stalled)
        if row.status == ExporterStatus.ACTIVE:
            totals["unassigned"] += row.exporters - row.assigned
            by_state[row.state] += row.exporters
            by_stage[row.stage_id] += row.exporters
    startups = Startup.objects.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status=StartupStatus.ACTIVE)),
        applied=Count("pk", filter=Q(status=StartupStatus.APPLIED)),
    )
    top_states = [{"state": state_name(code), "n": n} for code, n in by_state.most_common(12)]
    funnel = stage_funnel(by_stage, stages)
    return {
        "as_of": as_of,
        "totals": totals,
        "startups": startups,
        "funnel": funnel,
        "by_state": top_states,
        "funnel_chart": {
            "label": _("Reached"),
            "labels": [row["stage"].name for row in funnel],
            "values": [row["reached"] for row in funnel],
        },
        "state_chart": {
            "label": _("Exporters"),
            "labels": [row["state"] for row in top_states],
            "values": [row["n"] for row in top_states],
        },
    }
