"""What the weekly emails say: a startup's funnel, what moved in the week and what is due;
the programme's totals for admins. Built at send time, a few grouped queries each."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db.models import Count, Q

from ..models import Activity, Exporter, Stage, StageEvent, Startup
from ..models.exporters import ExporterStatus
from ..models.stages import StageEventStatus
from .dashboard import stage_funnel

WEEK = timedelta(days=7)
EMAIL_LIST_LIMIT = 50  # longer lists end with "and N more" and a link


def _due_soon_q(now: datetime, stages) -> Q:
    """Active exporters whose stage SLA runs out within the coming week."""
    due = Q(pk__in=[])
    for stage in stages:
        deadline_passes = Q(
            current_stage_id=stage.pk,
            stage_entered_at__gte=now - timedelta(days=stage.sla_days),
            stage_entered_at__lt=now + WEEK - timedelta(days=stage.sla_days),
        )
        due |= deadline_passes
    return due & Q(status=ExporterStatus.ACTIVE)


def startup_week(startup: Startup, now: datetime) -> dict:
    """The weekly pipeline digest of one startup."""
    stages = list(Stage.objects.ordered())
    exporters = Exporter.objects.filter(startup=startup)
    by_stage = Counter(
        dict(
            exporters.filter(status=ExporterStatus.ACTIVE)
            .order_by()
            .values_list("current_stage")
            .annotate(n=Count("pk"))
        )
    )
    moved = list(
        StageEvent.objects.filter(startup=startup, status=StageEventStatus.APPROVED, reviewed_at__gte=now - WEEK)
        .select_related("exporter", "stage")
        .order_by("-reviewed_at")[:EMAIL_LIST_LIMIT]
    )
    rejected = StageEvent.objects.filter(
        startup=startup, status=StageEventStatus.REJECTED, reviewed_at__gte=now - WEEK
    ).count()
    due = list(
        exporters.filter(_due_soon_q(now, stages))
        .select_related("current_stage")
        .order_by("stage_entered_at")[:EMAIL_LIST_LIMIT]
    )
    for exporter in due:
        exporter.due_on = exporter.stage_entered_at + timedelta(days=exporter.current_stage.sla_days)
    return {
        "startup": startup,
        "funnel": [row for row in stage_funnel(by_stage, stages) if row["now"]],
        "active": sum(by_stage.values()),
        "moved": moved,
        "rejected": rejected,
        "due": due,
        "stalled": exporters.filter(Exporter.objects.stalled_q(now, stages)).count(),
        "activities": Activity.objects.filter(startup=startup, occurred_at__gte=now - WEEK).count(),
    }


def programme_week(now: datetime) -> dict:
    """The weekly programme digest for admins."""
    stages = list(Stage.objects.ordered())
    stalled_q = Exporter.objects.stalled_q(now, stages)
    by_stage = Counter(
        dict(
            Exporter.objects.filter(status=ExporterStatus.ACTIVE, startup__isnull=False)
            .order_by()
            .values_list("current_stage")
            .annotate(n=Count("pk"))
        )
    )
    top = list(
        Exporter.objects.filter(stalled_q, startup__isnull=False)
        .order_by()
        .values_list("startup")
        .annotate(n=Count("pk"))
        .order_by("-n", "startup")[:10]
    )
    startups = Startup.objects.in_bulk([pk for pk, _ in top])
    stalled_by_startup = []
    for pk, n in top:
        startups[pk].stalled = n
        stalled_by_startup.append(startups[pk])
    events = StageEvent.objects.aggregate(
        approved=Count("pk", filter=Q(status=StageEventStatus.APPROVED, reviewed_at__gte=now - WEEK)),
        rejected=Count("pk", filter=Q(status=StageEventStatus.REJECTED, reviewed_at__gte=now - WEEK)),
        waiting=Count("pk", filter=Q(status=StageEventStatus.SUBMITTED)),
    )
    return {
        "funnel": stage_funnel(by_stage, stages),
        "assigned": sum(by_stage.values()),
        "unassigned": Exporter.objects.filter(status=ExporterStatus.ACTIVE, startup__isnull=True).count(),
        "stalled": Exporter.objects.filter(stalled_q).count(),
        "stalled_by_startup": stalled_by_startup,
        "activities": Activity.objects.filter(occurred_at__gte=now - WEEK).count(),
        **events,
    }
