"""The REST API's scoping across every resource: staff see every startup's objects, a startup
only its own; startup B gets a 404 on startup A's objects through every endpoint (the safety
net under each resource's own ownership test); list query counts do not grow with the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ..services.progress import activity_log, stage_event_submit
from .api_client import API, api_for, exporter_body, snapshot, startup_body
from .factories import ExporterFactory, StartupFactory, assign, commission_rule, stage

RESOURCES = ["startups", "exporters", "assignments", "stage-events", "activities", "commissions"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_staff_list_and_retrieve_every_startups_objects(officer, api_objects, startup_a, startup_b, resource):
    api = api_for(officer)
    listed = {row["id"] for row in api.get(f"{API}/{resource}/").json()["results"]}
    expected = {api_objects[startup_a.pk][resource], api_objects[startup_b.pk][resource]}
    assert expected <= listed
    for pk in expected:
        response = api.get(f"{API}/{resource}/{pk}/")
        assert response.status_code == 200 and response.json()["id"] == pk


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_startup_user_lists_and_retrieves_only_their_own(agent_a, api_objects, startup_a, startup_b, resource):
    api = api_for(agent_a)
    own, other = api_objects[startup_a.pk][resource], api_objects[startup_b.pk][resource]
    listed = [row["id"] for row in api.get(f"{API}/{resource}/").json()["results"]]
    assert own in listed and other not in listed
    assert api.get(f"{API}/{resource}/{own}/").status_code == 200
    assert api.get(f"{API}/{resource}/{other}/").status_code == 404


# --- Startup B's people get a 404 on startup A's objects, whatever the endpoint ---------

# (resource, suffix, method, body): every object endpoint and action of the API.
OBJECT_ENDPOINTS = [
    ("startups", "", "get", None),
    ("startups", "", "patch", {"city": "Nowhere"}),
    ("startups", "", "put", startup_body()),
    ("exporters", "", "get", None),
    ("exporters", "", "patch", {"legal_name": "Hijacked"}),
    ("exporters", "", "put", exporter_body(7)),
    ("assignments", "", "get", None),
    ("stage-events", "", "get", None),
    ("stage-events", "approve/", "post", {"note": "ok"}),
    ("stage-events", "reject/", "post", {"note": "no"}),
    ("activities", "", "get", None),
    ("commissions", "", "get", None),
]


@pytest.mark.parametrize(("resource", "suffix", "method", "body"), OBJECT_ENDPOINTS)
def test_startup_b_manager_gets_404_on_startup_a_objects_and_nothing_changes(
    manager_b, api_objects, startup_a, startup_b, resource, suffix, method, body
):
    api = api_for(manager_b)
    before = snapshot()
    url = f"{API}/{resource}/{api_objects[startup_a.pk][resource]}/{suffix}"
    response = getattr(api, method)(url, body, format="json")
    assert response.status_code == 404, (resource, suffix, method, response.content)
    assert snapshot() == before, "a refused request changed something"
    # The same request on B's own object is answered (or refused for the role), not hidden.
    own_url = f"{API}/{resource}/{api_objects[startup_b.pk][resource]}/{suffix}"
    own = getattr(api, method)(own_url, body, format="json")
    assert own.status_code in (200, 403), (resource, suffix, method, own.content)


# --- Query counts are constant with data size -------------------------------------------


def _grow(startup, agent, n):
    for _ in range(n):
        exporter = assign(ExporterFactory(), startup)
        stage_event_submit(actor=agent, exporter=exporter, stage=stage("contacted"), evidence={"note": "call"})
        activity_log(actor=agent, exporter=exporter, kind="training", occurred_at=timezone.now())


@pytest.mark.parametrize(
    "resource", ["exporters", "stage-events", "activities", "startups", "assignments", "commissions"]
)
@pytest.mark.parametrize("who", ["officer", "agent_a"])
def test_list_query_count_does_not_grow_with_data(
    django_assert_num_queries, request, startup_a, agent_a, resource, who
):
    user = request.getfixturevalue(who)
    api = api_for(user)
    commission_rule("contacted", "300.00")  # each approved contact accrues a ledger entry
    _grow(startup_a, agent_a, 2)
    for _ in range(3):
        StartupFactory()
    with CaptureQueriesContext(connection) as small:
        first = api.get(f"{API}/{resource}/")
    assert first.status_code == 200
    _grow(startup_a, agent_a, 8)
    for _ in range(5):
        StartupFactory()
    api = api_for(user)  # a new request, as a new call would be
    with django_assert_num_queries(len(small.captured_queries)):
        response = api.get(f"{API}/{resource}/")
    assert response.status_code == 200
    if not (resource == "startups" and who == "agent_a"):  # an agent sees one startup, however many exist
        assert response.json()["count"] > first.json()["count"]
