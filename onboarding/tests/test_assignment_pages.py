"""Assignment pages: preview and apply, manual and bulk assignment, decline, hand-over, lifecycle, team, report."""

import pytest
from django.urls import reverse

from onboarding.services.summary import summary_refresh

from ..models import Assignment, Exporter, StartupMember
from ..models.assignments import AssignedHow, EndReason
from ..models.startups import MemberRole, StartupStatus
from ..views.home import HOME_PAGE_SIZE
from .factories import ExporterFactory, MemberFactory, StartupFactory, assign

AUTO = reverse("onboarding:assignment-auto")


def test_auto_assign_preview_lists_proposals_and_unmatched_with_reasons_and_writes_nothing(client_for, officer):
    StartupFactory(state="27", brand_name="Setu", capacity=10)
    ExporterFactory(legal_name="Pune Looms LLP")
    ExporterFactory(legal_name="Kaveri Spices LLP", state="33", preferred_language="ta")
    page = client_for(officer).get(AUTO).content.decode()
    reason = "same state (Maharashtra); speaks Marathi; startup has 0 of 10 places used"  # in words (issue 30)
    assert "Pune Looms LLP" in page and reason in page
    assert "Kaveri Spices LLP" in page and "no startup with room works in Tamil Nadu" in page
    assert "Apply <span data-ticked-count>1</span> ticked" in page
    assert not Assignment.objects.exists()


def test_applying_the_preview_assigns_and_says_how_many(client_for, admin_user):
    startup = StartupFactory(state="27", capacity=10)
    ExporterFactory.create_batch(3)
    client = client_for(admin_user)
    preview = client.get(AUTO).context
    ticked = [p.exporter.pk for p in preview["proposals"]]
    data = {"fingerprint": preview["plan"].fingerprint, "exporter": ticked, "confirm": "yes"}
    response = client.post(AUTO, data, follow=True)
    assert "Assigned 3 exporters." in response.content.decode()
    assert Exporter.objects.filter(startup=startup).count() == 3
    assert set(Assignment.objects.values_list("how", "assigned_by")) == {(AssignedHow.AUTO, admin_user.pk)}


def test_applying_a_stale_preview_shows_the_new_one_instead(client_for, admin_user):
    StartupFactory(state="27", capacity=10)
    ExporterFactory.create_batch(2)
    client = client_for(admin_user)
    fingerprint = client.get(AUTO).context["plan"].fingerprint
    ExporterFactory()  # the pool changed after the preview
    response = client.post(AUTO, {"fingerprint": fingerprint})
    assert response.status_code == 200
    assert "changed since your preview" in response.content.decode()
    assert not Assignment.objects.exists()


def test_empty_pool_says_what_to_do(client_for, officer):
    page = client_for(officer).get(AUTO).content.decode()
    assert "No exporter is waiting for a startup" in page and "Add an exporter" in page


@pytest.mark.parametrize("pool", [3, 30])
def test_auto_assign_preview_query_count_does_not_grow_with_the_pool(
    client_for, officer, django_assert_num_queries, pool
):
    for state in ("24", "27"):
        StartupFactory(state=state, capacity=100)
    ExporterFactory.create_batch(pool)
    client = client_for(officer)
    # session, user, then the engine's five: startups with load, their sectors, pool, past assignments, sectors;
    # and the review badge
    with django_assert_num_queries(9):  # + the bell's unread count
        response = client.get(AUTO)
    assert len(response.context["plan"].proposals) == pool


def test_startup_users_cannot_open_the_auto_assign_or_report_pages(client_for, manager_a):
    client = client_for(manager_a)
    assert client.get(AUTO).status_code == 403
    assert client.get(reverse("onboarding:reports")).status_code == 403


def test_staff_assign_from_the_exporter_page_with_suggestions(client_for, officer, startup_a):
    exporter = ExporterFactory()
    client = client_for(officer)
    detail = client.get(exporter.get_absolute_url()).content.decode()
    assert "In the pool" in detail and "Assign to a startup" in detail
    url = reverse("onboarding:exporter-assign", args=[exporter.pk])
    page = client.get(url).content.decode()
    assert "Best matches with room" in page and "same state (Maharashtra)" in page
    response = client.post(url, {"startup": startup_a.pk, "reason": "met them at the fair"}, follow=True)
    assert f"{exporter} is now with {startup_a}" in response.content.decode()
    assert Assignment.objects.get(exporter=exporter).why == "met them at the fair"


def test_reassign_without_a_reason_gets_a_field_message_and_changes_nothing(
    client_for, officer, exporter_a, startup_a, startup_b
):
    url = reverse("onboarding:exporter-assign", args=[exporter_a.pk])
    response = client_for(officer).post(url, {"startup": startup_b.pk, "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    exporter_a.refresh_from_db()
    assert exporter_a.startup == startup_a
    response = client_for(officer).post(url, {"startup": startup_b.pk, "reason": "startup A is full"}, follow=True)
    exporter_a.refresh_from_db()
    assert exporter_a.startup == startup_b
    assert "Earlier assignments" in response.content.decode() and "startup A is full" in response.content.decode()


def test_assigning_to_a_full_startup_shows_the_refusal_beside_the_field(client_for, officer):
    full = StartupFactory(capacity=1)
    assign(ExporterFactory(), full)
    exporter = ExporterFactory()
    response = client_for(officer).post(reverse("onboarding:exporter-assign", args=[exporter.pk]), {"startup": full.pk})
    # A full startup is still listed (with its load) so the refusal can say why.
    assert "room for 0 more" in " ".join(response.context["form"].errors["startup"])
    assert not Assignment.objects.filter(exporter=exporter).exists()


def test_staff_return_an_exporter_to_the_pool(client_for, officer, exporter_a):
    url = reverse("onboarding:exporter-unassign", args=[exporter_a.pk])
    assert client_for(officer).post(url, {"reason": ""}).context["form"].errors["reason"]
    response = client_for(officer).post(url, {"reason": "exporter paused"}, follow=True)
    assert "back in the pool" in response.content.decode()
    assert Assignment.objects.get(exporter=exporter_a).end_reason == EndReason.UNASSIGNED


def test_bulk_assign_from_the_list_confirms_then_assigns(client_for, officer, startup_a):
    exporters = ExporterFactory.create_batch(3)
    client = client_for(officer)
    listing = client.get(reverse("onboarding:exporter-list")).content.decode()
    assert 'name="exporter"' in listing and "Assign selected to a startup" in listing
    url = reverse("onboarding:exporter-bulk-assign")
    ids = [e.pk for e in exporters[:2]]
    confirm = client.post(url, {"exporter": ids})
    assert confirm.status_code == 200 and len(confirm.context["selected"]) == 2
    assert not Assignment.objects.exists()
    response = client.post(url, {"exporter": ids, "startup": startup_a.pk, "reason": ""}, follow=True)
    assert "2 exporters are now with" in response.content.decode()
    assert set(Exporter.objects.filter(startup=startup_a).values_list("pk", flat=True)) == set(ids)


def test_bulk_assign_over_capacity_is_refused_beside_the_field(client_for, officer):
    startup = StartupFactory(capacity=1)
    ids = [e.pk for e in ExporterFactory.create_batch(2)]
    response = client_for(officer).post(
        reverse("onboarding:exporter-bulk-assign"), {"exporter": ids, "startup": startup.pk}
    )
    assert "room for 1 more, not 2" in " ".join(response.context["form"].errors["startup"])
    assert not Assignment.objects.exists()


def test_bulk_assign_with_nothing_ticked_says_so(client_for, officer):
    response = client_for(officer).post(reverse("onboarding:exporter-bulk-assign"), {}, follow=True)
    assert "Tick at least one exporter" in response.content.decode()


def test_it_checks_ownership(client_for, manager_b, agent_a, startup_a, exporter_a):
    client = client_for(manager_b)
    decline = client.post(reverse("onboarding:assignment-decline", args=[exporter_a.pk]), {"reason": "not ours"})
    hand_over = client.post(reverse("onboarding:exporter-hand-to-agent", args=[exporter_a.pk]), {"agent": agent_a.pk})
    pause = client.post(reverse("onboarding:startup-accepting", args=[startup_a.pk]), {"accepting": "0"})
    assert (decline.status_code, hand_over.status_code, pause.status_code) == (404, 404, 404)
    assignment = Assignment.objects.get(exporter=exporter_a)
    assert assignment.ended_at is None and assignment.agent is None
    exporter_a.refresh_from_db()
    assert (exporter_a.startup, exporter_a.agent) == (startup_a, None)
    startup_a.refresh_from_db()
    assert startup_a.accepting_assignments


def test_other_startups_team_member_is_404(client_for, manager_b, agent_a):
    member = agent_a.memberships.get()
    assert client_for(manager_b).post(reverse("onboarding:team-member-remove", args=[member.pk])).status_code == 404
    member.refresh_from_db()
    assert member.removed_at is None


def test_manager_declines_with_a_reason(client_for, manager_a, exporter_a):
    client = client_for(manager_a)
    assert "Decline" in client.get(exporter_a.get_absolute_url()).content.decode()
    url = reverse("onboarding:assignment-decline", args=[exporter_a.pk])
    assert client.post(url, {"reason": ""}).context["form"].errors["reason"]
    response = client.post(url, {"reason": "we have no jeweller"}, follow=True)
    assert "You declined" in response.content.decode()
    assignment = Assignment.objects.get(exporter=exporter_a)
    assert (assignment.end_reason, assignment.ended_by) == (EndReason.DECLINED, manager_a)


def test_agents_cannot_decline(client_for, agent_a, exporter_a):
    assert client_for(agent_a).get(reverse("onboarding:assignment-decline", args=[exporter_a.pk])).status_code == 403


def test_manager_hands_an_exporter_to_an_agent_and_the_agent_sees_it_under_mine(
    client_for, manager_a, agent_a, exporter_a, startup_a
):
    other = assign(ExporterFactory(legal_name="Other Looms LLP"), startup_a)
    response = client_for(manager_a).post(
        reverse("onboarding:exporter-hand-to-agent", args=[exporter_a.pk]), {"agent": agent_a.pk}, follow=True
    )
    assert "now works" in response.content.decode()
    client = client_for(agent_a)
    mine = client.get(reverse("onboarding:home"), {"mine": "1"})
    assert [e.pk for e in mine.context["page"].object_list] == [exporter_a.pk]
    everyone = client.get(reverse("onboarding:home"), {"mine": "false"})
    assert {e.pk for e in everyone.context["page"].object_list} == {exporter_a.pk, other.pk}


def test_mine_with_nothing_handed_over_says_what_to_do(client_for, agent_a, exporter_a):
    page = client_for(agent_a).get(reverse("onboarding:home"), {"mine": "1"}).content.decode()
    assert "No exporter is handed to you yet" in page


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("mine", [False, True])
def test_startup_home_query_count_does_not_grow_with_rows(
    client_for, agent_a, startup_a, django_assert_num_queries, rows, mine
):
    for exporter in ExporterFactory.create_batch(rows):
        assign(exporter, startup_a)
    Exporter.objects.filter(startup=startup_a).update(agent=agent_a)
    client = client_for(agent_a)
    # session, user, membership, stages, counts, waiting count, rejections (the newest 60, then
    # whether older ones exist, as fewer than 20 are open), page count, rows, the startup's recently
    # withdrawn claims, the exporters' recent flags, the bell's unread count
    with django_assert_num_queries(13):
        response = client.get(reverse("onboarding:home"), {"mine": "1"} if mine else {})
    assert len(response.context["page"].object_list) == min(rows, HOME_PAGE_SIZE)  # the most urgent, a page at a time


def test_staff_pause_and_resume_a_startup(client_for, officer, startup_a):
    client = client_for(officer)
    assert "Pause new assignments" in client.get(startup_a.get_absolute_url()).content.decode()
    url = reverse("onboarding:startup-accepting", args=[startup_a.pk])
    response = client.post(url, {"accepting": "0"}, follow=True)
    assert "gets no new assignments" in response.content.decode()
    startup_a.refresh_from_db()
    assert not startup_a.accepting_assignments
    assert startup_a.history.first().history_user == officer
    client.post(url, {"accepting": "1"})
    startup_a.refresh_from_db()
    assert startup_a.accepting_assignments


def test_admin_exits_a_startup_and_returns_every_exporter_in_one_action(client_for, admin_user, startup_a):
    for exporter in ExporterFactory.create_batch(3):
        assign(exporter, startup_a)
    url = reverse("onboarding:startup-status", args=[startup_a.pk])
    client = client_for(admin_user)
    assert client.post(url, {"status": "exited", "reason": ""}).context["form"].errors["reason"]
    response = client.post(url, {"status": "exited", "reason": "left", "release": "on"}, follow=True)
    assert "3 exporters are back in the pool" in response.content.decode()
    startup_a.refresh_from_db()
    assert startup_a.status == StartupStatus.EXITED
    assert not Exporter.objects.filter(startup=startup_a).exists()
    assert Assignment.objects.filter(startup=startup_a, end_reason=EndReason.STARTUP_EXITED).count() == 3


def test_officers_cannot_suspend_or_release(client_for, officer, startup_a):
    for name in ("onboarding:startup-status", "onboarding:startup-release"):
        assert client_for(officer).post(reverse(name, args=[startup_a.pk]), {"reason": "x"}).status_code == 403


def test_admin_returns_a_suspended_startups_exporters(client_for, admin_user, startup_a, exporter_a):
    url = reverse("onboarding:startup-release", args=[startup_a.pk])
    response = client_for(admin_user).post(url, {"reason": "suspended for audit"}, follow=True)
    assert "1 exporters of" in response.content.decode()
    exporter_a.refresh_from_db()
    assert exporter_a.startup is None


def test_manager_adds_an_agent_on_the_team_page(client_for, manager_a, startup_a, django_capture_on_commit_callbacks):
    client = client_for(manager_a)
    page = client.get(reverse("onboarding:team")).content.decode()
    assert "Add an agent" in page and "Team" in client.get(reverse("onboarding:home")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("onboarding:team"), {"email": "New.Agent@alpha.example"}, follow=True)
    assert "if this address can join" in response.content.decode()
    member = StartupMember.objects.get(user__email="new.agent@alpha.example")
    assert (member.startup, member.role, member.added_by) == (startup_a, MemberRole.AGENT, manager_a)


def test_team_page_does_not_add_someone_already_in_a_team(client_for, manager_a, manager_b):
    response = client_for(manager_a).post(reverse("onboarding:team"), {"email": manager_b.email}, follow=True)
    # The same answer as for a new address: a manager does not learn who works for another startup.
    assert "if this address can join" in response.content.decode()
    assert manager_b.memberships.count() == 1


def test_managers_cannot_remove_other_managers(client_for, manager_a, startup_a):
    other = MemberFactory(startup=startup_a, role=MemberRole.MANAGER)
    response = client_for(manager_a).post(reverse("onboarding:team-member-remove", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.removed_at is None


def test_agents_cannot_open_the_team_page(client_for, agent_a):
    assert client_for(agent_a).get(reverse("onboarding:team")).status_code == 403


def test_distribution_report_shows_load_against_capacity_by_startup_state_and_sector(
    client_for, officer, startup_a, startup_b, exporter_a
):
    ExporterFactory(state="24")
    response = client_for(officer).get(reverse("onboarding:reports"))
    rows = {r["startup"].pk: r for r in response.context["startups"]}
    assert (rows[startup_a.pk]["load"], rows[startup_a.pk]["percent"]) == (1, 2)  # 1/40
    states = {r["key"]: r for r in response.context["states"]}
    assert (states["27"]["assigned"], states["24"]["pool"], states["24"]["room"]) == (1, 1, 40)
    assert "load-chart" in response.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_distribution_report_query_count_is_constant(client_for, officer, django_assert_num_queries, rows):
    for startup in StartupFactory.create_batch(rows):
        assign(ExporterFactory(), startup)
    summary_refresh()  # what the worker does on commit; the page then reads the stored figures
    client = client_for(officer)
    # session, user, the stored summary, the startups' fingerprint (the summary's startup figures
    # stand), the page's startups, sectors, the review badge, the bell's unread count
    with django_assert_num_queries(8) as captured:
        client.get(reverse("onboarding:reports"))
    assert not any('FROM "onboarding_exporter"' in q["sql"] for q in captured.captured_queries)


def test_distribution_report_pages_the_startups_fullest_first(client_for, officer):
    startups = StartupFactory.create_batch(27, capacity=10)
    for startup in startups[:3]:
        assign(ExporterFactory(), startup)
    summary_refresh()
    client = client_for(officer)
    first = client.get(reverse("onboarding:reports"))
    shown = [r["startup"] for r in first.context["startups"]]
    assert len(shown) == 25 and set(startups[:3]) <= set(shown[:3])  # the fullest lead
    assert "27 startups, fullest first" in first.content.decode()
    second = client.get(reverse("onboarding:reports"), {"page": 2})
    assert len(second.context["startups"]) == 2
    assert not {r["startup"] for r in second.context["startups"]} & set(shown)


def test_reactivating_a_startup_never_returns_its_exporters(client_for, admin_user, startup_a, exporter_a):
    url = reverse("onboarding:startup-status", args=[startup_a.pk])
    client_for(admin_user).post(url, {"status": "active", "reason": "back", "release": "on"})
    exporter_a.refresh_from_db()
    assert exporter_a.startup == startup_a
