"""The outbox page (/outbox/, formerly /reminders/) and the email settings page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ..models import OutboxMessage
from ..models.outbox import MessageKind, MessageStatus
from .factories import ExporterFactory, MemberFactory, StartupFactory, assign

URL = "/outbox/"


def reminder(recipient, startup=None, *, kind=MessageKind.STALLED_DIGEST, period="2026-11-30", exporters=(), **extra):
    return OutboxMessage.objects.create(
        kind=kind,
        recipient=recipient,
        startup=startup,
        period_key=period,
        subject=f"About {startup}",
        exporter_ids=[e.pk for e in exporters],
        **extra,
    )


@pytest.fixture
def log(startup_a, startup_b, manager_a, manager_b, officer, exporter_a, exporter_b):
    # The managers' notices of the two assignments are emails too; this log's subject is the reminders.
    OutboxMessage.objects.filter(kind=MessageKind.NOTIFICATION).delete()
    return {
        "a": reminder(manager_a, startup_a, exporters=[exporter_a], status=MessageStatus.SENT, sent_at=timezone.now()),
        "b": reminder(manager_b, startup_b, exporters=[exporter_b]),
        "escalation": reminder(officer, kind=MessageKind.ESCALATION, exporters=[exporter_a, exporter_b]),
    }


def test_outbox_path_is_stable():
    assert reverse("onboarding:outbox") == URL
    assert reverse("onboarding:preferences") == "/account/preferences/"


def test_the_old_reminders_address_leads_to_the_outbox_with_its_filters(client_for, officer):
    """Emails sent before the rename link to /reminders/?status=rejected."""
    response = client_for(officer).get("/reminders/", {"status": "rejected"})
    assert response.status_code == 301
    assert response["Location"] == f"{URL}?status=rejected"


def test_staff_see_every_reminder_with_recipient_subject_and_status(client_for, officer, log):
    response = client_for(officer).get(URL)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [log["escalation"], log["b"], log["a"]]
    html = response.content.decode()
    assert "manager@alpha.example" in html and "manager@beta.example" in html
    assert "About Alpha" in html and "Sent" in html and "2 exporters" in html
    assert 'href="/outbox/"' in html  # the staff navigation link


def test_the_log_and_the_exporter_page_count_a_messages_exporters_without_reading_their_ids(
    client_for, officer, log, exporter_a
):
    """An escalation names tens of thousands of exporters: a page that lists messages reads
    how many (the database counts the array), never the array itself."""
    client = client_for(officer)
    with CaptureQueriesContext(connection) as queries:
        assert "2 exporters" in client.get(URL).content.decode()
        timeline = client.get(exporter_a.get_absolute_url()).context["timeline"]
    assert any(entry.detail == log["a"].subject for entry in timeline)
    read = [q["sql"] for q in queries.captured_queries if "onboarding_outboxmessage" in q["sql"]]
    assert read and not any(re.search(r'"exporter_ids"(,| FROM)', sql) for sql in read)


def test_a_startup_user_sees_only_their_startups_reminders(client_for, agent_a, log):
    response = client_for(agent_a).get(URL)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [log["a"]]
    html = response.content.decode()
    assert "manager@beta.example" not in html and "Escalation" not in html.split("<tbody>")[1]
    # Filtering by another startup's id shows nothing of theirs either.
    response = client_for(agent_a).get(URL, {"startup": log["b"].startup_id})
    assert list(response.context["page"].object_list) == [log["a"]]


def test_it_checks_ownership(client_for, manager_b, startup_a, log):
    """The log has no page per reminder: asking for startup A's by id or name shows only B's own."""
    client = client_for(manager_b)
    for params in ({"startup": startup_a.pk}, {"startup_name": "alpha"}):
        response = client.get(URL, params)
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == [log["b"]], params


def test_a_user_with_no_startup_cannot_read_the_log(client, log):
    from .factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_filters_answer_was_this_startup_told(client_for, officer, log, startup_b):
    client = client_for(officer)
    by_name = client.get(URL, {"startup_name": "beta"}).context["page"].object_list
    assert list(by_name) == [log["b"]]
    by_id = client.get(URL, {"startup": startup_b.pk}).context["page"].object_list
    assert list(by_id) == [log["b"]]
    by_kind = client.get(URL, {"kind": "escalation"}).context["page"].object_list
    assert list(by_kind) == [log["escalation"]]
    by_status = client.get(URL, {"status": "sent"}).context["page"].object_list
    assert list(by_status) == [log["a"]]
    today = timezone.localdate()
    assert len(client.get(URL, {"date_from": today.isoformat()}).context["page"].object_list) == 3
    tomorrow = today + timedelta(days=1)
    response = client.get(URL, {"date_from": tomorrow.isoformat()})
    assert list(response.context["page"].object_list) == []
    assert "No emails match" in response.content.decode()


def test_a_bad_filter_value_is_reported_beside_the_field_not_a_500(client_for, officer, log):
    response = client_for(officer).get(URL, {"date_from": "30/30/2026", "kind": "nonsense"})
    assert response.status_code == 200
    # In plain words, saying what to type (issue 30), not Django's "Enter a valid date."
    assert "as a real date, like 2026-11-30" in response.content.decode()
    assert "from the list" in response.content.decode() and "Select a valid choice" not in response.content.decode()


def test_the_log_paginates_with_a_constant_number_of_queries(
    client_for, officer, startup_a, manager_a, django_assert_num_queries
):
    client = client_for(officer)

    def add(n):
        for i in range(n):
            startup = StartupFactory()
            exporters = [assign(ExporterFactory(), startup) for _ in range(2)]
            member = MemberFactory(startup=startup).user  # after the assignments: no notices of them
            reminder(member, startup, period=f"2026-12-{i + 1:02d}", exporters=exporters)

    add(3)
    client.get(URL)  # warm the session and content types
    # session, user, count, page rows (exporters prefetched with them), the review badge
    with django_assert_num_queries(6):  # + the bell's unread count
        client.get(URL)
    add(60)
    with django_assert_num_queries(6):  # + the bell's unread count
        response = client.get(URL)
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.num_pages == 2


def test_empty_log_says_when_reminders_come(client_for, officer):
    html = client_for(officer).get(URL).content.decode()
    assert "No emails match" in html and "09:00" in html


def test_a_user_can_switch_off_the_weekly_digest_and_it_is_audited(client_for, manager_a):
    client = client_for(manager_a)
    page = client.get("/account/preferences/")
    assert page.status_code == 200
    assert 'for="id_weekly_digest"' in page.content.decode()
    response = client.post("/account/preferences/", {}, follow=True)  # an unticked box is not sent
    manager_a.refresh_from_db()
    assert manager_a.weekly_digest is False
    assert "no longer get the weekly digest" in response.content.decode()
    entry = LogEntry.objects.get()
    assert entry.user == manager_a and entry.object_id == str(manager_a.pk) and "weekly_digest" in entry.change_message
    client.post("/account/preferences/", {"weekly_digest": "on"})
    manager_a.refresh_from_db()
    assert manager_a.weekly_digest is True and LogEntry.objects.count() == 2


def test_preferences_change_only_the_signed_in_user(client_for, manager_a, manager_b):
    client_for(manager_a).post("/account/preferences/", {"user": manager_b.pk, "email": "x@example.com"})
    manager_a.refresh_from_db()
    manager_b.refresh_from_db()
    assert manager_a.weekly_digest is False and manager_b.weekly_digest is True
    assert manager_a.email == "manager@alpha.example"


def test_preferences_need_a_signed_in_user(client, db):
    assert client.get("/account/preferences/").status_code == 302
