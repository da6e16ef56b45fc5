"""A startup cannot redirect the exporter's channel: its change to the exporter's contact waits
until the exporter confirms it from the contact of record, or staff approve it. Until then the
exporter's link, questions and messages go to the old contact. Every step is audited and on
the timeline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from ..models import ContactChange, Exporter, ExporterLink
from ..models.contact_changes import ContactChangeStatus, DecidedHow
from ..reports.timeline import exporter_timeline
from ..services.assignments import exporter_reassign, exporter_unassign
from ..services.contact_changes import contact_change_propose
from ..services.exporter_link import exporter_digests_plan, exporter_link_get
from ..services.exporters import exporter_update
from .factories import ExporterFactory, assign

IST = ZoneInfo("Asia/Kolkata")
EVENING = datetime(2026, 11, 30, 17, 30, tzinfo=IST)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(EVENING, tick=False)]
OLD, HIJACK = "owner@moradabad.example", "inbox@alpha.example"


@pytest.fixture
def held(startup_a):
    return assign(ExporterFactory(contact_name="Ravi Kumar", contact_email=OLD, contact_mobile=""), startup_a)


@pytest.fixture
def proposed(agent_a, held):
    """The agent of startup A proposes the startup's own inbox as the exporter's email."""
    return contact_change_propose(
        actor=agent_a, exporter=held, contact_name="Ravi Kumar", contact_email=HIJACK, contact_mobile=""
    )


def page_of(exporter) -> str:
    return reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter).token()])


def contact_of(exporter) -> tuple[str, str]:
    exporter.refresh_from_db()
    return exporter.contact_name, exporter.contact_email


def test_an_agents_proposal_does_not_redirect_the_exporters_messages_until_confirmed(
    proposed, held, django_capture_on_commit_callbacks
):
    assert contact_of(held) == ("Ravi Kumar", OLD)
    with django_capture_on_commit_callbacks(execute=True):
        assert exporter_digests_plan(now=EVENING) == 1
    [message] = mail.outbox
    assert message.to == [OLD]
    assert f"{held.startup} asked to change your contact details" in message.body and HIJACK in message.body


def test_the_exporter_confirms_from_their_page_and_the_change_applies(client, proposed, held, officer):
    url = page_of(held)
    body = client.get(url).content.decode()
    assert "Your contact details are about to change" in body and HIJACK in body
    response = client.post(url, {"action": "contact_change", "change": proposed.pk, "answer": "yes"}, follow=True)
    assert "new contact details are saved" in response.content.decode()
    assert contact_of(held) == ("Ravi Kumar", HIJACK)
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_how, proposed.decided_by) == ("confirmed", DecidedHow.EXPORTER, None)
    record = held.history.first()
    assert record.history_user is None and record.history_change_reason.startswith("Confirmed by the exporter")
    titles = [e.title for e in exporter_timeline(held, officer)]
    assert any(t.startswith("Contact change confirmed by the exporter") for t in titles)
    assert any(t.startswith(f"Contact change proposed by {held.startup}") for t in titles)
    assert any("answered yes to a contact change" in t for t in titles)


def test_the_exporters_no_keeps_the_old_contact(client, proposed, held, agent_a):
    url = page_of(held)
    response = client.post(url, {"action": "contact_change", "change": proposed.pk, "answer": "no"}, follow=True)
    assert "stay as they are" in response.content.decode()
    assert contact_of(held) == ("Ravi Kumar", OLD)
    proposed.refresh_from_db()
    assert proposed.status == ContactChangeStatus.REJECTED
    # The startup that proposed it sees it refused on its timeline.
    titles = [e.title for e in exporter_timeline(held, agent_a)]
    assert "Contact change refused: the contact stays as it was" in titles
    assert "Your contact details are about to change" not in client.get(url).content.decode()


def test_staff_approval_applies_it(client_for, officer, proposed, held):
    page = client_for(officer).get(held.get_absolute_url()).content.decode()
    assert "Contact change waiting" in page and "Approve the new contact" in page
    response = client_for(officer).post(reverse("onboarding:contact-change-approve", args=[proposed.pk]), follow=True)
    assert "its next message goes there" in response.content.decode()
    assert contact_of(held) == ("Ravi Kumar", HIJACK)
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_by) == (ContactChangeStatus.APPROVED, officer)
    assert held.history.first().history_user == officer


def test_staff_refusal_keeps_the_contact(client_for, officer, proposed, held):
    client_for(officer).post(reverse("onboarding:contact-change-refuse", args=[proposed.pk]))
    assert contact_of(held) == ("Ravi Kumar", OLD)
    assert ContactChange.objects.get().status == ContactChangeStatus.REJECTED


def test_the_startup_that_proposed_cannot_approve_it_and_another_startup_cannot_see_it(
    client_for, agent_a, manager_a, manager_b, proposed, held
):
    for user, status in ((agent_a, 403), (manager_a, 403), (manager_b, 404)):
        for name in ("contact-change-approve", "contact-change-refuse"):
            assert client_for(user).post(reverse(f"onboarding:{name}", args=[proposed.pk])).status_code == status
    assert contact_of(held) == ("Ravi Kumar", OLD)
    assert ContactChange.objects.get().status == ContactChangeStatus.PENDING
    page = client_for(agent_a).get(held.get_absolute_url()).content.decode()
    assert "Contact change waiting" in page and "Approve the new contact" not in page


def test_the_exporter_cannot_answer_a_change_on_another_exporters_record(client, proposed, startup_a):
    other = assign(ExporterFactory(contact_email="other@x.example"), startup_a)
    url = page_of(other)
    response = client.post(url, {"action": "contact_change", "change": proposed.pk, "answer": "yes"}, follow=True)
    assert "not on your page" in response.content.decode()
    assert ContactChange.objects.get().status == ContactChangeStatus.PENDING


def test_a_decided_change_cannot_be_answered_again(client, proposed, held):
    url = page_of(held)
    client.post(url, {"action": "contact_change", "change": proposed.pk, "answer": "no"})
    response = client.post(url, {"action": "contact_change", "change": proposed.pk, "answer": "yes"}, follow=True)
    assert "already decided" in response.content.decode() and contact_of(held) == ("Ravi Kumar", OLD)


def test_a_newer_proposal_replaces_the_waiting_one(agent_a, proposed, held):
    newer = contact_change_propose(
        actor=agent_a, exporter=held, contact_name="Ravi K.", contact_email=OLD, contact_mobile="+919876543210"
    )
    proposed.refresh_from_db()
    assert proposed.status == ContactChangeStatus.SUPERSEDED
    assert newer.status == ContactChangeStatus.PENDING and newer.old_email == OLD
    assert newer.described() == "Name: Ravi Kumar → Ravi K.; Mobile: — → +919876543210"


def test_a_staff_correction_replaces_the_waiting_proposal(client_for, officer, proposed, held):
    client_for(officer).post(
        reverse("onboarding:exporter-contact", args=[held.pk]),
        {"contact_name": "Ravi Kumar", "contact_mobile": "9876543210", "contact_email": "ravi@moradabad.example"},
    )
    assert contact_of(held) == ("Ravi Kumar", "ravi@moradabad.example")
    assert ContactChange.objects.get().status == ContactChangeStatus.SUPERSEDED


def test_a_change_made_stale_by_a_staff_edit_applies_nothing(client, officer, proposed, held):
    data = {f.name: getattr(held, f.name) for f in Exporter._meta.fields if f.name in ("legal_name", "gstin")}
    exporter_update(actor=officer, exporter=held, data={**data, "contact_email": "ravi@moradabad.example"})
    response = client.post(
        page_of(held), {"action": "contact_change", "change": proposed.pk, "answer": "yes"}, follow=True
    )
    assert "nothing was changed" in response.content.decode()
    assert contact_of(held)[1] == "ravi@moradabad.example"
    assert ContactChange.objects.get().status == ContactChangeStatus.SUPERSEDED


def test_a_move_ends_the_old_startups_waiting_proposal(client, officer, startup_b, proposed, held):
    exporter_reassign(actor=officer, exporter=held, startup=startup_b, reason="Alpha stopped calling")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_by) == (ContactChangeStatus.SUPERSEDED, officer)
    new_page = reverse("onboarding:exporter-status", args=[ExporterLink.objects.get(exporter=held).token()])
    assert "Your contact details are about to change" not in client.get(new_page).content.decode()


def test_proposing_the_contact_of_record_withdraws_the_waiting_proposal(client_for, agent_a, proposed, held):
    response = client_for(agent_a).post(
        reverse("onboarding:exporter-contact", args=[held.pk]),
        {"contact_name": "Ravi Kumar", "contact_mobile": "", "contact_email": OLD},
        follow=True,
    )
    assert "nothing to change" in response.content.decode()
    assert ContactChange.objects.get().status == ContactChangeStatus.SUPERSEDED


def test_returning_the_exporter_to_the_pool_ends_the_waiting_proposal(officer, proposed, held):
    exporter_unassign(actor=officer, exporter=held, reason="Wrong sector")
    proposed.refresh_from_db()
    assert proposed.status == ContactChangeStatus.SUPERSEDED and contact_of(held) == ("Ravi Kumar", OLD)
