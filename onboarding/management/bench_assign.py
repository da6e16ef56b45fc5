"""The auto-assign part of `manage.py bench` (docs/benchmarks.md#budgets: 10,000 exporters in ≤ 10 s).

It runs inside a transaction that is rolled back, so the data the other
measurements see is unchanged. To measure a pool of exactly `target` exporters on
any seeded database, it first (inside that transaction) returns assigned exporters
to the pool or puts the surplus on hold, and gives the active startups enough extra
capacity for all of them.
"""

from __future__ import annotations

import math
import time

from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ..models import Assignment, Exporter, Startup, User
from ..models.assignments import EndReason
from ..models.exporters import ExporterStatus
from ..services.auto_assign import auto_assignment_apply, propose
from . import demo


def _shape_pool(target: int) -> int:
    pool = list(Exporter.objects.pool().order_by("pk").values_list("pk", flat=True)[: target + 1])
    if len(pool) > target:
        Exporter.objects.pool().filter(pk__gte=pool[target]).update(status=ExporterStatus.ON_HOLD)
    elif len(pool) < target:
        freed = list(
            Exporter.objects.filter(startup__isnull=False, status=ExporterStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)[: target - len(pool)]
        )
        Assignment.objects.open().filter(exporter_id__in=freed).update(
            ended_at=timezone.now(), end_reason=EndReason.UNASSIGNED
        )
        Exporter.objects.filter(pk__in=freed).update(
            startup=None, agent=None, current_stage=None, stage_entered_at=None
        )
    open_startups = Startup.objects.open_for_assignment()
    count = open_startups.count()
    if count:
        open_startups.update(capacity=F("capacity") + math.ceil(target / count) + 1)
    return Exporter.objects.pool().count()


def _preview_page_ms(staff: User) -> tuple[float, int, int]:
    client = demo.signed_in_client(staff)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get("/assignments/auto/", secure=True)
        elapsed = (time.perf_counter() - started) * 1000
    return round(elapsed, 1), len(queries), response.status_code


def bench_auto_assign(command, staff: User, target: int) -> dict:
    """Time the engine and the apply on a pool of `target`; print and return the figures."""
    with transaction.atomic():
        pool = _shape_pool(target)
        page_ms, page_queries, page_status = _preview_page_ms(staff)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            plan = propose()
            proposed = time.perf_counter()
            result = auto_assignment_apply(actor=staff, plan=plan)
            applied = time.perf_counter()
        overfull = Startup.objects.with_load().filter(open_exporters__gt=F("capacity")).count()
        transaction.set_rollback(True)
    figures = {
        "pool": pool,
        "proposed": len(plan.proposals),
        "unmatched": len(plan.unmatched),
        "assigned": result.assigned,
        "skipped": len(result.skipped),
        "propose_s": round(proposed - started, 2),
        "apply_s": round(applied - proposed, 2),
        "total_s": round(applied - started, 2),
        "queries": len(queries),
        "overfull_startups": overfull,
        "preview_page_ms": page_ms,
        "preview_page_queries": page_queries,
        "preview_page_status": page_status,
    }
    command.stdout.write(
        f"\nauto-assign over a pool of {pool:,}: {result.assigned:,} assigned, {len(plan.unmatched):,} unmatched, "
        f"{len(result.skipped)} skipped in {figures['total_s']} s (propose {figures['propose_s']} s, "
        f"apply {figures['apply_s']} s), {len(queries)} queries, {overfull} startups over capacity; "
        f"preview page {page_ms:.0f} ms, {page_queries} queries (rolled back)"
    )
    return figures
