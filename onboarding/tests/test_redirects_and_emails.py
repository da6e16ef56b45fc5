"""Small leaks closed: `next` stays on this site, the team form does not say who works where, and
plain-text emails show names as typed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from ..emails import render_text
from ..models import StartupMember
from ..models.users import StaffRole
from ..services.startups import startup_member_add
from .factories import StartupFactory, UserFactory, commission_rule
from .test_commissions import earn

# --- Redirects after an action ------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/commissions/", "http://testserver.evil.example/", "javascript:alert(1)"],
)
def test_a_commission_action_never_redirects_off_site(client_for, agent_a, officer, admin_user, startup_a, next_url):
    commission_rule("storefront_live")
    commission = earn(agent_a, officer, startup_a)
    url = reverse("onboarding:commission-action", args=[commission.pk, "approve"])
    response = client_for(admin_user).post(url, {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:commission-list")
    commission.refresh_from_db()
    assert commission.status == "approved"


def test_a_commission_action_returns_to_the_filtered_list_it_came_from(
    client_for, agent_a, officer, admin_user, startup_a
):
    commission_rule("storefront_live")
    commission = earn(agent_a, officer, startup_a)
    back = f"{reverse('onboarding:commission-list')}?status=accrued&startup={startup_a.pk}"
    url = reverse("onboarding:commission-action", args=[commission.pk, "approve"])
    assert client_for(admin_user).post(url, {"next": back})["Location"] == back


# --- Who may be added to a team -----------------------------------------------------------------


@pytest.fixture
def staff_person(db):
    return UserFactory(email="officer2@programme.example", staff_role=StaffRole.OFFICER, is_staff=True)


def test_a_manager_gets_one_answer_for_staff_and_for_another_startups_member(
    client_for, manager_a, manager_b, staff_person
):
    """The answer is the same as for an address nobody uses (see test_security_edges.py): the
    page says nothing of who has an account, and adds neither."""
    client = client_for(manager_a)
    answers = [
        [str(m) for m in client.post(reverse("onboarding:team"), {"email": email}, follow=True).context["messages"]]
        for email in (staff_person.email, manager_b.email.upper())
    ]
    assert answers == [
        [
            f"{staff_person.email}: if this address can join {manager_a.startup}, it is now on your team below, "
            "and a new person gets an email to set their password."
        ],
        [
            f"{manager_b.email.lower()}: if this address can join {manager_a.startup}, it is now on your team below, "
            "and a new person gets an email to set their password."
        ],
    ]
    assert not StartupMember.objects.filter(user=staff_person).exists()
    assert manager_b.memberships.count() == 1


def test_staff_adding_a_member_get_the_precise_reason(client_for, admin_user, startup_a, manager_b, staff_person):
    client = client_for(admin_user)
    url = reverse("onboarding:startup-member-add", args=[startup_a.pk])
    staff_error = client.post(url, {"email": staff_person.email, "role": "agent"}).context["form"].errors["email"]
    member_error = client.post(url, {"email": manager_b.email, "role": "agent"}).context["form"].errors["email"]
    assert staff_error == ["This person is programme staff and cannot join a startup."]
    assert member_error == ["This person already belongs to a startup team."]


# --- Plain-text emails --------------------------------------------------------------------------


def test_plain_text_emails_show_names_as_typed_and_html_escapes_them(admin_user, django_capture_on_commit_callbacks):
    startup = StartupFactory(legal_name="Tom & Jerry <b> Private Limited", brand_name="Tom & Jerry <b>")
    with django_capture_on_commit_callbacks(execute=True):
        startup_member_add(actor=admin_user, startup=startup, email="new@tomjerry.example", role="manager")
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "Tom & Jerry <b>" in message.subject
    assert "Tom & Jerry <b>" in message.body and "&amp;" not in message.body
    assert "Tom &amp; Jerry &lt;b&gt;" in html and "Tom & Jerry <b>" not in html


def test_reminder_subjects_show_names_as_typed(db):
    startup = StartupFactory(brand_name="Tom & Jerry <b>")
    subject = render_text("emails/stalled_digest_subject.txt", {"count": 1, "startup": startup})
    assert "at Tom & Jerry <b> needs" in subject
