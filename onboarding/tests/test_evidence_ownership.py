"""Evidence belongs to the startup that made it: the reassignment story, end to end.

Startup B works an exporter and claims a stage; an officer moves the exporter to
startup A. A sees none of B's detail, B's waiting claim is withdrawn and can never be
approved (page, bulk, API), B keeps its own history, staff see everything.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ..models import Commission
from ..models.stages import StageEventStatus
from ..services.assignments import exporter_reassign
from ..services.progress import activity_log, stage_event_approve, stage_event_submit
from ..services.startups import startup_set_status
from .api_client import api_for
from .concurrency import race
from .factories import ExporterFactory, MemberFactory, assign, commission_rule, stage

B_NOTE = "Met the owner: pricing agreed at 4.20 a piece"
B_ORDER = "B-ORDER-7781"


@pytest.fixture
def agent_b(startup_b):
    return MemberFactory(startup=startup_b, role="agent", user__email="agent@beta.example").user


@pytest.fixture
def story(startup_b, agent_b):
    """B has worked the exporter and claims "First order" with a file; nothing reviewed yet."""
    commission_rule("first_order")
    exporter = assign(ExporterFactory(legal_name="Moradabad Brass Works LLP"), startup_b, stage_code="first_inquiry")
    activity_log(
        actor=agent_b, exporter=exporter, kind="visit", occurred_at=timezone.now(), note=B_NOTE, outcome="reached"
    )
    claim = stage_event_submit(
        actor=agent_b,
        exporter=exporter,
        stage=stage("first_order"),
        evidence={
            "evidence_reference": B_ORDER,
            "evidence_amount": 12500,
            "evidence_country": "AE",
            "evidence_file": SimpleUploadedFile("b-invoice.pdf", b"%PDF-1.4 beta invoice"),
        },
    )
    return exporter, claim


def _reassign_to(startup, exporter, officer):
    return exporter_reassign(actor=officer, exporter=exporter, startup=startup, reason="B stopped answering calls")


def test_a_claim_carries_the_startup_that_made_it(story, startup_b):
    _exporter, claim = story
    assert claim.startup == startup_b
    assert claim.evidence_file.name.startswith("evidence/") and "b-invoice" not in claim.evidence_file.name
    assert claim.file_name == "b-invoice.pdf"


def test_reassignment_withdraws_the_old_startups_waiting_claim(story, startup_a, officer):
    exporter, claim = story
    _reassign_to(startup_a, exporter, officer)
    claim.refresh_from_db()
    assert claim.status == StageEventStatus.WITHDRAWN
    assert "reassigned" in claim.review_note.lower() and "B stopped answering calls" in claim.review_note
    assert claim.reviewed_by == officer


def test_the_new_startup_sees_none_of_the_old_startups_detail(
    story, startup_a, officer, manager_a, agent_b, client_for
):
    exporter, _claim = story
    _reassign_to(startup_a, exporter, officer)
    page = client_for(manager_a).get(exporter.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    for secret in (B_NOTE, B_ORDER, agent_b.email, "b-invoice.pdf", "Beta", "B stopped answering calls"):
        assert secret not in body
    home = client_for(manager_a).get(reverse("onboarding:home")).content.decode()
    assert B_ORDER not in home and B_NOTE not in home
    api = api_for(manager_a)
    assert api.get(f"/api/v1/stage-events/?exporter={exporter.pk}").json()["results"] == []
    assert api.get(f"/api/v1/activities/?exporter={exporter.pk}").json()["results"] == []


def test_the_new_startup_sees_when_stages_were_reached_but_not_the_evidence(
    story, startup_a, officer, manager_a, client_for
):
    exporter, claim = story
    stage_event_approve(actor=officer, event=claim, note="Order checked with the buyer")
    _reassign_to(startup_a, exporter, officer)
    response = client_for(manager_a).get(exporter.get_absolute_url())
    reached = {s.code: when for s, when in response.context["steps"] if when}
    assert list(reached) == ["first_order"]
    body = response.content.decode()
    assert timezone.localtime(reached["first_order"]).strftime("%d %b %Y") in body
    assert B_ORDER not in body and "Order checked with the buyer" not in body


def test_a_withdrawn_claim_cannot_be_approved_by_page_bulk_or_api(story, startup_a, officer, client_for):
    exporter, claim = story
    _reassign_to(startup_a, exporter, officer)
    client = client_for(officer)
    response = client.post(reverse("onboarding:review-approve", args=[claim.pk]), follow=True)
    assert "already withdrawn" in response.content.decode()
    client.post(reverse("onboarding:review-queue"), {"event": [claim.pk]})
    assert api_for(officer).post(f"/api/v1/stage-events/{claim.pk}/approve/", {}, format="json").status_code == 409
    claim.refresh_from_db()
    exporter.refresh_from_db()
    assert claim.status == StageEventStatus.WITHDRAWN
    assert exporter.current_stage.code == "assigned"
    assert not Commission.objects.exists()


def test_the_old_startup_keeps_its_own_history(story, startup_a, officer, manager_b, client_for):
    exporter, claim = story
    _reassign_to(startup_a, exporter, officer)
    client = client_for(manager_b)
    assert client.get(exporter.get_absolute_url()).status_code == 404
    assert B_NOTE in client.get(reverse("onboarding:activity-list")).content.decode()
    home = client.get(reverse("onboarding:home")).content.decode()
    assert "was withdrawn" in home and "First order" in home
    events = api_for(manager_b).get("/api/v1/stage-events/").json()["results"]
    assert [(e["id"], e["status"], e["evidence_reference"]) for e in events] == [
        (claim.pk, StageEventStatus.WITHDRAWN, B_ORDER)
    ]
    assert client.get(claim.download_url).status_code == 200


def test_staff_see_both_startups_work(story, startup_a, officer, client_for):
    exporter, _claim = story
    _reassign_to(startup_a, exporter, officer)
    body = client_for(officer).get(exporter.get_absolute_url()).content.decode()
    assert B_NOTE in body and "withdrawn" in body and "b-invoice.pdf" in body


def test_approved_unpaid_accruals_stay_with_the_startup_that_earned_them(story, startup_a, startup_b, officer):
    exporter, claim = story
    stage_event_approve(actor=officer, event=claim)
    _reassign_to(startup_a, exporter, officer)
    assert [(c.startup, c.status) for c in Commission.objects.filter(exporter=exporter)] == [(startup_b, "accrued")]


def test_suspending_a_startup_withdraws_its_waiting_claims(story, startup_b, admin_user):
    _exporter, claim = story
    startup_set_status(actor=admin_user, startup=startup_b, status="suspended", reason="Audit")
    claim.refresh_from_db()
    assert claim.status == StageEventStatus.WITHDRAWN and "suspended" in claim.review_note


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_approval_racing_a_reassignment_has_one_outcome(startup_a, startup_b, agent_b, officer, admin_user):
    """Threads on PostgreSQL: whichever wins, B is paid only if its approval came first."""
    commission_rule("storefront_live")
    for _round in range(4):
        exporter = assign(ExporterFactory(), startup_b, stage_code="membership_active")
        claim = stage_event_submit(
            actor=agent_b, exporter=exporter, stage=stage("storefront_live"), evidence={"evidence_url": "https://b.x/"}
        )
        approved, moved = race(
            lambda claim=claim: stage_event_approve(actor=admin_user, event=claim),
            lambda exporter=exporter: _reassign_to(startup_a, exporter, officer),
        )
        claim.refresh_from_db()
        paid = list(Commission.objects.filter(exporter=exporter).values_list("startup_id", flat=True))
        assert not isinstance(moved, Exception), moved
        if not isinstance(approved, Exception):
            assert claim.status == StageEventStatus.APPROVED and paid == [startup_b.pk]
        else:
            assert isinstance(approved, ValidationError), approved
            assert claim.status == StageEventStatus.WITHDRAWN and paid == []
