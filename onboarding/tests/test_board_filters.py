"""The board answers "how is this startup doing?": filters by startup (staff), agent and state,
each column's head counts its exporters and the stalled among them, the column's link opens a
list of the same count, and colour is kept for the stalled."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ..models import Exporter
from .factories import ExporterFactory, MemberFactory, assign

BOARD = reverse("onboarding:board")


@pytest.fixture
def pipeline(startup_a, startup_b, agent_a):
    """Startup A: three in "Contacted" (one the agent's, in Gujarat; two stalled), one fresh in
    "First inquiry"; startup B: one stalled in "Contacted"."""
    long_ago = timezone.now() - timedelta(days=30)
    a = [assign(ExporterFactory(), startup_a, stage_code="contacted", entered=long_ago) for _ in range(3)]
    a.append(assign(ExporterFactory(), startup_a, stage_code="first_inquiry"))
    Exporter.objects.filter(pk=a[0].pk).update(agent=agent_a, state="24", last_activity_at=timezone.now())
    assign(ExporterFactory(), startup_b, stage_code="contacted", entered=long_ago)
    return a


def heads(response) -> dict[str, tuple[int, int]]:
    return {c["stage"].code: (c["count"], c["stalled"]) for c in response.context["columns"] if c["count"]}


def test_staff_narrow_the_board_to_one_startup_then_to_its_agent_or_a_state(
    client_for, officer, startup_a, agent_a, pipeline
):
    client = client_for(officer)
    assert heads(client.get(BOARD)) == {"contacted": (4, 3), "first_inquiry": (1, 0)}
    one = client.get(BOARD, {"startup": startup_a.pk})
    assert heads(one) == {"contacted": (3, 2), "first_inquiry": (1, 0)}
    assert "Pipeline of" in one.content.decode() and one.context["total"] == 4
    assert heads(client.get(BOARD, {"startup": startup_a.pk, "agent": agent_a.pk})) == {"contacted": (1, 0)}
    assert heads(client.get(BOARD, {"state": "24"})) == {"contacted": (1, 0)}


def test_a_manager_narrows_their_board_to_an_agent(client_for, manager_a, agent_a, pipeline):
    client = client_for(manager_a)
    assert heads(client.get(BOARD)) == {"contacted": (3, 2), "first_inquiry": (1, 0)}
    narrowed = client.get(BOARD, {"agent": agent_a.pk})
    assert heads(narrowed) == {"contacted": (1, 0)}
    assert f"Agent:</span> {agent_a}" in narrowed.content.decode()  # the filter shows as a chip


def test_a_columns_link_opens_a_list_with_the_same_count(client_for, manager_a, startup_a, pipeline):
    for _ in range(12):  # more than a column shows
        assign(ExporterFactory(), startup_a, stage_code="first_inquiry")
    client = client_for(manager_a)
    column = next(c for c in client.get(BOARD).context["columns"] if c["stage"].code == "first_inquiry")
    assert column["count"] == 13 and len(column["cards"]) == 12
    listed = client.get(html.unescape(column["more"]))
    assert listed.context["page"].paginator.count == 13


def test_the_heads_say_how_many_and_how_many_stalled(client_for, manager_a, pipeline):
    page = client_for(manager_a).get(BOARD).content.decode()
    assert 'data-wip="3"' in page and 'data-stalled="2">2 stalled' in page
    # Colour only for the stalled: two amber badges, the other cards plain.
    assert len(re.findall(r"badge text-bg-(?:warning|danger) text-wrap board-badge", page)) == 2
    assert len(re.findall(r"badge text-bg-light text-wrap border board-badge", page)) == 2


@pytest.mark.parametrize("extra", [0, 20])
def test_a_filtered_board_costs_the_same_queries_however_many_exporters(
    client_for, officer, startup_a, agent_a, pipeline, django_assert_num_queries, extra
):
    startup_a.capacity = 100
    startup_a.save(update_fields=["capacity"])
    for _ in range(extra):
        assign(ExporterFactory(), startup_a, stage_code="contacted")
    client = client_for(officer)
    client.get(BOARD, {"startup": startup_a.pk, "state": "27"})
    # session, user, the startup chosen, stages, the heads' counts, the cards (one UNION of the
    # columns where the database can slice each part, as PostgreSQL does; else one query per
    # non-empty column, here two), the agent choices, the bell, the review badge
    cards = 1 if connection.features.supports_slicing_ordering_in_compound else 2
    with django_assert_num_queries(8 + cards):
        response = client.get(BOARD, {"startup": startup_a.pk, "state": "27"})
    assert heads(response)["contacted"][0] == 2 + extra


def test_another_startups_manager_cannot_see_startup_as_board_through_its_filters(
    client_for, manager_b, startup_a, agent_a, pipeline
):
    client = client_for(manager_b)
    assert heads(client.get(BOARD, {"startup": startup_a.pk})) == {"contacted": (1, 1)}  # their own only
    refused = client.get(BOARD, {"agent": agent_a.pk})
    assert refused.context["filter"].form.errors["agent"]
    assert all(card.startup_id != startup_a.pk for c in refused.context["columns"] for card in c["cards"])


def test_an_agent_of_the_startup_is_a_choice_and_a_removed_member_is_not(client_for, manager_a, startup_a, pipeline):
    gone = MemberFactory(startup=startup_a, role="agent")
    gone.removed_at = timezone.now()
    gone.save(update_fields=["removed_at"])
    response = client_for(manager_a).get(BOARD, {"agent": gone.user.pk})
    assert response.context["filter"].form.errors["agent"]
