"""Read-only figures for the dashboard and reports: each is one aggregate query."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q

from .choices import STATES
from .models import Exporter, Stage, Startup
from .models.exporters import ExporterStatus
from .models.startups import StartupStatus


def stage_funnel(exporters, stages: list[Stage]) -> list[dict]:
    """Per stage: exporters there now, exporters that reached it, and conversion from the previous stage."""
    here = dict(exporters.values_list("current_stage").annotate(n=Count("pk")).order_by())
    order_of = {s.pk: s.order for s in stages}
    rows, previous_reached = [], None
    for stage in stages:
        reached = sum(n for pk, n in here.items() if pk is not None and order_of.get(pk, 0) >= stage.order)
        conversion = round(100 * reached / previous_reached) if previous_reached else None
        rows.append({"stage": stage, "now": here.get(stage.pk, 0), "reached": reached, "conversion": conversion})
        previous_reached = reached
    return rows


def dashboard_figures(now: datetime) -> dict:
    stages = list(Stage.objects.ordered())
    active = Exporter.objects.filter(status=ExporterStatus.ACTIVE)
    totals = Exporter.objects.aggregate(
        total=Count("pk"),
        assigned=Count("pk", filter=Q(startup__isnull=False)),
        unassigned=Count("pk", filter=Q(startup__isnull=True, status=ExporterStatus.ACTIVE)),
        stalled=Count("pk", filter=Exporter.objects.stalled_q(now, stages)),
    )
    startups = Startup.objects.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status=StartupStatus.ACTIVE)),
        applied=Count("pk", filter=Q(status=StartupStatus.APPLIED)),
    )
    by_state = [
        {"state": STATES.get(code, code), "n": n}
        for code, n in active.values_list("state").annotate(n=Count("pk")).order_by("-n")[:12]
    ]
    funnel = stage_funnel(active, stages)
    return {
        "totals": totals,
        "startups": startups,
        "funnel": funnel,
        "by_state": by_state,
        "funnel_chart": {
            "label": "Reached",
            "labels": [row["stage"].name for row in funnel],
            "values": [row["reached"] for row in funnel],
        },
        "state_chart": {
            "label": "Exporters",
            "labels": [row["state"] for row in by_state],
            "values": [row["n"] for row in by_state],
        },
    }
