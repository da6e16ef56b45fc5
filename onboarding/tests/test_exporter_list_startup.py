"""The one exporter list: startup users get `/exporters/` scoped to their startup, with search,
filters and sorting; agents land on their own; the work log's picker searches the same way."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import Activity
from .factories import ExporterFactory, MemberFactory, assign

LIST = reverse("onboarding:exporter-list")
LOOKUP = reverse("onboarding:exporter-lookup")


def names(response) -> list[str]:
    return [e.legal_name for e in response.context["page"].object_list]


def test_a_manager_sees_only_their_startups_exporters(client_for, manager_a, exporter_a, exporter_b):
    response = client_for(manager_a).get(LIST)
    assert response.status_code == 200
    assert names(response) == [exporter_a.legal_name]
    assert exporter_b.legal_name not in response.content.decode()


def test_search_never_reaches_another_startups_exporter(client_for, manager_b, exporter_a, exporter_b):
    client = client_for(manager_b)
    assert names(client.get(LIST, {"q": "Alpha"})) == []
    assert names(client.get(LIST, {"q": exporter_a.gstin})) == []
    assert client.get(LOOKUP, {"q": "Alpha"}).json() == {"results": []}
    assert [r["id"] for r in client.get(LOOKUP, {"q": "Beta"}).json()["results"]] == [exporter_b.pk]


def test_startup_users_search_by_name_gstin_phone_and_district(client_for, manager_a, startup_a):
    kaveri = assign(
        ExporterFactory(legal_name="Kaveri Silks", district="Salem", contact_mobile="+919900011122"), startup_a
    )
    assign(ExporterFactory(legal_name="Other Works", district="Pune"), startup_a)
    client = client_for(manager_a)
    for term in ("kaveri", kaveri.gstin, "99000 11122", "salem"):
        assert names(client.get(LIST, {"q": term})) == ["Kaveri Silks"], term


def test_agents_land_on_their_own_exporters_and_can_see_all(client_for, agent_a, startup_a):
    mine = assign(ExporterFactory(legal_name="Handed To Agent"), startup_a)
    mine.agent = agent_a
    mine.save(update_fields=["agent"])
    assign(ExporterFactory(legal_name="Someone Elses"), startup_a)
    client = client_for(agent_a)
    landing = client.get(LIST)
    assert names(landing) == ["Handed To Agent"]
    assert "Mine" in landing.content.decode() and "All of" in landing.content.decode()
    assert sorted(names(client.get(LIST, {"mine": "false"}))) == ["Handed To Agent", "Someone Elses"]


def test_managers_filter_by_agent_stage_stalled_and_late(client_for, manager_a, agent_a, startup_a):
    long_ago = timezone.now() - timedelta(days=30)
    late_but_worked = assign(ExporterFactory(legal_name="Late Worked"), startup_a, entered=long_ago)
    late_but_worked.last_activity_at = timezone.now()
    late_but_worked.agent = agent_a
    late_but_worked.save(update_fields=["last_activity_at", "agent"])
    assign(ExporterFactory(legal_name="Stalled Quiet"), startup_a, entered=long_ago)
    assign(ExporterFactory(legal_name="Fresh One"), startup_a, stage_code="contacted")
    client = client_for(manager_a)
    assert names(client.get(LIST, {"stalled": "1"})) == ["Stalled Quiet"]
    assert sorted(names(client.get(LIST, {"late": "1"}))) == ["Late Worked", "Stalled Quiet"]
    assert names(client.get(LIST, {"agent": agent_a.pk})) == ["Late Worked"]
    contacted = late_but_worked.current_stage.__class__.objects.get(code="contacted")
    assert names(client.get(LIST, {"stage": contacted.pk})) == ["Fresh One"]
    assert names(client.get(LIST, {"o": "-name"})) == ["Stalled Quiet", "Late Worked", "Fresh One"]


def test_another_startups_person_is_no_agent_choice(client_for, manager_a, manager_b, exporter_a):
    response = client_for(manager_a).get(LIST, {"agent": manager_b.pk})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["agent"]


def test_startup_users_see_no_staff_only_filters_columns_or_bulk_assign(client_for, manager_a, exporter_a):
    page = client_for(manager_a).get(LIST).content.decode()
    assert reverse("onboarding:exporter-bulk-assign") not in page
    assert 'name="startup_name"' not in page and 'name="unassigned"' not in page
    assert reverse("onboarding:exporter-import") not in page


def test_staff_keep_their_filters_and_bulk_assign(client_for, officer, exporter_a, exporter_b):
    response = client_for(officer).get(LIST)
    page = response.content.decode()
    assert sorted(names(response)) == sorted([exporter_a.legal_name, exporter_b.legal_name])
    assert reverse("onboarding:exporter-bulk-assign") in page and 'name="startup_name"' in page
    assert 'name="mine"' not in page


@pytest.mark.parametrize("extra", [0, 30])
def test_the_startup_list_costs_the_same_queries_however_many_exporters(
    client_for, manager_a, startup_a, django_assert_max_num_queries, extra
):
    startup_a.capacity = 100
    startup_a.save(update_fields=["capacity"])
    for _ in range(extra):
        assign(ExporterFactory(), startup_a)
    client = client_for(manager_a)
    # session, user, membership, stages (urgency), stages (late), count, rows, agent and stage choices, the bell
    with django_assert_max_num_queries(10):
        assert client.get(LIST, {"late": "1", "o": "name"}).status_code == 200


def test_junk_filters_are_field_errors_not_500s(client_for, manager_a, exporter_a):
    response = client_for(manager_a).get(LIST, {"agent": "²", "stage": "99999999999999999999", "mine": "x"})
    assert response.status_code == 200
    assert set(response.context["filter"].form.errors) >= {"agent", "stage"}


def test_the_lookup_answers_at_most_twenty_and_needs_two_characters(client_for, manager_a, startup_a):
    startup_a.capacity = 100
    startup_a.save(update_fields=["capacity"])
    for _ in range(25):
        assign(ExporterFactory(), startup_a)
    client = client_for(manager_a)
    assert client.get(LOOKUP, {"q": "s"}).json() == {"results": []}
    results = client.get(LOOKUP, {"q": "shree"}).json()["results"]
    assert len(results) == 20 and {"id", "label"} == set(results[0])


def test_the_lookup_is_for_signed_in_people(client, exporter_a):
    assert client.get(LOOKUP, {"q": "Alpha"}).status_code == 302


def test_work_log_picker_matches_typed_text_without_javascript(client_for, manager_a, exporter_a):
    client = client_for(manager_a)
    form = client.get(reverse("onboarding:activity-list")).content.decode()
    assert f'data-typeahead="{LOOKUP}"' in form and "<select" not in form.split("exporter_search")[1][:300]
    response = client.post(
        reverse("onboarding:activity-list"),
        {
            "exporter_search": "alpha garm",
            "exporter": "",
            "kind": "call",
            "outcome": "reached",
            "occurred_at": "2026-01-05T10:00",
        },
    )
    assert response.status_code == 302
    assert Activity.objects.get().exporter == exporter_a


def test_work_log_picker_refuses_another_startups_id_and_ambiguous_text(client_for, manager_a, startup_a, exporter_b):
    assign(ExporterFactory(legal_name="Alpha One"), startup_a)
    assign(ExporterFactory(legal_name="Alpha Two"), startup_a)
    client = client_for(manager_a)
    base = {
        "kind": "call",
        "outcome": "reached",
        "occurred_at": "2026-01-05T10:00",
        "note": "Asked for the GST certificate",
    }
    stolen = client.post(
        reverse("onboarding:activity-list"), {**base, "exporter_search": "Beta", "exporter": exporter_b.pk}
    )
    assert "No exporter of yours matches" in stolen.context["form"].errors["exporter_search"][0]
    twins = client.post(reverse("onboarding:activity-list"), {**base, "exporter_search": "Alpha", "exporter": ""})
    assert "Several exporters match" in twins.context["form"].errors["exporter_search"][0]
    assert (
        twins.context["form"]["note"].value() == "Asked for the GST certificate"
        and twins.context["form"]["kind"].value() == "call"
    )
    assert not Activity.objects.exists()


def test_work_log_picker_takes_the_chosen_id(client_for, agent_a, startup_a, exporter_a):
    twin = assign(ExporterFactory(legal_name="Alpha Garments Two"), startup_a)
    response = client_for(agent_a).post(
        reverse("onboarding:activity-list"),
        {
            "exporter_search": "Alpha Garments",
            "exporter": str(twin.pk),
            "kind": "visit",
            "outcome": "reached",
            "occurred_at": "2026-01-05T10:00",
        },
    )
    assert response.status_code == 302
    assert Activity.objects.get().exporter == twin


def test_a_removed_member_gets_nothing(client_for, startup_a, exporter_a):
    member = MemberFactory(startup=startup_a, role="agent")
    member.removed_at = timezone.now()
    member.save(update_fields=["removed_at"])
    assert client_for(member.user).get(LIST).status_code == 403
