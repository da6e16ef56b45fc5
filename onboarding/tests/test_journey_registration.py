"""Registration end to end: the admin registers a startup and adds its manager, who sets a
password from the email and signs in; team membership rules and sign-in throttling."""

import re

from django.core import mail
from django.urls import reverse

from ..models import Startup, User
from .test_startup_pages import GOOD


def test_admin_registers_startup_and_manager_sets_password_and_signs_in(
    client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    client.post(reverse("onboarding:startup-create"), GOOD)
    startup = Startup.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("onboarding:startup-member-add", args=[startup.pk]),
            {"email": "Nisha@Setu.example.in", "first_name": "Nisha", "last_name": "Pillai", "role": "manager"},
            follow=True,
        )
    assert "will get an email" in response.content.decode()
    manager = User.objects.get(email="nisha@setu.example.in")
    assert not manager.has_usable_password()
    assert manager.role == "manager" and manager.startup == startup

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["nisha@setu.example.in"]
    assert "Setu" in email.subject
    assert email.alternatives and "Choose your password" in email.alternatives[0][0]
    link = re.search(r"https?://\S+/accounts/reset/\S+/", email.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    client.logout()
    form_page = client.get("/" + path, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Pune-exports-2026", "new_password2": "Pune-exports-2026"},
        follow=True,
    )
    assert done.status_code == 200
    home = client.get(reverse("onboarding:home"))
    assert home.context["user"] == manager
    assert "No exporters are assigned to Setu yet" in home.content.decode()

    # The link is single-use.
    assert not client.get("/" + path, follow=True).context["validlink"]


def test_adding_an_existing_team_member_is_refused(client_for, admin_user, manager_a, startup_b):
    response = client_for(admin_user).post(
        reverse("onboarding:startup-member-add", args=[startup_b.pk]), {"email": manager_a.email, "role": "agent"}
    )
    assert "already belongs" in response.context["form"].errors["email"][0]
    assert manager_a.memberships.count() == 1


def test_staff_cannot_join_a_startup(client_for, admin_user, officer, startup_a):
    response = client_for(admin_user).post(
        reverse("onboarding:startup-member-add", args=[startup_a.pk]), {"email": officer.email, "role": "agent"}
    )
    assert "programme staff" in response.context["form"].errors["email"][0]


def test_sign_in_with_email_and_password(client, manager_a):
    response = client.post(
        reverse("login"), {"username": manager_a.email, "password": "correct-horse-battery"}, follow=True
    )
    assert response.context["user"] == manager_a


def test_repeated_failed_sign_ins_are_throttled(client, manager_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": manager_a.email, "password": "wrong"})
    response = client.post(reverse("login"), {"username": manager_a.email, "password": "correct-horse-battery"})
    assert response.status_code == 429
