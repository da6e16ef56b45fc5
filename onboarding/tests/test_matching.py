"""The auto-assignment engine: eligibility, scoring, reasons, and applying under locks."""

import pytest
from django.core.management import call_command

from ..models import Assignment, Exporter, Sector
from ..models.assignments import AssignedHow
from ..models.startups import StartupStatus
from ..services.assignments import assignment_decline, exporter_unassign
from ..services.auto_assign import auto_assignment_apply, propose
from .concurrency import race
from .factories import ExporterFactory, StartupFactory, assign


@pytest.fixture
def textiles(db):
    return Sector.objects.get(code="XI")


def gujarat_textile_exporter(**kwargs):
    return ExporterFactory(state="24", products=["5208"], preferred_language="gu", **kwargs)


def with_sector(startup, *sectors):
    startup.sectors.set(sectors)
    return startup


def test_proposal_prefers_state_then_sector_then_language_and_says_why(textiles):
    gujarat_textile_exporter(sector=textiles)
    far_fluent = StartupFactory(state="27", languages=["gu"])
    far_expert = with_sector(StartupFactory(state="27", languages=["en"]), textiles)
    local = with_sector(StartupFactory(state="24", languages=["gu"], capacity=40), textiles)
    [proposal] = propose().proposals
    assert proposal.startup.pk == local.pk
    assert proposal.why == (  # in words (issue 30)
        "same state (Gujarat); works in Textiles and textile articles; speaks Gujarati; startup has 0 of 40 places used"
    )
    local.status = StartupStatus.SUSPENDED
    local.save()
    assert propose().proposals[0].startup.pk == far_expert.pk
    far_expert.delete()
    assert propose().proposals[0].why == "speaks Gujarati; startup has 0 of 40 places used"
    assert far_fluent


def test_ties_go_to_the_lowest_load_ratio_then_round_robin(db):
    busy = StartupFactory(state="24", capacity=10)
    idle = StartupFactory(state="24", capacity=10)
    for exporter in ExporterFactory.create_batch(3, state="24"):
        assign(exporter, busy)
    pool = ExporterFactory.create_batch(8, state="24")
    plan = propose()
    given = [p.startup.pk for p in plan.proposals]
    # idle catches up to 3/10 first, then the two alternate.
    assert given[:3] == [idle.pk] * 3
    assert given[3:] == [busy.pk, idle.pk, busy.pk, idle.pk, busy.pk]
    assert len(pool) == len(given)


def test_paused_suspended_exited_full_and_declined_startups_get_nothing(manager_a, startup_a):
    StartupFactory(state="27", accepting_assignments=False)
    StartupFactory(state="27", status=StartupStatus.SUSPENDED)
    StartupFactory(state="27", status=StartupStatus.EXITED)
    StartupFactory(state="27", status=StartupStatus.APPLIED)
    full = StartupFactory(state="27", capacity=1)
    assign(ExporterFactory(), full)
    declined = assign(ExporterFactory(), startup_a)
    assignment_decline(actor=manager_a, exporter=declined, reason="not our sector")
    plan = propose()
    assert plan.proposals == []
    [unmatched] = plan.unmatched
    assert unmatched.exporter.pk == declined.pk
    assert "had this exporter before" in unmatched.why and "Alpha" in unmatched.why


def test_a_startup_that_lost_an_exporter_is_not_offered_it_again(officer, startup_a, startup_b):
    exporter = assign(ExporterFactory(state="24"), startup_a)
    exporter_unassign(actor=officer, exporter=exporter, reason="paused")
    [proposal] = propose().proposals
    assert proposal.startup.pk == startup_b.pk


def test_unmatched_exporters_are_listed_with_the_reason(db):
    vegetables = Sector.objects.get(code="II")
    exporter = ExporterFactory(state="33", preferred_language="ta", products=["0904"], sector=vegetables)
    assert propose().unmatched[0].why == "no active startup is accepting assignments"
    StartupFactory(state="27", languages=["mr"])
    [unmatched] = propose().unmatched
    assert unmatched.exporter.pk == exporter.pk
    assert unmatched.why == "no startup with room works in Tamil Nadu, knows Vegetable products or speaks Tamil"
    full = StartupFactory(state="33", capacity=0)
    assert full and "works in Tamil Nadu" in propose().unmatched[0].why


def test_every_proposal_carries_a_reason_and_no_startup_is_overfilled(textiles):
    startups = [with_sector(StartupFactory(state=s, capacity=c), textiles) for s, c in [("24", 3), ("27", 5)]]
    ExporterFactory.create_batch(12, state="24", products=["5208"], sector=textiles)
    ExporterFactory.create_batch(12, state="27", products=["5208"], sector=textiles, preferred_language="mr")
    plan = propose()
    assert len(plan.proposals) == 8 and len(plan.unmatched) == 16
    assert all(p.why and "places used" in p.why for p in plan.proposals)
    assert all(u.why for u in plan.unmatched)
    result = auto_assignment_apply(actor=None, plan=plan)
    assert result.assigned == 8 and not result.skipped
    for startup in startups:
        assert Exporter.objects.filter(startup=startup).count() == startup.capacity
    assert Assignment.objects.filter(how=AssignedHow.AUTO).count() == 8


@pytest.mark.both_databases
@pytest.mark.parametrize("pool", [5, 40])
def test_apply_writes_assignments_stage_and_history_in_bulk(admin_user, django_assert_max_num_queries, pool):
    startup = StartupFactory(state="27", capacity=100)
    ExporterFactory.create_batch(pool)
    plan = propose()
    # savepoint, 5 locked reads, assignments, their ids, their history, exporters, their history,
    # the exporters' news for their next message (one upsert), release,
    # + the startup's managers, for its one notice of the whole apply
    with django_assert_max_num_queries(15):
        result = auto_assignment_apply(actor=admin_user, plan=plan)
    assert result.assigned == pool
    exporter = Exporter.objects.filter(startup=startup).first()
    assert exporter.current_stage.code == "assigned" and exporter.stage_entered_at is not None
    record = exporter.history.first()
    assert (record.history_user, record.history_type, record.startup_id) == (admin_user, "~", startup.pk)
    assert record.legal_name == exporter.legal_name and record.products == exporter.products
    assignment = Assignment.objects.get(exporter=exporter)
    created = assignment.history.get()
    assert (created.history_user, created.history_type, created.why) == (admin_user, "+", assignment.why)
    assert Assignment.history.count() == pool and Exporter.history.filter(history_type="~").count() == pool


def test_apply_rechecks_capacity_and_pool_against_a_stale_plan(officer):
    startup = StartupFactory(state="27", capacity=3)
    exporters = ExporterFactory.create_batch(3)
    plan = propose()
    assign(ExporterFactory(), startup)  # the startup filled up a little since the preview
    result = auto_assignment_apply(actor=officer, plan=plan)
    assert result.assigned == 2
    [(proposal, why)] = result.skipped
    assert proposal.exporter.pk == exporters[2].pk and "room for 0 more" in why
    assert Exporter.objects.filter(startup=startup).count() == 3


def test_propose_uses_a_fixed_number_of_queries(db, django_assert_num_queries):
    for state in ("24", "27", "29"):
        StartupFactory(state=state)
    ExporterFactory.create_batch(5)
    with django_assert_num_queries(5):
        propose()
    ExporterFactory.create_batch(40, state="29")
    with django_assert_num_queries(5):
        assert len(propose().proposals) == 45


@pytest.mark.both_databases
def test_auto_assign_command_dry_run_writes_nothing_then_applies(db, capsys):
    StartupFactory(state="27", brand_name="Setu")
    ExporterFactory.create_batch(2)
    ExporterFactory(state="33", preferred_language="ta", products=["0904"], legal_name="Kaveri Spices LLP")
    call_command("auto_assign", "--dry-run")
    out = capsys.readouterr().out
    assert "Setu" in out and "same state (Maharashtra)" in out and "Kaveri Spices LLP" in out
    assert "dry run" in out and not Assignment.objects.exists()
    call_command("auto_assign")
    assert "Assigned 2" in capsys.readouterr().out
    assert Assignment.objects.count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_auto_assign_runs_racing_never_overfill_a_startup():
    """Two admins preview, then apply at the same moment, each on its own connection."""
    startups = [StartupFactory(state="27", capacity=4), StartupFactory(state="27", capacity=3)]
    ExporterFactory.create_batch(20)
    plans = [propose(), propose()]  # both plans are made before either is applied
    results = race(*(lambda plan=plan: auto_assignment_apply(actor=None, plan=plan) for plan in plans))
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    assert sorted(r.assigned for r in results) == [0, 7]
    assert sum(len(r.skipped) for r in results) == 7
    for startup in startups:
        assert Exporter.objects.filter(startup=startup).count() == startup.capacity
        assert Assignment.objects.open().filter(startup=startup).count() == startup.capacity


def test_bench_runs_auto_assign_in_a_rolled_back_transaction(db, tmp_path, capsys):
    import json

    call_command("seed_demo", startups=6, exporters=120, seed=7, password="demo-pass-123")
    before = list(Exporter.objects.order_by("pk").values_list("pk", "startup_id", "status"))
    path = tmp_path / "bench.json"
    # Small import runs: this test is about auto-assignment (tracemalloc makes big ones slow).
    call_command("bench", repeat=1, json_path=str(path), auto_assign_pool=50, import_rows=300, memory_rows=300)
    figures = json.loads(path.read_text())["auto_assign"]
    assert figures["pool"] == 50 and figures["assigned"] + figures["unmatched"] == 50
    assert figures["assigned"] > 0 and figures["overfull_startups"] == 0
    assert figures["preview_page_status"] == 200
    assert "auto-assign over a pool of 50" in capsys.readouterr().out
    assert list(Exporter.objects.order_by("pk").values_list("pk", "startup_id", "status")) == before
