"""Who may open what: anonymous → sign-in, startup users → 403 on staff pages, 404 across startups."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "name",
    [
        "onboarding:home",
        "onboarding:startup-list",
        "onboarding:exporter-list",
        "onboarding:startup-create",
        "onboarding:exporter-create",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "name",
    ["onboarding:startup-list", "onboarding:exporter-create", "onboarding:startup-create"],
)
@pytest.mark.parametrize("persona", ["manager_a", "agent_a"])
def test_startup_users_get_403_on_staff_pages(client_for, request, name, persona):
    response = client_for(request.getfixturevalue(persona)).get(reverse(name))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name", ["onboarding:startup-create", "onboarding:startup-update", "onboarding:startup-member-add"]
)
def test_officers_cannot_register_or_edit_startups(client_for, officer, startup_a, name):
    args = [startup_a.pk] if "update" in name or "member" in name else []
    assert client_for(officer).get(reverse(name, args=args)).status_code == 403


def test_startup_user_cannot_see_other_startups_exporter(client_for, manager_b, exporter_a):
    response = client_for(manager_b).get(reverse("onboarding:exporter-detail", args=[exporter_a.pk]))
    assert response.status_code == 404


def test_agent_sees_own_startups_exporter(client_for, agent_a, exporter_a):
    response = client_for(agent_a).get(reverse("onboarding:exporter-detail", args=[exporter_a.pk]))
    assert response.status_code == 200
    assert exporter_a.legal_name in response.content.decode()


def test_startup_user_cannot_see_other_startup(client_for, manager_b, startup_a, startup_b):
    client = client_for(manager_b)
    assert client.get(reverse("onboarding:startup-detail", args=[startup_a.pk])).status_code == 404
    assert client.get(reverse("onboarding:startup-detail", args=[startup_b.pk])).status_code == 200


def test_unassigned_exporter_is_404_for_startup_users(client_for, manager_a):
    from .factories import ExporterFactory

    exporter = ExporterFactory()
    assert client_for(manager_a).get(reverse("onboarding:exporter-detail", args=[exporter.pk])).status_code == 404


def test_removed_member_loses_access_at_once(client_for, manager_a, exporter_a, admin_user):
    from ..services.startups import startup_member_remove

    client = client_for(manager_a)
    url = reverse("onboarding:exporter-detail", args=[exporter_a.pk])
    assert client.get(url).status_code == 200
    startup_member_remove(actor=admin_user, member=manager_a.memberships.get())
    assert client.get(url).status_code == 403


def test_staff_see_every_exporter(client_for, officer, exporter_a, exporter_b):
    client = client_for(officer)
    for exporter in (exporter_a, exporter_b):
        assert client.get(reverse("onboarding:exporter-detail", args=[exporter.pk])).status_code == 200


def test_navigation_shows_what_the_role_may_use(client_for, officer, manager_a):
    staff_page = client_for(officer).get(reverse("onboarding:home")).content.decode()
    assert "Exporters" in staff_page and "Startups" in staff_page
    startup_page = client_for(manager_a).get(reverse("onboarding:home")).content.decode()
    navigation = startup_page[startup_page.index('<nav id="nav"') : startup_page.index("</nav>")]
    assert f'href="{reverse("onboarding:startup-list")}"' not in navigation
    assert reverse("onboarding:exporter-list") in navigation  # their own exporters, scoped
    assert reverse("onboarding:team") in navigation
    assert "Startup manager" in startup_page and "Alpha" in startup_page


def test_django_admin_is_for_staff_only(client_for, manager_a, admin_user):
    assert client_for(manager_a).get("/admin/").status_code == 302
    assert client_for(admin_user).get("/admin/onboarding/exporter/").status_code == 200
