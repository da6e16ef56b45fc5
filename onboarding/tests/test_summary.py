"""The programme summary behind the dashboard and the distribution report: kept equal to a
recount from scratch by the services that move exporters, and read in constant work."""

from datetime import timedelta
from unittest import mock

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ..models import Exporter, ProgrammeSummary, Startup
from ..models.summary import SUMMARY_VERSION, SummaryFigures
from ..reports.dashboard import summary_figures
from ..services.assignments import exporter_unassign, exporters_assign_bulk
from ..services.progress import (
    activity_log,
    exporter_set_stage,
    stage_events_approve_bulk,
    stage_events_reject_bulk,
)
from ..services.startups import startup_update
from ..services.summary import (
    MAX_AGE,
    RECOUNT_LOCK,
    _publish_refresh,
    _recount_in_turn,
    summary_changed,
    summary_current,
    summary_refresh,
)
from .factories import ExporterFactory, StartupFactory, assign, stage
from .test_reviews import claim


def stored() -> ProgrammeSummary:
    return ProgrammeSummary.objects.get()


def read_exporters(queries: CaptureQueriesContext) -> list[str]:
    """The captured queries that read the exporter table: a recount does, reading the stored figures does not."""
    return [q["sql"] for q in queries if f'FROM "{Exporter._meta.db_table}"' in q["sql"]]


def assert_matches_a_recount() -> None:
    summary = stored()
    assert summary.figures == summary_figures(summary.as_of).as_json()


def test_assigning_moving_a_stage_and_unassigning_each_leave_the_summary_equal_to_a_recount(
    admin_user, startup_a, django_capture_on_commit_callbacks
):
    exporters = ExporterFactory.create_batch(4)
    summary_refresh()
    with django_capture_on_commit_callbacks(execute=True):
        assign(exporters[0], startup_a)
    assert_matches_a_recount()
    assert stored().counts.load_of() == {startup_a.pk: 1}  # the recount it matched is not empty
    with django_capture_on_commit_callbacks(execute=True):
        exporter_set_stage(actor=admin_user, exporter=exporters[0], stage=stage("account_created"), reason="seen live")
    assert_matches_a_recount()
    with django_capture_on_commit_callbacks(execute=True):
        exporter_unassign(actor=admin_user, exporter=exporters[0], reason="wrong district")
    assert_matches_a_recount()
    assert stored().counts.load_of() == {}


def test_logged_work_recounts_so_an_exporter_is_no_longer_stalled(
    admin_user, startup_a, manager_a, django_capture_on_commit_callbacks
):
    exporter = assign(ExporterFactory(), startup_a, entered=timezone.now() - timedelta(days=90))
    summary_refresh()
    assert sum(row.stalled for row in stored().counts.breakdown) == 1
    with django_capture_on_commit_callbacks(execute=True):
        activity_log(
            actor=manager_a,
            exporter=exporter,
            kind="call",
            occurred_at=timezone.now(),
            note="Called",
            outcome="reached",
        )
    assert sum(row.stalled for row in stored().counts.breakdown) == 0
    assert_matches_a_recount()


def test_a_bulk_assignment_queues_one_recount_not_one_per_exporter(
    admin_user, startup_a, django_capture_on_commit_callbacks
):
    exporters = ExporterFactory.create_batch(5)
    with (
        mock.patch("onboarding.services.summary._publish_refresh") as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        exporters_assign_bulk(actor=admin_user, exporters=exporters, startup=startup_a)
    assert published.call_count == 1


def review_in_bulk(officer, agent, startup, n: int, capture, decide=stage_events_approve_bulk) -> tuple[int, int]:
    """Submit `n` claims, decide them in one bulk review; (recounts published at its commit,
    queries on the summary's table then)."""
    events = [claim(startup, agent) for _ in range(n)]
    summary_refresh()
    with (
        mock.patch("onboarding.services.summary._publish_refresh", wraps=_publish_refresh) as published,
        CaptureQueriesContext(connection) as queries,
        capture(execute=True),
    ):
        decide(actor=officer, event_ids=[e.pk for e in events], note="Checked")
    summary_table = ProgrammeSummary._meta.db_table
    return published.call_count, len([q for q in queries if summary_table in q["sql"]])


@pytest.mark.parametrize("decide", [stage_events_approve_bulk, stage_events_reject_bulk])
def test_a_bulk_review_queues_one_recount_however_many_claims(
    officer, agent_a, startup_a, django_capture_on_commit_callbacks, decide
):
    few = review_in_bulk(officer, agent_a, startup_a, 2, django_capture_on_commit_callbacks, decide)
    many = review_in_bulk(officer, agent_a, startup_a, 8, django_capture_on_commit_callbacks, decide)
    assert few[0] == many[0] == (1 if decide is stage_events_approve_bulk else 0)
    assert few[1] == many[1]
    assert_matches_a_recount()


def test_a_claim_rolled_back_alone_does_not_take_the_transactions_recount_with_it(
    officer, agent_a, startup_a, django_capture_on_commit_callbacks
):
    with (
        mock.patch("onboarding.services.summary._publish_refresh") as published,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        try:
            with transaction.atomic():
                summary_changed()  # the first change registers the recount, then rolls back
                raise ValueError
        except ValueError:
            pass
        summary_changed()
        summary_changed()
    assert published.call_count == 1


def test_outside_a_transaction_each_change_queues_its_recount(transactional_db):
    with mock.patch("onboarding.services.summary._publish_refresh") as published:
        summary_changed()
        summary_changed()
    assert published.call_count == 2


def test_a_recount_queued_before_a_newer_recount_is_skipped(db):
    queued = timezone.now()
    newer = summary_refresh(now=queued + timedelta(seconds=5))
    ExporterFactory()  # not counted: the skipped recount must not run
    with CaptureQueriesContext(connection) as queries:
        kept = summary_refresh(unless_since=queued)
    assert kept.as_of == newer.as_of
    assert len(queries) == 1


def test_an_older_recount_never_overwrites_a_newer_one(db):
    now = timezone.now()
    summary_refresh(now=now)
    ExporterFactory()
    summary_refresh(now=now - timedelta(minutes=1))
    assert stored().as_of == now
    assert stored().counts.breakdown == []


def test_the_dashboard_recounts_a_summary_older_than_its_limit(client_for, officer):
    summary_refresh(now=timezone.now() - MAX_AGE - timedelta(seconds=1))
    ExporterFactory()
    response = client_for(officer).get(reverse("onboarding:home"))
    assert response.context["totals"]["total"] == 1
    assert b"figures-as-of" in response.content


@pytest.fixture
def recounting_elsewhere():
    """Another request's recount in progress: its session holds the page recount's lock."""
    params = connection.settings_dict
    other = psycopg.connect(
        dbname=params["NAME"], user=params["USER"], host=params["HOST"], port=params["PORT"], autocommit=True
    )
    other.execute("SELECT pg_advisory_lock(%s)", [RECOUNT_LOCK])
    yield
    other.close()


def test_a_page_shows_old_figures_while_another_request_recounts_them(db, recounting_elsewhere):
    old = timezone.now() - MAX_AGE - timedelta(seconds=1)
    summary_refresh(now=old)
    figures = stored().figures
    ExporterFactory()
    with CaptureQueriesContext(connection) as queries:
        shown = summary_current()
    assert (shown.as_of, shown.figures) == (old, figures)
    assert stored().as_of == old
    assert not read_exporters(queries)


def test_a_page_recounts_old_figures_when_no_other_request_is(db):
    old = timezone.now() - MAX_AGE - timedelta(seconds=1)
    summary_refresh(now=old)
    ExporterFactory()
    shown = summary_current()
    assert shown.as_of > old
    assert sum(row.exporters for row in shown.counts.breakdown) == 1
    assert_matches_a_recount()


def test_a_page_whose_turn_comes_after_another_recount_reads_that_one(db):
    now = timezone.now()
    summary_refresh(now=now - MAX_AGE - timedelta(seconds=1))
    seen_old = stored()
    summary_refresh(now=now - timedelta(seconds=2))  # the other request's recount, just stored
    ExporterFactory()
    with CaptureQueriesContext(connection) as queries:
        shown = _recount_in_turn(seen_old, now)
    assert shown.as_of == now - timedelta(seconds=2)
    assert not read_exporters(queries)


def test_the_dashboard_reads_a_fresh_summary_without_counting_exporters(client_for, officer):
    ExporterFactory.create_batch(3)
    summary_current()
    client = client_for(officer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("onboarding:home"))
    assert response.status_code == 200
    assert response.context["totals"]["total"] == 3
    assert not read_exporters(queries)


@pytest.mark.parametrize("name", ["onboarding:home", "onboarding:reports"])
def test_the_dashboard_and_distribution_report_make_as_many_queries_with_more_exporters(
    client_for, officer, name, django_assert_max_num_queries
):
    startups = StartupFactory.create_batch(2)
    client = client_for(officer)
    client.get(reverse(name))  # warm-up: the summary is counted and stored
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(name))
    for s in startups:
        for e in ExporterFactory.create_batch(4):
            assign(e, s)
    summary_refresh()
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse(name))
    assert response.status_code == 200


def test_the_distribution_report_counts_from_the_summary(
    client_for, officer, startup_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assign(ExporterFactory(state="27"), startup_a)
        ExporterFactory(state="27")
    response = client_for(officer).get(reverse("onboarding:reports"))
    row = next(r for r in response.context["startups"] if r["startup"] == startup_a)
    assert row["load"] == 1
    state = next(r for r in response.context["states"] if r["key"] == "27")
    assert (state["exporters"], state["assigned"], state["pool"]) == (2, 1, 1)


def test_the_distribution_report_reads_no_list_of_startups_while_none_changed(client_for, officer, startup_a):
    assign(ExporterFactory(), startup_a)
    StartupFactory.create_batch(3)
    summary_refresh()
    with CaptureQueriesContext(connection) as queries:
        response = client_for(officer).get(reverse("onboarding:reports"))
    assert len(response.context["startups"]) == 4
    links = Startup.sectors.through._meta.db_table
    assert not [q for q in queries if f'FROM "{links}"' in q["sql"]]  # the stored cells were read


def test_a_startup_changed_after_the_count_shows_on_the_distribution_report_at_once(
    client_for, officer, admin_user, startup_a
):
    assign(ExporterFactory(state="29"), startup_a)
    summary_refresh()
    startup_update(actor=admin_user, startup=startup_a, data={"capacity": 4, "state": "29"})
    StartupFactory(state="24", capacity=10)  # registered after the count
    response = client_for(officer).get(reverse("onboarding:reports"))
    row = next(r for r in response.context["startups"] if r["startup"] == startup_a)
    assert (row["load"], row["percent"]) == (1, 25)
    states = {r["key"]: r for r in response.context["states"]}
    assert (states["29"]["startups"], states["29"]["capacity"], states["29"]["room"]) == (1, 4, 3)
    assert (states["24"]["startups"], states["24"]["capacity"]) == (1, 10)
    assert "27" not in states  # startup_a's state before the change: no startup and no exporter there now
    assert response.context["load_chart"]["values"] == [1, 1, 0, 0, 0, 0]  # empty, 1–25%


# --- Versioned figures --------------------------------------------------------------------

# A row as stored before the figures had names and a version: positional lists.
POSITIONAL = {"breakdown": [["27", None, "active", 40, 0, 0]], "spread": [["27", None, 40, 0]], "loads": []}


def test_the_stored_figures_are_named_and_carry_the_codes_version(startup_a):
    assign(ExporterFactory(state="24"), startup_a)
    figures = summary_refresh().figures
    assert figures["version"] == SUMMARY_VERSION
    assert figures["breakdown"][0].keys() == {"state", "stage_id", "status", "exporters", "assigned", "stalled"}
    assert figures["distribution"].keys() == {"seen", "startups", "states", "sectors", "histogram"}
    assert SummaryFigures.from_json(figures).load_of() == {startup_a.pk: 1}
    assert SummaryFigures.from_json(figures).as_json() == figures


@pytest.mark.parametrize("stale", [POSITIONAL, {**POSITIONAL, "version": SUMMARY_VERSION - 1}, {}])
def test_a_summary_of_another_version_is_recounted_not_misread(client_for, officer, stale):
    ExporterFactory.create_batch(2)
    ProgrammeSummary.objects.create(as_of=timezone.now() + timedelta(minutes=1), figures=stale)
    assert stored().counts is None
    response = client_for(officer).get(reverse("onboarding:home"))
    assert response.context["totals"]["total"] == 2  # not the 40 of the stale row
    assert_matches_a_recount()


def test_a_queued_recount_is_not_skipped_for_a_newer_summary_of_another_version(db):
    queued = timezone.now()
    ProgrammeSummary.objects.create(as_of=queued + timedelta(seconds=5), figures=POSITIONAL)
    ExporterFactory()
    summary_refresh(unless_since=queued)
    assert sum(row.exporters for row in stored().counts.breakdown) == 1
