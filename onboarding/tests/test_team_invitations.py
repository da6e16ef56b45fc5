"""A manager sees who has not accepted their invitation yet and sends it again: a service call,
recorded in the admin log, a few times an hour at most; another startup's member is a 404."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.urls import reverse

from ..models import OutboxMessage
from ..models.outbox import MessageKind
from ..models.startups import MemberRole
from ..services.startups import INVITATION_RESENDS_PER_HOUR, startup_member_add


def invited(manager, email="new.agent@alpha.example"):
    return startup_member_add(actor=manager, startup=manager.startup, email=email, role=MemberRole.AGENT)


def resend(client, member, capture):
    with capture(execute=True):
        return client.post(reverse("onboarding:team-member-reinvite", args=[member.pk]), follow=True)


def test_the_team_page_marks_a_pending_invitation_with_a_resend_button(client_for, manager_a):
    member = invited(manager_a)
    html = client_for(manager_a).get(reverse("onboarding:team")).content.decode()
    assert html.count("Invitation pending") == 1
    assert reverse("onboarding:team-member-reinvite", args=[member.pk]) in html


def test_a_manager_sends_the_invitation_again_and_it_is_logged(
    client_for, manager_a, mailoutbox, django_capture_on_commit_callbacks
):
    member = invited(manager_a)
    mailoutbox.clear()
    response = resend(client_for(manager_a), member, django_capture_on_commit_callbacks)
    assert "The invitation was sent again to new.agent@alpha.example" in response.content.decode()
    assert OutboxMessage.objects.filter(kind=MessageKind.INVITATION, recipient=member.user).count() == 2
    assert [m.to for m in mailoutbox] == [["new.agent@alpha.example"]]
    entry = LogEntry.objects.get(object_id=str(member.user.pk))
    assert entry.user == manager_a and "sent again" in entry.change_message


def test_resending_is_limited_per_hour_with_a_message(client_for, manager_a, django_capture_on_commit_callbacks):
    member = invited(manager_a)
    client = client_for(manager_a)
    for _ in range(INVITATION_RESENDS_PER_HOUR):
        resend(client, member, django_capture_on_commit_callbacks)
    response = resend(client, member, django_capture_on_commit_callbacks)
    assert "spam folder" in response.content.decode()
    assert OutboxMessage.objects.filter(recipient=member.user).count() == 1 + INVITATION_RESENDS_PER_HOUR


def test_someone_who_set_a_password_gets_no_new_invitation(client_for, manager_a, agent_a, startup_a):
    member = agent_a.memberships.get()
    response = client_for(manager_a).post(reverse("onboarding:team-member-reinvite", args=[member.pk]), follow=True)
    assert "has already set a password" in response.content.decode()
    assert not OutboxMessage.objects.filter(recipient=agent_a).exists()


def test_it_checks_ownership(client_for, manager_a, manager_b):
    member = invited(manager_a)
    assert client_for(manager_b).post(reverse("onboarding:team-member-reinvite", args=[member.pk])).status_code == 404
    assert OutboxMessage.objects.filter(recipient=member.user).count() == 1


def test_agents_cannot_resend_invitations(client_for, manager_a, agent_a):
    member = invited(manager_a)
    assert client_for(agent_a).post(reverse("onboarding:team-member-reinvite", args=[member.pk])).status_code == 403
