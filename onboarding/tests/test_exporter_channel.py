"""The exporter's channel belongs to the exporter: no startup user obtains their status link
from any page, download, email or the API, nor has it sent again; and every time the exporter
leaves a startup the link is replaced (the old one dies) and the new one goes to the exporter."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..models import Exporter, ExporterLink, OutboxMessage
from ..models.outbox import MessageKind
from ..models.startups import StartupStatus
from ..reports.timeline import exporter_timeline
from ..services.assignments import assignment_decline, exporter_reassign, exporter_unassign, exporters_assign_bulk
from ..services.exporter_link import exporter_digests_plan, exporter_link_get, exporter_link_resend, exporter_opt_out
from ..services.startups import startup_release_exporters, startup_set_status
from .api_client import API, api_for
from .factories import ExporterFactory, assign

pytestmark = pytest.mark.django_db


def status_url(token: str) -> str:
    return reverse("onboarding:exporter-status", args=[token])


def traces(exporter) -> list[str]:
    """What would give the link away: the token, the key inside it, the status page's path; the
    short link's code and path, and the WhatsApp share that carries it."""
    link = exporter_link_get(exporter=exporter)
    return [link.token(), link.key, "/e/", link.short_code, "/s/", "wa.me"]


@pytest.fixture
def worked(agent_a, exporter_a):
    """Startup A's exporter with an email, a link already sent and work logged by the agent."""
    Exporter.objects.filter(pk=exporter_a.pk).update(contact_email="owner@moradabad.example")
    exporter_a.refresh_from_db()
    exporter_link_get(exporter=exporter_a)
    return exporter_a


# --- The red team: an agent of the holding startup -----------------------------------------


@pytest.mark.parametrize("persona", ["agent_a", "manager_a"])
def test_a_user_of_the_holding_startup_finds_the_link_on_none_of_their_pages(request, client_for, persona, worked):
    client = client_for(request.getfixturevalue(persona))
    pages = [
        reverse("onboarding:home"),
        reverse("onboarding:exporter-list"),
        reverse("onboarding:exporter-list") + "?format=csv",
        reverse("onboarding:exporter-list") + "?format=xlsx",
        worked.get_absolute_url(),
        worked.get_absolute_url() + "?timeline=all",
        reverse("onboarding:exporter-contact", args=[worked.pk]),
        reverse("onboarding:exporter-log-work", args=[worked.pk]),
        reverse("onboarding:exporter-lookup") + f"?q={worked.legal_name[:5]}",
        reverse("onboarding:board"),
        reverse("onboarding:activity-list"),
        reverse("onboarding:outbox"),
        reverse("onboarding:notification-list"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode(errors="replace")
        for trace in traces(worked):
            assert trace not in body, (page, trace)


def test_an_agent_of_the_holding_startup_finds_the_link_in_no_api_response(agent_a, api_objects):
    api = api_for(agent_a)
    exporter = Exporter.objects.get(pk=api_objects[agent_a.active_membership.startup_id]["exporters"])
    found = []
    for resource, pk in api_objects[exporter.startup_id].items():
        for path in (f"{API}/{resource}/", f"{API}/{resource}/{pk}/", f"{API}/{resource}/?exporter={exporter.pk}"):
            response = api.get(path)
            assert response.status_code in (200, 400), path  # a filter the resource lacks is a 400
            body = response.content.decode()
            found += [(path, trace) for trace in traces(exporter) if trace in body]
    assert found == []


def test_an_agent_of_the_holding_startup_cannot_have_the_link_sent_again(client_for, agent_a, manager_a, worked):
    for user in (agent_a, manager_a):
        response = client_for(user).post(reverse("onboarding:exporter-link-resend", args=[worked.pk]))
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            exporter_link_resend(actor=user, exporter=worked)
    assert not OutboxMessage.objects.exists() and mail.outbox == []


def test_a_startup_user_is_told_the_programme_sends_the_link(client_for, manager_a, worked):
    response = client_for(manager_a).get(worked.get_absolute_url())
    assert response.context["status_link"] is None
    assert "The programme sends the exporter their own status link" in response.content.decode()


# --- Every move replaces the link ----------------------------------------------------------


def test_the_old_startups_link_is_dead_after_a_move_and_the_exporter_gets_the_new_one(
    client, officer, startup_b, worked, django_capture_on_commit_callbacks
):
    old = exporter_link_get(exporter=worked).token()
    assert client.get(status_url(old)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        exporter_reassign(actor=officer, exporter=worked, startup=startup_b, reason="Alpha stopped calling")
    response = client.get(status_url(old))
    assert response.status_code == 404 and "no longer valid" in response.content.decode()
    new = ExporterLink.objects.get(exporter=worked).token()
    assert client.get(status_url(new)).status_code == 200
    [message] = mail.outbox
    # (The token's colons are escaped in the email's address: its key part is compared.)
    assert message.to == ["owner@moradabad.example"] and new.split(":")[0] in message.body
    assert OutboxMessage.objects.get(to_exporter=worked).kind == MessageKind.EXPORTER_LINK


def test_the_move_message_stands_for_the_days_news(officer, startup_b, worked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        exporter_reassign(actor=officer, exporter=worked, startup=startup_b, reason="Alpha stopped calling")
    assert exporter_digests_plan(now=ExporterLink.objects.get(exporter=worked).rotated_at) == 0


@pytest.mark.parametrize("how", ["unassign", "decline", "release"])
def test_a_link_dies_when_the_exporter_returns_to_the_pool_and_nothing_is_sent(
    client, officer, manager_a, startup_a, worked, how, django_capture_on_commit_callbacks
):
    old = exporter_link_get(exporter=worked).token()
    with django_capture_on_commit_callbacks(execute=True):
        if how == "unassign":
            exporter_unassign(actor=officer, exporter=worked, reason="Wrong sector")
        elif how == "decline":
            assignment_decline(actor=manager_a, exporter=worked, reason="Not our sector")
        else:
            startup_release_exporters(actor=officer, startup=startup_a, reason="Alpha left the programme")
    assert client.get(status_url(old)).status_code == 404
    assert mail.outbox == []  # no startup to tell them about: their next news carries a link


@pytest.mark.parametrize("status", [StartupStatus.SUSPENDED, StartupStatus.EXITED])
def test_a_suspended_or_exited_startups_copies_of_the_link_die(
    client, officer, startup_a, worked, status, django_capture_on_commit_callbacks
):
    old = exporter_link_get(exporter=worked).token()
    with django_capture_on_commit_callbacks(execute=True):
        startup_set_status(actor=officer, startup=startup_a, status=status, reason="Audit findings")
    assert client.get(status_url(old)).status_code == 404
    assert client.get(status_url(ExporterLink.objects.get(exporter=worked).token())).status_code == 200


def test_a_bulk_move_replaces_every_link_in_one_statement(
    officer, startup_a, startup_b, django_capture_on_commit_callbacks
):
    exporters = [assign(ExporterFactory(contact_email=f"owner{n}@x.example"), startup_a) for n in range(3)]
    quiet = assign(ExporterFactory(contact_email="quiet@x.example"), startup_a)
    exporter_opt_out(link=exporter_link_get(exporter=quiet), opt_out=True)
    no_email = assign(ExporterFactory(contact_email=""), startup_a)
    moving = [*exporters, quiet, no_email]
    before = {link.exporter_id: link.key for link in ExporterLink.objects.filter(exporter__in=moving)}
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        exporters_assign_bulk(actor=officer, exporters=moving, startup=startup_b, reason="Alpha is full")
    rotations = [q for q in queries if q["sql"].startswith('UPDATE "onboarding_exporterlink" SET "key"')]
    assert len(rotations) == 1
    after = {link.exporter_id: link.key for link in ExporterLink.objects.filter(exporter__in=moving)}
    assert set(after) == {e.pk for e in moving}
    assert all(after[pk] != key for pk, key in before.items()) and len(set(after.values())) == len(moving)
    # The opted-out exporter and the one without email are not written to.
    assert sorted(m.to[0] for m in mail.outbox) == ["owner0@x.example", "owner1@x.example", "owner2@x.example"]


def test_staff_see_each_replaced_link_on_the_timeline_with_who_and_why(officer, manager_a, startup_b, worked):
    exporter_reassign(actor=officer, exporter=worked, startup=startup_b, reason="Alpha stopped calling")
    [entry] = [e for e in exporter_timeline(worked, officer) if e.title.startswith("Status link replaced")]
    assert entry.who == officer and entry.detail == f"Moved to {startup_b}"
    history = ExporterLink.objects.get(exporter=worked).history.first()
    assert history.history_user == officer and history.rotated_at is not None


def test_replacing_the_links_startups_could_see_kills_a_copied_link_and_emails_the_new_one(
    client, exporter_a, django_capture_on_commit_callbacks
):
    Exporter.objects.filter(pk=exporter_a.pk).update(contact_email="owner@kaveri.example")
    copied = reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter_a).token()])
    assert client.get(copied).status_code == 200
    out = io.StringIO()
    call_command("replace_exporter_links", "--dry-run", stdout=out)
    assert "1 exporters' links would be replaced" in out.getvalue()
    assert client.get(copied).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replace_exporter_links", stdout=out)
    assert "1 links replaced; 1 exporters emailed" in out.getvalue()
    assert client.get(copied).status_code == 404
    assert OutboxMessage.objects.filter(to_exporter=exporter_a, kind="exporter_link").count() == 1
