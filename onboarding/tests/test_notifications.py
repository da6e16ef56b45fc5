"""Notifications: one notice per person per event, shown in the bell, emailed once through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ..models import Commission, Notification, OutboxMessage
from ..models.notifications import NotificationKind
from ..models.outbox import MessageKind
from ..models.stages import UNDO_WINDOW
from ..services.assignments import exporter_hand_to_agent, exporters_assign_bulk
from ..services.auto_assign import auto_assignment_apply, propose
from ..services.commissions import commission_approve
from ..services.notifications import notifications_claims_decided, notifications_evidence_waiting, notify
from ..services.progress import stage_event_approve, stage_event_reject, stage_event_submit
from ..services.startups import startup_member_add
from ..services.users import user_set_preferences
from .factories import ExporterFactory, assign, checklist_files, commission_rule, pay_through_a_run, stage


def notices(user, kind) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind))


def emails_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def bell(client) -> str:
    html = client.get(reverse("onboarding:home")).content.decode()
    return html.split('id="nav-bell"')[1].split("</a>")[0]


@pytest.fixture
def claim(agent_a, startup_a):
    """Evidence for "Documents collected", waiting for review."""
    exporter = assign(ExporterFactory(legal_name="Kaveri Silks"), startup_a, stage_code="contacted")
    return stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("documents_collected"),
        evidence={"note": "All four documents"},
        checklist=checklist_files("documents_collected"),
    )


def test_a_bulk_assignment_tells_each_manager_once_not_once_per_exporter(
    client_for, admin_user, manager_a, startup_a, django_capture_on_commit_callbacks
):
    pool = [ExporterFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        exporters_assign_bulk(actor=admin_user, exporters=pool, startup=startup_a)
    [notice] = notices(manager_a, NotificationKind.EXPORTERS_ASSIGNED)
    assert notice.title == "3 new exporters assigned to your startup"
    [email] = emails_to(manager_a)
    assert email.subject == notice.title
    assert 'text-bg-warning">1<span class="visually-hidden"> unread' in bell(client_for(manager_a))


def test_an_auto_assignment_tells_each_startup_once(
    admin_user, manager_a, startup_a, django_capture_on_commit_callbacks
):
    for _ in range(4):
        ExporterFactory()
    with django_capture_on_commit_callbacks(execute=True):
        result = auto_assignment_apply(actor=admin_user, plan=propose())
    assert result.assigned == 4
    [notice] = notices(manager_a, NotificationKind.EXPORTERS_ASSIGNED)
    assert notice.title.startswith("4 new exporters")
    assert len(emails_to(manager_a)) == 1


def test_an_agent_hears_that_an_exporter_is_handed_to_them(
    client_for, manager_a, agent_a, exporter_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        exporter_hand_to_agent(actor=manager_a, exporter=exporter_a, agent=agent_a)
    [notice] = notices(agent_a, NotificationKind.EXPORTER_HANDED)
    assert notice.link == exporter_a.get_absolute_url()
    assert len(emails_to(agent_a)) == 1
    assert '">1<span class="visually-hidden"> unread' in bell(client_for(agent_a))


def announce_after_the_undo_window(capture) -> int:
    """Run the announcing job as beat would, once the officer's time for undo has passed."""
    with capture(execute=True):
        return notifications_claims_decided(now=timezone.now() + UNDO_WINDOW)


def test_a_rejection_reaches_the_submitter_and_managers_with_the_note_once_it_can_no_longer_be_undone(
    client_for, officer, agent_a, manager_a, claim, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stage_event_reject(actor=officer, event=claim, note="The GST certificate is blurred")
    assert notices(agent_a, NotificationKind.EVIDENCE_REJECTED) == [] and mail.outbox == []
    assert announce_after_the_undo_window(django_capture_on_commit_callbacks) == 1
    for person in (agent_a, manager_a):
        [notice] = notices(person, NotificationKind.EVIDENCE_REJECTED)
        assert "The GST certificate is blurred" in notice.body
        assert notice.link == reverse("onboarding:exporter-submit-stage", args=[claim.exporter_id])
        [email] = emails_to(person)
        assert "The GST certificate is blurred" in email.body
    assert (
        "The GST certificate is blurred"
        in client_for(agent_a).get(reverse("onboarding:notification-list")).content.decode()
    )


def test_an_approval_is_notified_once_however_often_the_job_runs(
    officer, agent_a, claim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stage_event_approve(actor=officer, event=claim, note="All clear")
    # Within the window the job finds nothing to announce.
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_claims_decided(now=timezone.now()) == 0
    assert announce_after_the_undo_window(django_capture_on_commit_callbacks) == 1
    assert announce_after_the_undo_window(django_capture_on_commit_callbacks) == 0
    [notice] = notices(agent_a, NotificationKind.EVIDENCE_APPROVED)
    assert "approved" in notice.title and "All clear" in notice.body
    assert len(emails_to(agent_a)) == 1


def test_commissions_approved_and_paid_are_told_to_the_managers(
    admin_user, officer, manager_a, claim, django_capture_on_commit_callbacks
):
    commission_rule("documents_collected", "2000.00")
    stage_event_approve(actor=officer, event=claim)
    commission = Commission.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        commission_approve(actor=admin_user, commission=commission)
    with django_capture_on_commit_callbacks(execute=True):
        pay_through_a_run(admin_user, utr="SBIN226330000042")
    [approved] = notices(manager_a, NotificationKind.COMMISSION_APPROVED)
    [paid] = notices(manager_a, NotificationKind.COMMISSION_PAID)
    assert "₹2,000.00" in approved.title and "₹2,000.00" in paid.title and "SBIN226330000042" in paid.body
    assert len([m for m in emails_to(manager_a) if m.subject.startswith(("Commission", "Payout"))]) == 2


def test_an_accepted_invitation_is_told_to_the_managers_and_the_inviter_once(
    admin_user, manager_a, startup_a, django_capture_on_commit_callbacks
):
    member = startup_member_add(actor=admin_user, startup=startup_a, email="new.agent@alpha.example", role="agent")
    user = member.user
    with django_capture_on_commit_callbacks(execute=True):
        user.set_password("Pune-exports-2026")
        user.save()
    for person in (manager_a, admin_user):
        [notice] = notices(person, NotificationKind.INVITATION_ACCEPTED)
        assert "new.agent@alpha.example" in notice.body
    user.set_password("Another-password-2027")
    user.save()  # a later password change is no second acceptance
    assert len(notices(manager_a, NotificationKind.INVITATION_ACCEPTED)) == 1


def test_officers_hear_of_evidence_waiting_beyond_a_day_once_however_often_the_job_runs(
    officer, claim, django_capture_on_commit_callbacks
):
    assert notifications_evidence_waiting(now=timezone.now()) == 0  # it has not waited a day yet
    # Noon (India) two days on: more than a day after the claim, and an hour later is the same
    # IST day whatever the hour the test runs (plus one day's 26 hours crossed midnight after 21:00 IST).
    later = (timezone.localtime() + timedelta(days=2)).replace(hour=12, minute=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_evidence_waiting(now=later) == 1
        assert notifications_evidence_waiting(now=later + timedelta(hours=1)) == 0
    [notice] = notices(officer, NotificationKind.EVIDENCE_WAITING)
    assert notice.title.startswith("1 claim waiting")
    assert len(emails_to(officer)) == 1


def test_one_event_makes_one_notice_and_one_email_per_person(manager_a, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[manager_a, manager_a], kind=NotificationKind.EXPORTER_HANDED, title="Hi", event_key="e1")
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.filter(kind=MessageKind.NOTIFICATION).count() == 1
    assert len(mail.outbox) == 1


def test_notification_emails_follow_the_persons_preference(manager_a, django_capture_on_commit_callbacks):
    user_set_preferences(actor=manager_a, user=manager_a, weekly_digest=True, notification_emails=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[manager_a], kind=NotificationKind.EXPORTER_HANDED, title="Hi", event_key="e2")
    assert Notification.objects.filter(recipient=manager_a).count() == 1  # still in the bell
    assert mail.outbox == []


def test_the_preferences_page_switches_notification_emails(client_for, manager_a):
    client = client_for(manager_a)
    assert 'name="notification_emails"' in client.get(reverse("onboarding:preferences")).content.decode()
    client.post(reverse("onboarding:preferences"), {"weekly_digest": "on"})
    manager_a.refresh_from_db()
    assert manager_a.weekly_digest and not manager_a.notification_emails


def test_opening_a_notice_marks_it_read_and_follows_its_link(client_for, agent_a, exporter_a):
    [notice] = notify(
        recipients=[agent_a], kind="exporter_handed", title="Yours", event_key="e3", link=exporter_a.get_absolute_url()
    )
    client = client_for(agent_a)
    response = client.post(reverse("onboarding:notification-open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == exporter_a.get_absolute_url()
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "unread" not in bell(client)


def test_an_outside_link_is_never_followed(client_for, agent_a):
    [notice] = notify(
        recipients=[agent_a], kind="exporter_handed", title="x", event_key="e4", link="https://evil.example/"
    )
    response = client_for(agent_a).post(reverse("onboarding:notification-open", args=[notice.pk]))
    assert response["Location"] == reverse("onboarding:notification-list")


def test_mark_all_read_touches_only_ones_own(client_for, agent_a, manager_a):
    notify(recipients=[agent_a, manager_a], kind="exporter_handed", title="Both", event_key="e5")
    response = client_for(agent_a).post(reverse("onboarding:notification-read-all"), follow=True)
    assert "Marked 1 notification read." in response.content.decode()
    assert Notification.objects.get(recipient=manager_a).read_at is None


def test_it_checks_ownership(client_for, agent_a, manager_b):
    """Another person's notice: not listed, and opening it is a 404 that marks nothing."""
    [theirs] = notify(recipients=[agent_a], kind="exporter_handed", title="Private to A", event_key="e6")
    client = client_for(manager_b)
    assert "Private to A" not in client.get(reverse("onboarding:notification-list")).content.decode()
    assert client.post(reverse("onboarding:notification-open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_list_is_paginated_with_a_constant_number_of_queries(client_for, agent_a, django_assert_num_queries):
    client = client_for(agent_a)
    client.get(reverse("onboarding:notification-list"))
    for count in (3, 40):
        for i in range(count):
            notify(recipients=[agent_a], kind="exporter_handed", title=f"n{i}", event_key=f"p{count}-{i}")
        # session, user, membership, count, rows, the bell
        with django_assert_num_queries(6):
            response = client.get(reverse("onboarding:notification-list"))
        assert len(response.context["page"].object_list) <= 25


def test_an_empty_bell_says_what_will_arrive(client_for, agent_a):
    html = client_for(agent_a).get(reverse("onboarding:notification-list")).content.decode()
    assert "No notifications yet." in html and reverse("onboarding:preferences") in html


def test_a_notice_email_shows_no_outbox_key(manager_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[manager_a], kind=NotificationKind.EXPORTER_HANDED, title="Hi", event_key="e2")
    key = OutboxMessage.objects.get(kind=MessageKind.NOTIFICATION).period_key
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert "Notification." in html and key not in html and key not in message.body
