"""Staff correct an exporter's contact at once; the startup working it proposes a change that
waits (tests/test_contact_changes.py); every change is audited and shown on the timeline with
who made it; another startup gets a 404 and changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ..models import ContactChange, Exporter
from ..services.contact_changes import contact_change_propose
from ..services.exporters import exporter_contact_correct
from .factories import ExporterFactory


def url(exporter) -> str:
    return reverse("onboarding:exporter-contact", args=[exporter.pk])


def test_an_agents_correction_waits_as_a_proposal_and_the_contact_stays(client_for, agent_a, exporter_a):
    before = (exporter_a.contact_mobile, exporter_a.contact_email)
    response = client_for(agent_a).post(
        url(exporter_a),
        {"contact_name": "", "contact_mobile": "098765 43210", "contact_email": "owner@alpha.example.in"},
        follow=True,
    )
    exporter_a.refresh_from_db()
    assert (exporter_a.contact_mobile, exporter_a.contact_email) == before
    change = ContactChange.objects.get(exporter=exporter_a)
    assert (change.new_mobile, change.new_email, change.status) == (
        "+919876543210",
        "owner@alpha.example.in",
        "pending",
    )
    assert change.history.first().history_user == agent_a
    assert "Change proposed" in response.content.decode()


def test_staff_see_who_changed_the_contact_on_the_timeline(client_for, officer, exporter_a):
    before = exporter_a.contact_mobile
    client_for(officer).post(url(exporter_a), {"contact_mobile": "9876543210", "contact_email": ""})
    timeline = client_for(officer).get(exporter_a.get_absolute_url()).context["timeline"]
    change = next(entry for entry in timeline if entry.changes)
    assert change.who == officer
    assert ("Contact mobile", before, "+919876543210") in change.changes


def test_a_bad_phone_is_refused_beside_the_field_and_nothing_changes(client_for, agent_a, exporter_a):
    before = (exporter_a.contact_mobile, exporter_a.contact_email)
    response = client_for(agent_a).post(url(exporter_a), {"contact_mobile": "12345", "contact_email": "not-an-email"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"contact_mobile", "contact_email"}
    assert 'href="#id_contact_mobile"' in response.content.decode()
    exporter_a.refresh_from_db()
    assert (exporter_a.contact_mobile, exporter_a.contact_email) == before


def test_it_checks_ownership(client_for, manager_b, exporter_a):
    before = exporter_a.contact_mobile
    client = client_for(manager_b)
    assert client.get(url(exporter_a)).status_code == 404
    assert client.post(url(exporter_a), {"contact_mobile": "9876543210"}).status_code == 404
    assert Exporter.objects.get(pk=exporter_a.pk).contact_mobile == before


def test_an_exporter_in_the_pool_has_no_startup_to_correct_it(client_for, officer):
    pooled = ExporterFactory()
    assert client_for(officer).get(url(pooled)).status_code == 404


def test_the_service_refuses_another_startups_member(manager_b, exporter_a):
    with pytest.raises(PermissionDenied):
        exporter_contact_correct(actor=manager_b, exporter=exporter_a, contact_mobile="+919876543210", contact_email="")
    with pytest.raises(PermissionDenied):
        contact_change_propose(
            actor=manager_b, exporter=exporter_a, contact_name="", contact_mobile="+919876543210", contact_email=""
        )
    assert not ContactChange.objects.exists()


def test_the_holding_startup_cannot_correct_directly_through_the_service(manager_a, exporter_a):
    with pytest.raises(PermissionDenied):
        exporter_contact_correct(actor=manager_a, exporter=exporter_a, contact_mobile="+919876543210", contact_email="")
