"""Auto-assignment by parts: filter the proposals by startup or state, untick rows, apply
the ticked ones through the same locked, capacity-checked service."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..models import Assignment, Exporter
from .factories import ExporterFactory, StartupFactory

AUTO = reverse("onboarding:assignment-auto")


@pytest.fixture
def two_states(db):
    """Two startups in two states, three pool exporters in each."""
    west = StartupFactory(state="27", brand_name="West", capacity=10)
    south = StartupFactory(state="33", brand_name="South", capacity=10, languages=["ta"])
    pune = ExporterFactory.create_batch(3, state="27")
    chennai = ExporterFactory.create_batch(3, state="33", preferred_language="ta")
    return west, south, pune, chennai


def test_the_proposals_filter_by_startup_and_by_state(client_for, officer, two_states):
    _west, south, pune, chennai = two_states
    client = client_for(officer)
    by_startup = client.get(AUTO, {"startup": south.pk}).context["proposals"]
    assert {p.exporter.pk for p in by_startup} == {e.pk for e in chennai}
    by_state = client.get(AUTO, {"state": "27"}).context["proposals"]
    assert {p.exporter.pk for p in by_state} == {e.pk for e in pune}
    for junk in ({"startup": "x"}, {"startup": "99999999999999999999"}, {"state": "<b>"}):
        response = client.get(AUTO, junk)
        assert response.status_code == 200


@pytest.mark.both_databases
def test_applying_the_ticked_proposals_assigns_only_those(client_for, admin_user, two_states):
    _west, _south, pune, chennai = two_states
    client = client_for(admin_user)
    fingerprint = client.get(AUTO).context["plan"].fingerprint
    ticked = [pune[0].pk, chennai[1].pk]
    # Confirmed (issue 30: a confirmation step comes first); then the page of what changed.
    response = client.post(
        AUTO + "?state=27",
        {"fingerprint": fingerprint, "apply": "selected", "exporter": ticked, "confirm": "yes"},
        follow=True,
    )
    assert "Assigned 2 exporters." in response.content.decode()
    assert set(Exporter.objects.filter(startup__isnull=False).values_list("pk", flat=True)) == set(ticked)
    assert "/assignments/auto/applied/" in response.redirect_chain[-1][0]
    # What was left stays proposed.
    response = client.get(AUTO + "?state=27")
    assert {p.exporter.pk for p in response.context["plan"].proposals} == {
        pune[1].pk,
        pune[2].pk,
        chennai[0].pk,
        chennai[2].pk,
    }


def test_apply_selected_with_nothing_ticked_writes_nothing_and_says_so(client_for, admin_user, two_states):
    client = client_for(admin_user)
    fingerprint = client.get(AUTO).context["plan"].fingerprint
    response = client.post(AUTO, {"fingerprint": fingerprint, "apply": "selected", "exporter": ["junk", "0"]})
    assert "Tick the proposals to apply first." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_ticked_part_of_a_stale_preview_is_not_applied(client_for, admin_user, two_states):
    pune = two_states[2]
    client = client_for(admin_user)
    fingerprint = client.get(AUTO).context["plan"].fingerprint
    ExporterFactory(state="27")  # the pool changed after the preview
    response = client.post(AUTO, {"fingerprint": fingerprint, "apply": "selected", "exporter": [pune[0].pk]})
    assert "changed since your preview" in response.content.decode()
    assert not Assignment.objects.exists()


def test_the_page_ticks_every_shown_proposal_for_the_apply_form(client_for, officer, two_states):
    html = client_for(officer).get(AUTO).content.decode()
    assert html.count('type="checkbox" name="exporter"') == 6 and 'form="apply-form"' in html
    # One apply button, for the ticked rows only (issue 30 removed "Apply all").
    assert 'value="selected"' in html and "(all)" not in html and 'value="all"' not in html
