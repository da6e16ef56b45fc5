"""Keeping the outcome figures: journeys from events, the summaries the pages read, and the
frozen monthly packs.

The refresh is incremental for the journeys (only exporters whose assignments, approved
stage events or details changed since the last run, with a margin for transactions that
committed late) and rewrites the summary rows whole, in one transaction: a page always reads
one complete refresh.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..models import Assignment, Commission, Exporter, OutcomeRefresh, OutcomeSummary, Stage, StageEvent
from ..models.commissions import CommissionStatus
from ..models.outcomes import OUTCOMES_VERSION, ExporterJourney, SummaryKind
from ..models.stages import StageEventStatus
from ..reports.outcomes import (
    FIRST_INQUIRY,
    FIRST_ORDER,
    SLICES,
    Journey,
    build_summaries,
    month_start,
    scorecard_counts,
)

# Rows written per INSERT.
BATCH = 5_000
# A transaction that began before the last refresh may commit after it: look back this far.
OVERLAP = timedelta(minutes=15)


def stage_plan() -> tuple[list[str], dict[str, int], dict[str, int]]:
    """Stage codes in order, their SLA days and their order numbers."""
    stages = list(Stage.objects.ordered().values_list("code", "sla_days", "order"))
    return [c for c, _s, _o in stages], {c: s for c, s, _o in stages}, {c: o for c, _s, o in stages}


def _local(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def _journeys_for(exporter_ids: list[int] | None, codes: list[str], orders: dict[str, int]) -> list[ExporterJourney]:
    """A journey per assignment of these exporters (all when None), built from approved stage events."""
    assignments = Assignment.objects.order_by()
    events = StageEvent.objects.filter(status=StageEventStatus.APPROVED, assignment__isnull=False).order_by()
    if exporter_ids is not None:
        assignments = assignments.filter(exporter_id__in=exporter_ids)
        events = events.filter(exporter_id__in=exporter_ids)
    by_spell = defaultdict(list)
    fields = ("assignment_id", "stage__code", "reviewed_at", "evidence_country", "evidence_amount")
    for spell, code, reviewed_at, country, amount in events.values_list(*fields):
        by_spell[spell].append((code, _local(reviewed_at), country, amount))
    rows = assignments.values_list(
        "pk", "exporter_id", "startup_id", "assigned_at", "ended_at",
        "exporter__state", "exporter__sector_id", "exporter__msme_category",
    )  # fmt: skip
    journeys = []
    for pk, exporter_id, startup_id, assigned_at, ended_at, state, sector_id, msme in rows:
        assigned_on = _local(assigned_at)
        journey = ExporterJourney(
            assignment_id=pk, exporter_id=exporter_id, startup_id=startup_id, state=state, sector_id=sector_id,
            msme_category=msme, cohort=month_start(assigned_on), assigned_on=assigned_on, ended_on=_local(ended_at),
        )  # fmt: skip
        _fill_reaches(journey, by_spell.get(pk, []), codes, orders)
        journeys.append(journey)
    return journeys


def _fill_reaches(journey: ExporterJourney, events: list, codes: list[str], orders: dict[str, int]) -> None:
    """Reaching a stage counts for every stage before it: a skip is not a miss."""
    first = {}
    for code, day, country, amount in sorted(events, key=lambda e: e[1]):
        first.setdefault(code, (day, country, amount))
    reached = {"assigned": journey.assigned_on} if "assigned" in orders else {}
    for code in codes:
        if code in reached:
            continue
        later = [first[c][0] for c in first if c in orders and orders[c] >= orders[code]]
        if later:
            reached[code] = max(min(later), journey.assigned_on)
    journey.reached = {code: day.isoformat() for code, day in reached.items()}
    if FIRST_INQUIRY in first:
        journey.first_inquiry_on, journey.inquiry_country = first[FIRST_INQUIRY][0], first[FIRST_INQUIRY][1]
    if FIRST_ORDER in first:
        day, country, amount = first[FIRST_ORDER]
        journey.first_order_on, journey.order_country, journey.order_value_usd = day, country, amount


def journey_values(queryset=None) -> list[Journey]:
    """Every stored journey as the arithmetic reads it."""
    queryset = ExporterJourney.objects.all() if queryset is None else queryset
    names = [
        "startup_id", "state", "sector_id", "msme_category", "cohort", "assigned_on", "ended_on", "reached",
        "first_inquiry_on", "inquiry_country", "first_order_on", "order_country", "order_value_usd",
    ]  # fmt: skip
    journeys = []
    for row in queryset.order_by().values_list(*names).iterator(chunk_size=BATCH):
        journey = Journey(*row)
        journey.reached = {code: date.fromisoformat(day) for code, day in journey.reached.items()}
        journeys.append(journey)
    return journeys


def _changed_exporters(since: datetime) -> list[int]:
    ids = set(
        Assignment.objects.filter(Q(assigned_at__gte=since) | Q(ended_at__gte=since)).values_list(
            "exporter_id", flat=True
        )
    )
    ids |= set(StageEvent.objects.filter(reviewed_at__gte=since).values_list("exporter_id", flat=True))
    ids |= set(Exporter.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    # Commission entries made, approved or paid move the scorecards.
    money = Q(created_at__gte=since) | Q(approved_at__gte=since) | Q(paid_at__gte=since)
    ids |= set(Commission.objects.filter(money).values_list("exporter_id", flat=True))
    return sorted(ids)


def startup_counts(until: datetime | None = None) -> dict[int, dict]:
    """Per startup: evidence decided and rejected, commission earned (net) and paid, exporters held now."""
    counts: dict[int, dict] = defaultdict(dict)
    events = StageEvent.objects.filter(
        startup__isnull=False, status__in=[StageEventStatus.APPROVED, StageEventStatus.REJECTED]
    )
    commissions = Commission.objects.all()
    if until is not None:
        events, commissions = events.filter(reviewed_at__lt=until), commissions.filter(created_at__lt=until)
    decided = (
        events.order_by()
        .values_list("startup_id")
        .annotate(n=Count("pk"), rejected=Count("pk", filter=Q(status=StageEventStatus.REJECTED)))
    )
    for startup_id, n, rejected in decided:
        counts[startup_id].update(decided=n, rejected=rejected)
    # Paid as it stood at `until`: by the day the money went out, not by today's status.
    paid = Q(status=CommissionStatus.PAID) if until is None else Q(paid_at__lt=until)
    money = (
        commissions.order_by().values_list("startup_id").annotate(earned=Sum("amount"), paid=Sum("amount", filter=paid))
    )
    for startup_id, earned, paid in money:
        counts[startup_id].update(earned=str(earned or 0), paid=str(paid or 0))
    for startup_id, held in Exporter.objects.load_of().items():
        counts[startup_id]["held"] = held
    return counts


def summary_rows(
    journeys: list[Journey], *, today: date, until: datetime | None = None, dimensions=SLICES
) -> list[OutcomeSummary]:
    """Every summary row for these journeys (of `dimensions`), scorecards included (not saved)."""
    codes, sla_days, _orders = stage_plan()
    built = build_summaries(journeys, codes=codes, sla_days=sla_days, today=today, dimensions=dimensions)
    rows = [
        OutcomeSummary(kind=kind, dimension=dimension, key=key, period=period, stage=stage, figures=figures)
        for (kind, dimension, key, period, stage), figures in built.rows.items()
    ]
    cards = scorecard_counts(journeys, codes=codes, sla_days=sla_days)
    extra = startup_counts(until)
    for startup_id in set(cards) | set(extra):
        figures = {**cards.get(startup_id, {"journeys": 0}), **extra.get(startup_id, {})}
        rows.append(
            OutcomeSummary(kind=SummaryKind.SCORECARD, dimension="startup", key=str(startup_id), figures=figures)
        )
    return rows


def outcomes_refresh(*, full: bool = False, now: datetime | None = None) -> OutcomeRefresh:
    """Bring the journeys up to date (all of them when `full`) and rewrite the summaries; one transaction.
    With nothing changed since the last run on the same day, only the "as of" time moves."""
    now = now or timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        OutcomeRefresh.objects.get_or_create(pk=1, defaults={"as_of": now})
        marker = OutcomeRefresh.objects.select_for_update().get(pk=1)  # one refresh at a time
        full = full or marker.full_at is None or not marker.current  # another version's: rebuild it all
        codes, _sla, orders = stage_plan()
        exporter_ids = None if full else _changed_exporters(marker.as_of - OVERLAP)
        stale = ExporterJourney.objects.all() if full else ExporterJourney.objects.filter(exporter_id__in=exporter_ids)
        stale.delete()
        ExporterJourney.objects.bulk_create(_journeys_for(exporter_ids, codes, orders), batch_size=BATCH)
        # Stalls are counted up to today, so a new day rewrites the summaries even when nothing moved.
        if full or exporter_ids or timezone.localdate(marker.as_of) != timezone.localdate(now):
            OutcomeSummary.objects.all().delete()
            journeys = journey_values()
            rows = summary_rows(journeys, today=timezone.localdate(now))
            OutcomeSummary.objects.bulk_create(rows, batch_size=BATCH)
            marker.journeys = len(journeys)
        marker.as_of = now
        marker.full_at = now if full else marker.full_at
        marker.version = OUTCOMES_VERSION
        marker.seconds = round(time.perf_counter() - started, 2)
        marker.save()
    return marker
