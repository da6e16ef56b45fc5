"""Assignment services: atomic, audited, capacity-checked."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ..models import Assignment, Exporter
from ..models.assignments import AssignedHow, EndReason
from ..models.startups import StartupStatus
from ..services.assignments import (
    assignment_decline,
    exporter_assign,
    exporter_hand_to_agent,
    exporter_reassign,
    exporter_unassign,
    exporters_assign_bulk,
)
from ..services.startups import startup_release_exporters, startup_set_accepting, startup_set_status
from .factories import ExporterFactory, StartupFactory


def test_assign_opens_an_assignment_sets_the_stage_and_records_the_actor(officer, startup_a):
    exporter = ExporterFactory()
    assignment = exporter_assign(actor=officer, exporter=exporter, startup=startup_a, why="knows textiles")
    exporter.refresh_from_db()
    assert exporter.startup == startup_a and exporter.current_stage.code == "assigned"
    assert exporter.stage_entered_at == assignment.assigned_at
    assert (assignment.how, assignment.why, assignment.assigned_by) == (AssignedHow.MANUAL, "knows textiles", officer)
    assert assignment.history.get().history_user == officer
    assert exporter.history.first().history_user == officer


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": StartupStatus.SUSPENDED}, "suspended"),
        ({"status": StartupStatus.EXITED}, "exited"),
        ({"status": StartupStatus.APPLIED}, "applied"),
        ({"accepting_assignments": False}, "paused"),
        ({"capacity": 0}, "room for 0 more"),
    ],
)
def test_paused_suspended_and_full_startups_get_nothing(officer, change, message):
    startup = StartupFactory(**change)
    exporter = ExporterFactory()
    with pytest.raises(ValidationError, match=message):
        exporter_assign(actor=officer, exporter=exporter, startup=startup)
    assert not Assignment.objects.exists()
    exporter.refresh_from_db()
    assert exporter.startup is None


def test_capacity_is_never_exceeded_by_manual_assignment(officer):
    startup = StartupFactory(capacity=2)
    first, second, third = ExporterFactory.create_batch(3)
    exporter_assign(actor=officer, exporter=first, startup=startup)
    exporter_assign(actor=officer, exporter=second, startup=startup)
    with pytest.raises(ValidationError, match="2/2"):
        exporter_assign(actor=officer, exporter=third, startup=startup)
    assert Exporter.objects.filter(startup=startup).count() == 2


def test_an_assigned_exporter_must_be_reassigned_not_assigned(officer, exporter_a, startup_b):
    with pytest.raises(ValidationError, match="reassign"):
        exporter_assign(actor=officer, exporter=exporter_a, startup=startup_b)


def test_reassign_closes_the_old_assignment_and_opens_the_new_one(officer, exporter_a, startup_a, startup_b):
    new = exporter_reassign(actor=officer, exporter=exporter_a, startup=startup_b, reason="closer to Surat")
    old = Assignment.objects.get(exporter=exporter_a, startup=startup_a)
    assert (old.end_reason, old.end_note, old.ended_by) == (EndReason.REASSIGNED, "closer to Surat", officer)
    assert old.ended_at == new.assigned_at
    assert Assignment.objects.open().filter(exporter=exporter_a).get() == new
    exporter_a.refresh_from_db()
    assert exporter_a.startup == startup_b


def test_reassign_needs_a_reason_and_changes_nothing_without_one(officer, exporter_a, startup_b):
    with pytest.raises(ValidationError, match="Say why"):
        exporter_reassign(actor=officer, exporter=exporter_a, startup=startup_b, reason="  ")
    exporter_a.refresh_from_db()
    assert Assignment.objects.open().filter(exporter=exporter_a).count() == 1


def test_reassign_to_a_full_startup_is_refused_atomically(officer, exporter_a, startup_a):
    full = StartupFactory(capacity=0)
    with pytest.raises(ValidationError):
        exporter_reassign(actor=officer, exporter=exporter_a, startup=full, reason="try")
    assert Assignment.objects.get(exporter=exporter_a).ended_at is None
    exporter_a.refresh_from_db()
    assert exporter_a.startup == startup_a


def test_decline_returns_to_the_pool_and_the_startup_cannot_get_it_again(manager_a, officer, exporter_a, startup_a):
    assignment_decline(actor=manager_a, exporter=exporter_a, reason="no Gujarati speaker")
    exporter_a.refresh_from_db()
    assert exporter_a.startup is None and exporter_a.current_stage is None
    assert Assignment.objects.get(exporter=exporter_a).end_reason == EndReason.DECLINED
    with pytest.raises(ValidationError, match="declined"):
        exporter_assign(actor=officer, exporter=exporter_a, startup=startup_a)


def test_only_a_manager_of_the_assigned_startup_may_decline(agent_a, manager_b, exporter_a):
    for person in (agent_a, manager_b):
        with pytest.raises(PermissionDenied):
            assignment_decline(actor=person, exporter=exporter_a, reason="no")
    assert Assignment.objects.get(exporter=exporter_a).ended_at is None


def test_unassign_returns_an_exporter_to_the_pool_with_history(officer, exporter_a):
    exporter_unassign(actor=officer, exporter=exporter_a, reason="exporter asked for a pause")
    exporter_a.refresh_from_db()
    assert exporter_a.startup is None
    assignment = Assignment.objects.get(exporter=exporter_a)
    assert assignment.end_reason == EndReason.UNASSIGNED and assignment.history.first().history_user == officer


def test_startup_exit_returns_every_open_exporter_in_one_action(admin_user, startup_a, startup_b, exporter_b):
    from .factories import assign

    mine = [assign(e, startup_a) for e in ExporterFactory.create_batch(4)]
    startup, released = startup_set_status(
        actor=admin_user, startup=startup_a, status=StartupStatus.EXITED, reason="left the programme", release=True
    )
    assert released == 4 and startup.status == StartupStatus.EXITED
    assert not Exporter.objects.filter(startup=startup_a).exists()
    assert Exporter.objects.get(pk=exporter_b.pk).startup == startup_b  # others untouched
    closed = Assignment.objects.filter(startup=startup_a)
    assert {a.end_reason for a in closed} == {EndReason.STARTUP_EXITED} and closed.count() == 4
    for exporter in mine:
        assert exporter.history.first().history_user == admin_user
        assert exporter.history.first().startup_id is None
    assert closed.first().history.first().history_user == admin_user


def test_release_without_reason_changes_nothing(admin_user, exporter_a, startup_a):
    with pytest.raises(ValidationError):
        startup_release_exporters(actor=admin_user, startup=startup_a, reason="")
    exporter_a.refresh_from_db()
    assert exporter_a.startup == startup_a


def test_pause_stops_new_assignments_and_resume_allows_them(officer, startup_a):
    startup_set_accepting(actor=officer, startup=startup_a, accepting=False)
    with pytest.raises(ValidationError, match="paused"):
        exporter_assign(actor=officer, exporter=ExporterFactory(), startup=startup_a)
    startup_set_accepting(actor=officer, startup=startup_a, accepting=True)
    exporter_assign(actor=officer, exporter=ExporterFactory(), startup=startup_a)


def test_bulk_assign_is_all_or_nothing_on_capacity(officer):
    startup = StartupFactory(capacity=3)
    exporters = ExporterFactory.create_batch(4)
    with pytest.raises(ValidationError, match="room for 3 more, not 4"):
        exporters_assign_bulk(actor=officer, exporters=exporters, startup=startup)
    assert not Assignment.objects.exists()
    assert exporters_assign_bulk(actor=officer, exporters=exporters[:3], startup=startup) == 3


def test_bulk_assign_needs_a_reason_to_move_assigned_exporters(officer, exporter_a, startup_b):
    pool = ExporterFactory()
    with pytest.raises(ValidationError, match="say why"):
        exporters_assign_bulk(actor=officer, exporters=[pool, exporter_a], startup=startup_b)
    assert exporters_assign_bulk(actor=officer, exporters=[pool, exporter_a], startup=startup_b, reason="merge") == 2
    assert Assignment.objects.ended().get(exporter=exporter_a).end_reason == EndReason.REASSIGNED


def test_manager_hands_an_exporter_to_an_agent_of_the_same_startup(manager_a, agent_a, manager_b, exporter_a):
    exporter_hand_to_agent(actor=manager_a, exporter=exporter_a, agent=agent_a)
    exporter_a.refresh_from_db()
    assert exporter_a.agent == agent_a
    assert Assignment.objects.get(exporter=exporter_a).agent == agent_a
    with pytest.raises(ValidationError, match="not in"):
        exporter_hand_to_agent(actor=manager_a, exporter=exporter_a, agent=manager_b)
