"""Outcome figures on a small hand-built programme with known answers: ties, an empty cohort,
a skipped stage, a journey that never got there, and an exporter reassigned mid-way."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from ..models import Assignment, Commission, Exporter, OutcomeRefresh, OutcomeSummary, StageEvent
from ..models.outcomes import OUTCOMES_VERSION, ExporterJourney, SummaryKind
from ..models.stages import StageEventStatus
from ..reports.analytics import (
    Scope,
    StoredSource,
    dwell_table,
    milestone_tables,
    outcome_tables,
    split_table,
    trend_table,
)
from ..reports.outcomes import curve, median, percentile_cont
from ..reports.scorecards import scorecards
from ..services.assignments import exporter_reassign
from ..services.outcomes import outcomes_refresh
from .factories import ExporterFactory, StartupFactory, assign, stage

IST = ZoneInfo("Asia/Kolkata")
SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


def test_percentiles_interpolate_between_ranks_like_postgresql_percentile_cont():
    assert percentile_cont({"1": 1, "2": 1, "3": 1, "4": 1}, 0.5) == 2.5
    assert percentile_cont({"1": 1, "2": 1, "3": 1, "4": 1}, 0.8) == 3.4
    assert percentile_cont({"20": 2, "10": 1, "40": 1}, 0.8) == 28.0  # ties and unsorted keys
    assert median({"7": 3}) == 7
    assert median({}) is None


def test_a_cohort_curve_counts_who_had_reached_the_stage_by_each_week():
    points = curve({"10": 1, "20": 2, "40": 1}, size=5)
    assert points[:7] == [0.0, 0.0, 20.0, 60.0, 60.0, 60.0, 80.0]  # days 0, 7, 14, 21, 28, 35, 42
    assert curve({}, size=0)[0] is None


def _spell(exporter, startup, on: datetime):
    assign(exporter, startup)
    spell = Assignment.objects.get(exporter=exporter, ended_at__isnull=True)
    Assignment.objects.filter(pk=spell.pk).update(assigned_at=on)
    spell.refresh_from_db()
    return spell


def _reach(spell, code: str, days: int, status=StageEventStatus.APPROVED, **evidence):
    when = spell.assigned_at + timedelta(days=days)
    return StageEvent.objects.create(
        exporter=spell.exporter, startup=spell.startup, assignment=spell, stage=stage(code),
        submitted_at=when, status=status, reviewed_at=when, **evidence,
    )  # fmt: skip


@pytest.fixture
def programme(db):
    return build_programme()


def build_programme() -> dict:
    """September: five exporters (storefront at 10, 20, 20 and 40 days; one never), October: none,
    November: one (storefront after 5 days, skipping the stages between)."""
    alpha, beta = StartupFactory(brand_name="Alpha"), StartupFactory(brand_name="Beta")
    sep = datetime(2026, 9, 1, 10, 0, tzinfo=IST)
    spells = []
    for i, days in enumerate([10, 20, 20, 40, None]):
        exporter = ExporterFactory(state="27" if i < 3 else "24", msme_category="micro")
        spell = _spell(exporter, alpha if i < 3 else beta, sep)
        _reach(spell, "contacted", 2)
        if days is not None:
            _reach(spell, "storefront_live", days)
        spells.append(spell)
    _reach(spells[0], "first_inquiry", 30, evidence_country="US", evidence_number=2)
    _reach(spells[0], "first_order", 50, evidence_country="AE", evidence_amount=Decimal("1250.50"))
    _reach(spells[1], "first_order", 45, status=StageEventStatus.REJECTED, evidence_amount=Decimal("99"))
    late = _spell(ExporterFactory(state="27"), beta, datetime(2026, 11, 2, 9, 0, tzinfo=IST))
    _reach(late, "storefront_live", 5)
    outcomes_refresh(full=True)
    return {"alpha": alpha, "beta": beta, "spells": spells}


def _scope(**kwargs) -> Scope:
    return Scope(start=SEP, end=NOV, **kwargs)


def _stages():
    from ..models import Stage

    return list(Stage.objects.ordered())


def test_time_to_storefront_has_median_and_80th_percentile_per_cohort_with_an_empty_october(programme):
    tables = milestone_tables(StoredSource(), _scope(), _stages())
    assert tables["cohorts"].rows == [
        ["Sep 2026", 5, 4, 80.0, 20.0, 28.0],
        ["Oct 2026", 0, 0, None, None, None],
        ["Nov 2026", 1, 1, 100.0, 5.0, 5.0],
    ]
    assert [s["label"] for s in tables["curve_chart"]["series"]] == ["Sep 2026", "Nov 2026"]
    assert tables["curve_chart"]["series"][0]["values"][:7] == [0.0, 0.0, 20.0, 60.0, 60.0, 60.0, 80.0]


def test_a_skipped_stage_counts_as_reached_when_a_later_one_is(programme):
    overall = {row[0]: row for row in milestone_tables(StoredSource(), _scope(), _stages())["overall"].rows}
    # The November exporter went straight to a live storefront on day 5.
    assert overall["Contacted"][1:] == [6, 100.0, 2.0, 2.0]
    assert overall["Account created"][1:] == [5, 83.3, 20.0, 24.0]  # 5, 10, 20, 20, 40
    assert overall["First order"][1:] == [1, 16.7, 50.0, 50.0]  # the rejected claim does not count


def test_a_filter_on_one_startup_counts_only_its_exporters(programme):
    scope = _scope(dimension="startup", key=str(programme["beta"].pk))
    rows = milestone_tables(StoredSource(), scope, _stages())["cohorts"].rows
    assert rows == [
        ["Sep 2026", 2, 1, 50.0, 40.0, 40.0],
        ["Oct 2026", 0, 0, None, None, None],
        ["Nov 2026", 1, 1, 100.0, 5.0, 5.0],
    ]


def test_the_split_by_state_names_each_state(programme):
    table = split_table(StoredSource(), _scope(by="state"), _stages(), {"27": "Maharashtra", "24": "Gujarat"})
    assert table.rows == [["Gujarat", 2, 1, 50.0, 40.0, 40.0], ["Maharashtra", 4, 4, 100.0, 15.0, 20.0]]


def test_the_period_filter_leaves_out_other_cohorts(programme):
    rows = milestone_tables(StoredSource(), Scope(start=NOV, end=NOV), _stages())["cohorts"].rows
    assert rows == [["Nov 2026", 1, 1, 100.0, 5.0, 5.0]]


def test_dwell_is_measured_between_stages_reached_and_set_beside_the_sla(programme):
    rows = {row[0]: row for row in dwell_table(StoredSource(), _scope(), _stages()).rows}
    # Sep: assigned -> contacted after 2 days (5 stays); Nov: assigned -> storefront in 5.
    assert rows["Assigned"][1:] == [6, 2.0, 2.0, 3, 83.3]


def test_weekly_trends_count_assignments_moves_storefronts_orders_and_stalls(programme):
    table, chart = trend_table(StoredSource(), Scope(start=SEP, end=SEP))
    first = table.rows[0]  # week from Monday 31 Aug 2026
    assert first == ["31 Aug 2026", 5, 5, 0, 0, 0]
    assert len(chart["series"]) == 5


def test_first_orders_and_their_value_come_from_approved_evidence(programme):
    tables = outcome_tables(StoredSource(), _scope(), {"state": {"27": "Maharashtra"}})
    assert tables["month"].rows[1] == ["Oct 2026", 1, 1, Decimal("1250.50")]
    assert tables["country"].rows == [
        ["United Arab Emirates", 0, 1, Decimal("1250.50")],
        ["United States", 1, 0, Decimal("0")],
    ]
    assert tables["state"].rows == [["Maharashtra", 1, 1, Decimal("1250.50")]]


def test_an_incremental_refresh_picks_up_a_reassignment_since_the_last_one(programme):
    spell = programme["spells"][4]
    exporter_reassign(actor=None, exporter=spell.exporter, startup=programme["alpha"], reason="Closer to the exporter")
    outcomes_refresh()
    assert ExporterJourney.objects.filter(exporter=spell.exporter).count() == 2
    assert OutcomeSummary.objects.exists()


@time_machine.travel("2027-01-05 10:00 +0530", tick=False)
def test_a_refresh_with_nothing_changed_the_same_day_keeps_the_summaries(db):
    build_programme()
    # Within the overlap the last changes are read again; after it, nothing is left to read.
    outcomes_refresh(now=timezone.now() + timedelta(minutes=20))
    before = set(OutcomeSummary.objects.values_list("pk", flat=True))
    marker = outcomes_refresh(now=timezone.now() + timedelta(minutes=40))
    assert set(OutcomeSummary.objects.values_list("pk", flat=True)) == before
    assert marker.journeys == 6


@time_machine.travel("2027-01-05 10:00 +0530", tick=False)
def test_figures_of_another_version_are_not_read_and_the_next_refresh_rebuilds_them_all(db):
    build_programme()
    outcomes_refresh(now=timezone.now() + timedelta(minutes=20))  # past the overlap: nothing left to read
    # As a refresh stored before versions (migrated as 0) or by code that kept journeys otherwise.
    OutcomeRefresh.objects.update(version=OUTCOMES_VERSION - 1)
    ExporterJourney.objects.update(reached={})
    assert StoredSource().rows(SummaryKind.MILESTONE, "all") == []
    marker = outcomes_refresh(now=timezone.now() + timedelta(minutes=40))  # nothing changed, yet all of it
    assert (marker.version, marker.full_at) == (OUTCOMES_VERSION, timezone.now() + timedelta(minutes=40))
    assert not ExporterJourney.objects.filter(reached={}).exists()
    assert StoredSource().rows(SummaryKind.MILESTONE, "all") != []


def test_a_commission_paid_after_a_refresh_reaches_the_scorecard_at_the_next(db):
    with time_machine.travel("2027-01-05 10:00 +0530", tick=False) as traveller:
        built = build_programme()
        outcomes_refresh(now=timezone.now() + timedelta(minutes=20))  # past the overlap: nothing left to read
        traveller.shift(timedelta(minutes=40))
        spell = built["spells"][0]
        Commission.objects.create(
            startup=spell.startup, exporter=spell.exporter, stage=stage("storefront_live"),
            amount=Decimal("2500.00"), status="paid", paid_at=timezone.now(),
        )  # fmt: skip
        Exporter.objects.filter(pk=spell.exporter_id).update(updated_at=timezone.now() - timedelta(days=1))
        outcomes_refresh()
    alpha = built["alpha"]
    card = scorecards(StoredSource(), {alpha.pk: ("Alpha", 40)})[0]
    assert (card["earned"], card["paid"], card["cost_per_storefront"]) == (
        Decimal("2500"),
        Decimal("2500"),
        Decimal("833.33"),
    )
