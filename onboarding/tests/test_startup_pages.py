"""Startup pages: registration by an admin with normalised identifiers, field messages,
edits, and the searchable list."""

import pytest
from django.urls import reverse

from ..models import Startup

GOOD = {
    "legal_name": "Setu Exports Private Limited",
    "brand_name": "Setu",
    "dpiit_number": "dipp 273592",
    "cin": "U72900KA2008PTC046374",
    "pan": "",
    "state": "29",
    "city": "Bengaluru",
    "website": "https://setu.example.in",
    "contact_name": "Asha Rao",
    "contact_email": "asha@setu.example.in",
    "contact_mobile": "98765 43210",
    "languages": ["en", "kn"],
    "capacity": "30",
    "accepting_assignments": "on",
    "status": "active",
}


def test_admin_registers_a_startup_with_normalised_identifiers(client_for, admin_user):
    response = client_for(admin_user).post(reverse("onboarding:startup-create"), GOOD, follow=True)
    startup = Startup.objects.get()
    assert startup.dpiit_number == "DIPP273592"
    assert startup.contact_mobile == "+919876543210"
    assert "is registered" in response.content.decode()
    assert startup.history.get().history_user == admin_user


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dpiit_number", "DPIIT-1234", "DIPP"),
        ("cin", "U72900KA2008", "21 characters"),
        ("pan", "ABC", "10 characters"),
        ("contact_mobile", "12345", "mobile"),
        ("state", "40", "Choose the state or union territory from the list"),  # plain words (issue 30)
        ("capacity", "-3", "Capacity must be 0 or more"),
    ],
)
def test_bad_startup_input_gets_a_field_message_and_writes_nothing(client_for, admin_user, field, value, message):
    response = client_for(admin_user).post(reverse("onboarding:startup-create"), {**GOOD, field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["form"]["legal_name"].value() == GOOD["legal_name"]  # what was typed is kept
    assert not Startup.objects.exists()


def test_it_checks_ownership(client_for, manager_b, startup_a):
    client = client_for(manager_b)
    assert client.get(reverse("onboarding:startup-detail", args=[startup_a.pk])).status_code == 404
    assert client.get(reverse("onboarding:startup-update", args=[startup_a.pk])).status_code == 404
    update = client.post(reverse("onboarding:startup-update", args=[startup_a.pk]), {**GOOD, "capacity": "1"})
    member = {"email": "intruder@beta.example", "first_name": "I", "last_name": "N", "role": "manager"}
    member_add = client.post(reverse("onboarding:startup-member-add", args=[startup_a.pk]), member)
    assert (update.status_code, member_add.status_code) == (404, 404)
    startup_a.refresh_from_db()
    assert (startup_a.legal_name, startup_a.capacity) == ("Alpha Exports Private Limited", 40)
    assert not startup_a.members.filter(user__email="intruder@beta.example").exists()


def test_duplicate_dpiit_is_refused(client_for, admin_user, startup_a):
    response = client_for(admin_user).post(
        reverse("onboarding:startup-create"), {**GOOD, "dpiit_number": startup_a.dpiit_number}
    )
    assert "already registered" in response.context["form"].errors["dpiit_number"][0]
    assert Startup.objects.count() == 1


def test_admin_edits_a_startup(client_for, admin_user, startup_a):
    data = {**GOOD, "dpiit_number": startup_a.dpiit_number, "capacity": "55"}
    response = client_for(admin_user).post(reverse("onboarding:startup-update", args=[startup_a.pk]), data)
    assert response.status_code == 302
    startup_a.refresh_from_db()
    assert startup_a.capacity == 55


def test_startup_list_search_and_filters(client_for, officer, startup_a, startup_b):
    client = client_for(officer)
    page = client.get(reverse("onboarding:startup-list"), {"q": "beta"}).context["page"]
    assert list(page.object_list) == [startup_b]
    page = client.get(reverse("onboarding:startup-list"), {"q": startup_a.dpiit_number.lower()}).context["page"]
    assert list(page.object_list) == [startup_a]
    page = client.get(reverse("onboarding:startup-list"), {"state": "24"}).context["page"]
    assert list(page.object_list) == [startup_b]


def test_empty_startup_list_says_what_to_do(client_for, admin_user):
    content = client_for(admin_user).get(reverse("onboarding:startup-list")).content.decode()
    assert "No startups match" in content and "Register a startup" in content
