"""Late (past the stage's service level) and stalled (late and no work logged since it entered
the stage) are two things: one rule each, counted and linked on the home; colour only for stalled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import Exporter, Stage
from ..services.progress import activity_log
from .factories import ExporterFactory, assign


@pytest.fixture
def three(startup_a, agent_a):
    """On time, late with work logged since it entered the stage, and stalled."""
    now = timezone.now()
    on_time = assign(ExporterFactory(legal_name="On Time LLP"), startup_a, stage_code="contacted")
    late = assign(
        ExporterFactory(legal_name="Late LLP"), startup_a, stage_code="contacted", entered=now - timedelta(days=9)
    )
    activity_log(
        actor=agent_a, exporter=late, kind="call", occurred_at=now - timedelta(days=1), note="Called", outcome="reached"
    )
    stalled = assign(
        ExporterFactory(legal_name="Stalled LLP"), startup_a, stage_code="contacted", entered=now - timedelta(days=9)
    )
    return on_time, Exporter.objects.get(pk=late.pk), stalled


def test_late_holds_every_exporter_past_its_service_level_and_stalled_only_the_quiet_ones(three):
    _on_time, late, stalled = three
    now = timezone.now()
    assert set(Exporter.objects.late(now)) == {late, stalled}
    assert set(Exporter.objects.stalled(now)) == {stalled}


def test_each_exporter_says_whether_it_is_on_time_late_or_stalled_and_only_stalled_is_coloured(three):
    assert [e.lateness for e in three] == ["on_time", "late", "stalled"]
    assert [e.sla_state for e in three] == ["light", "light", "warning"]


def test_a_badge_turns_red_only_when_stalled_past_twice_the_service_level(three):
    _on_time, late, stalled = three
    long_ago = timezone.now() - timedelta(days=15)  # the stage's SLA is 7 days
    Exporter.objects.filter(pk__in=[late.pk, stalled.pk]).update(stage_entered_at=long_ago)
    late, stalled = Exporter.objects.get(pk=late.pk), Exporter.objects.get(pk=stalled.pk)
    assert (late.sla_state, stalled.sla_state) == ("light", "danger")


def test_an_exporter_on_hold_is_neither_late_nor_stalled(three):
    _on_time, _late, stalled = three
    Exporter.objects.filter(pk=stalled.pk).update(status="on_hold")
    stalled.refresh_from_db()
    assert stalled.lateness == "" and not Exporter.objects.late(timezone.now()).filter(pk=stalled.pk).exists()


def test_the_startup_home_counts_late_and_stalled_apart_and_links_each_to_its_list(client_for, manager_a, three):
    response = client_for(manager_a).get(reverse("onboarding:home"))
    assert (response.context["counts"]["late"], response.context["counts"]["stalled"]) == (2, 1)
    html = response.content.decode()
    # The manager's home counts the whole startup: the links say so, in the form's spelling.
    assert f'href="{reverse("onboarding:exporter-list")}?mine=false&amp;late=true"' in html
    assert f'href="{reverse("onboarding:exporter-list")}?mine=false&amp;stalled=true"' in html
    assert "day 9 of 7 · late" in html and "day 9 of 7 · stalled" in html
    assert 'id="sla-legend"' in html and "service level (SLA)" in html


def test_the_board_shows_the_same_colours_and_the_legend(client_for, manager_a, three):
    html = client_for(manager_a).get(reverse("onboarding:board")).content.decode()
    assert '<span class="badge text-bg-light text-wrap border board-badge">day 9 of 7 · late</span>' in html
    assert '<span class="badge text-bg-warning text-wrap board-badge">day 9 of 7 · stalled</span>' in html
    assert 'id="sla-legend"' in html


@pytest.mark.both_databases  # the cut-offs are compared by the database: timestamps on PostgreSQL, text on SQLite
def test_late_and_stalled_hold_at_every_stage_from_the_first_microsecond_past_its_service_level(startup_a):
    """One exporter per stage entered exactly its SLA ago (on time) and one a microsecond
    earlier (late): the database's rule (late_q, one node for every stage) and each exporter's
    own (`lateness`) agree for every stage, in the counts and in the lists."""
    now = timezone.now()
    expected_late = set()
    for stage in Stage.objects.ordered():
        due = now - timedelta(days=stage.sla_days)
        for entered, late in ((due, False), (due - timedelta(microseconds=1), True)):
            exporter = ExporterFactory()
            placed = {"startup": startup_a, "current_stage": stage, "stage_entered_at": entered}
            Exporter.objects.filter(pk=exporter.pk).update(**placed)
            if late:
                expected_late.add(exporter.pk)
    assert len(expected_late) == Stage.objects.count() > 1
    assert set(Exporter.objects.late(now).values_list("pk", flat=True)) == expected_late
    assert set(Exporter.objects.stalled(now).values_list("pk", flat=True)) == expected_late  # no work logged
    stages = list(Stage.objects.ordered())
    counts = Exporter.objects.filter(startup=startup_a).sla_counts(now, stages)
    assert counts == {"assigned": 2 * len(stages), "late": len(expected_late), "stalled": len(expected_late)}
    first = list(Exporter.objects.filter(startup=startup_a).by_urgency(now, stages).values_list("pk", flat=True))
    assert set(first[: len(expected_late)]) == expected_late  # stalled first
