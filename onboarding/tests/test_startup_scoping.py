"""Startup B's people get a 404 on startup A's objects through every URL, and change nothing.

The table lists every URL that names an exporter, a startup or a team member. Each
row is also checked on startup B's own object, to show the 404 comes from scoping
(the same request on B's own object is allowed, or refused with 403 for the role).
"""

import pytest
from django.urls import reverse

from ..models import Assignment, Exporter, Startup, StartupMember
from ..models.startups import MemberRole
from .factories import MemberFactory

# (url name, which object, method, data, status for B's manager on B's own object)
SCOPED_URLS = [
    ("onboarding:exporter-detail", "exporter", "get", None, 200),
    ("onboarding:exporter-update", "exporter", "get", None, 403),
    ("onboarding:exporter-update", "exporter", "post", {"legal_name": "Hijacked"}, 403),
    ("onboarding:exporter-assign", "exporter", "get", None, 403),
    ("onboarding:exporter-assign", "exporter", "post", {"startup": "", "reason": "x"}, 403),
    ("onboarding:exporter-unassign", "exporter", "post", {"reason": "x"}, 403),
    ("onboarding:assignment-decline", "exporter", "get", None, 200),
    ("onboarding:assignment-decline", "exporter", "post", {"reason": "not ours"}, 302),
    ("onboarding:exporter-hand-to-agent", "exporter", "post", {"agent": ""}, 302),
    ("onboarding:startup-detail", "startup", "get", None, 200),
    ("onboarding:startup-update", "startup", "get", None, 403),
    ("onboarding:startup-member-add", "startup", "post", {"email": "x@y.example", "role": "agent"}, 403),
    ("onboarding:startup-accepting", "startup", "post", {"accepting": "0"}, 403),
    ("onboarding:startup-status", "startup", "post", {"status": "exited", "reason": "x", "release": "on"}, 403),
    ("onboarding:startup-release", "startup", "post", {"reason": "x"}, 403),
    ("onboarding:team-member-remove", "member", "post", {}, 302),
]


def snapshot():
    return (
        list(Exporter.objects.order_by("pk").values_list("pk", "legal_name", "startup_id", "agent_id")),
        list(Assignment.objects.order_by("pk").values_list("pk", "ended_at")),
        list(Startup.objects.order_by("pk").values_list("pk", "status", "accepting_assignments")),
        list(StartupMember.objects.order_by("pk").values_list("pk", "removed_at")),
    )


@pytest.fixture
def objects_of(startup_a, startup_b, exporter_a, exporter_b):
    agents = {
        startup_a: MemberFactory(startup=startup_a, role=MemberRole.AGENT),
        startup_b: MemberFactory(startup=startup_b, role=MemberRole.AGENT),
    }

    def pick(startup, kind):
        return {
            "exporter": exporter_a if startup == startup_a else exporter_b,
            "startup": startup,
            "member": agents[startup],
        }[kind].pk

    return pick


@pytest.mark.parametrize(("name", "kind", "method", "data", "own_status"), SCOPED_URLS)
def test_startup_b_manager_gets_404_on_startup_a_objects_whatever_the_url(
    client_for, manager_b, startup_a, startup_b, objects_of, name, kind, method, data, own_status
):
    client = client_for(manager_b)
    before = snapshot()
    url = reverse(name, args=[objects_of(startup_a, kind)])
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 404, (name, method)
    assert snapshot() == before, "a refused request changed something"

    own = reverse(name, args=[objects_of(startup_b, kind)])
    assert getattr(client, method)(own, data or {}).status_code == own_status


@pytest.mark.parametrize("name", ["onboarding:exporter-detail", "onboarding:assignment-decline"])
def test_an_agent_of_startup_b_also_gets_404_on_startup_a_exporters(client_for, startup_b, exporter_a, name):
    agent_b = MemberFactory(startup=startup_b, role=MemberRole.AGENT).user
    assert client_for(agent_b).get(reverse(name, args=[exporter_a.pk])).status_code == 404


def test_a_removed_agent_loses_access_at_once_and_their_exporters_stay(client_for, manager_a, agent_a, exporter_a):
    from django.test import Client

    from ..services.assignments import exporter_hand_to_agent

    exporter_hand_to_agent(actor=manager_a, exporter=exporter_a, agent=agent_a)
    agent_client = Client()  # the agent's own signed-in session, kept across the removal
    agent_client.force_login(agent_a)
    assert agent_client.get(reverse("onboarding:exporter-detail", args=[exporter_a.pk])).status_code == 200
    member = agent_a.memberships.get()

    manager_client = client_for(manager_a)
    response = manager_client.post(reverse("onboarding:team-member-remove", args=[member.pk]), follow=True)
    assert "no longer has access" in response.content.decode()
    exporter_a.refresh_from_db()
    assert exporter_a.startup_id == member.startup_id and exporter_a.agent is None

    assert agent_client.get(reverse("onboarding:exporter-detail", args=[exporter_a.pk])).status_code == 403
    assert agent_client.get(reverse("onboarding:home")).status_code == 403
