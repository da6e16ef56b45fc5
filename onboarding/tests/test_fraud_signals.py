"""Fraud signals on claims waiting for review, each on hand-built data (a case that must raise
it and one that must not); the review card, the queue's filter and the staff-only list of
signalled claims, in a number of queries that does not grow with the claims; where exporters'
answers and startup users' sign-ins come from; the SHA-256 of evidence files and its backfill."""

from __future__ import annotations

import hashlib
import io
import itertools
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ..models import Assignment, ConfirmationRequest, EvidenceDocument, SignIn, Stage, StageEvent
from ..models.exporter_link import Answer, ConfirmationKind
from ..models.stages import StageEventStatus
from ..reports import fraud_signals
from ..reports.fraud_signals import BURST_CLAIMS, SIGNALS, signals_for
from ..reports.timeline import exporter_timeline
from ..services.disputes import dispute_open, dispute_resolve
from ..services.exporter_link import exporter_link_get
from ..services.progress import activity_log, stage_event_submit
from .conftest import PASSWORD
from .factories import ExporterFactory, assign, stage

pytestmark = pytest.mark.django_db

QUEUE = reverse("onboarding:review-queue")
SIGNALS_PAGE = reverse("onboarding:review-signals")
numbers = itertools.count(1)


def exporter_of(startup, **fields):
    """An exporter of its own firm (a PAN of its own) and with a contact of its own, held by `startup`."""
    n = next(numbers)
    fields.setdefault("contact_mobile", f"+9170{n:08d}")
    fields.setdefault("contact_email", f"owner{n}@firm{n}.example")
    made = ExporterFactory(**fields)
    return assign(made, startup) if startup is not None else made


def claim_for(exporter, *, startup=None, code="documents_collected", minutes_ago=0, status="submitted", **fields):
    """A claim written straight to the table (hand-built data): by the exporter's startup unless told."""
    startup_id = startup.pk if startup is not None else exporter.startup_id
    return StageEvent.objects.create(
        exporter=exporter,
        startup_id=startup_id,
        assignment=Assignment.objects.filter(exporter=exporter, startup_id=startup_id).first(),
        stage=stage(code),
        submitted_at=timezone.now() - timedelta(minutes=minutes_ago),
        status=status,
        **fields,
    )


def kinds(event) -> set[str]:
    """The signals the whole waiting queue raises on `event`."""
    found = signals_for(list(StageEvent.objects.waiting()))
    return {finding.kind for finding in found.get(event.pk, [])}


def texts(event, kind: str) -> str:
    """What the signal `kind` says of `event` (with plain spaces for the non-breaking ones)."""
    found = signals_for(list(StageEvent.objects.waiting()))
    return " ".join(f.text for f in found.get(event.pk, []) if f.kind == kind).replace("\xa0", " ")


DIGEST = "a" * 64
OTHER_DIGEST = "b" * 64


# --- The same file ---------------------------------------------------------------------------


def test_the_same_file_in_claims_for_two_exporters_is_a_signal_on_both(startup_a):
    first = claim_for(exporter_of(startup_a, legal_name="Kanpur Leather LLP"), evidence_sha256=DIGEST)
    second = claim_for(
        exporter_of(startup_a), evidence_sha256=DIGEST, evidence_file="evidence/1.pdf", evidence_file_name="gst.pdf"
    )
    assert "same_file" in kinds(first) and "same_file" in kinds(second)
    assert "“gst.pdf” is the same file as in the “Documents collected” claim for Kanpur Leather LLP" in texts(
        second, "same_file"
    )


def test_the_same_file_as_a_further_document_of_another_startups_claim_for_the_exporter_is_a_signal(
    startup_a, startup_b
):
    exporter = exporter_of(startup_a)
    earlier = claim_for(exporter, startup=startup_b, status=StageEventStatus.WITHDRAWN, minutes_ago=600)
    EvidenceDocument.objects.create(event=earlier, file="evidence/x.pdf", file_name_kept="x.pdf", sha256=DIGEST)
    mine = claim_for(exporter, evidence_sha256=DIGEST, evidence_file_name="gst.pdf")
    assert "same_file" in kinds(mine)
    assert "by Beta" in texts(mine, "same_file")


def test_a_file_sent_again_for_the_same_exporter_by_the_same_startup_or_another_file_is_no_signal(startup_a):
    exporter = exporter_of(startup_a)
    claim_for(exporter, status=StageEventStatus.REJECTED, evidence_sha256=DIGEST, minutes_ago=600)
    again = claim_for(exporter, evidence_sha256=DIGEST)
    other = claim_for(exporter_of(startup_a), evidence_sha256=OTHER_DIGEST)
    assert "same_file" not in kinds(again) | kinds(other)


# --- One link or reference for two exporters ------------------------------------------------------


def test_one_storefront_link_claimed_for_two_exporters_is_a_signal_whatever_its_case_or_last_slash(startup_a):
    claim_for(exporter_of(startup_a, legal_name="Agra Marble LLP"), evidence_url="https://shop.example/store/")
    later = claim_for(exporter_of(startup_a), code="storefront_live", evidence_url="https://SHOP.example/store")
    assert "same_link" in kinds(later)
    assert "Agra Marble LLP" in texts(later, "same_link")


def test_one_order_reference_claimed_for_two_exporters_is_a_signal(startup_a, startup_b):
    claim_for(exporter_of(startup_b), code="first_order", evidence_reference="ord-7781")
    later = claim_for(exporter_of(startup_a), code="first_order", evidence_reference="ORD-7781")
    assert "same_link" in kinds(later)
    assert "The reference “ORD-7781” is also in the “First order” claim" in texts(later, "same_link")


def test_a_link_used_again_for_the_same_exporter_or_different_links_are_no_signal(startup_a):
    exporter = exporter_of(startup_a)
    claim_for(exporter, code="storefront_live", evidence_url="https://shop.example/a", status="approved")
    same_exporter = claim_for(exporter, code="products_listed", evidence_url="https://shop.example/a")
    other = claim_for(exporter_of(startup_a), code="storefront_live", evidence_url="https://shop.example/b")
    assert "same_link" not in kinds(same_exporter) | kinds(other)


def test_a_shared_link_names_the_first_two_claims_of_other_exporters_and_counts_the_rest(startup_a):
    """The count and the names come from the database's groups: the claim's own exporter's
    earlier claims with the link (first in time) are neither named nor counted."""
    exporter = exporter_of(startup_a)
    for minutes in (900, 800, 700):
        claim_for(exporter, evidence_url="https://shop.example/s", status="approved", minutes_ago=minutes)
    for minutes, name in ((600, "Jaipur Gems LLP"), (500, "Kanpur Leather LLP"), (400, "Mysore Silk LLP")):
        claim_for(exporter_of(startup_a, legal_name=name), evidence_url="https://SHOP.example/s/", minutes_ago=minutes)
    claim_for(exporter_of(startup_a), evidence_url="https://shop.example/other", minutes_ago=300)
    latest = claim_for(exporter, code="storefront_live", evidence_url="https://shop.example/s")
    said = texts(latest, "same_link")
    assert "Jaipur Gems LLP" in said and "Kanpur Leather LLP" in said and "Mysore Silk LLP" not in said
    assert said.endswith("and 1 more.")


@pytest.mark.both_databases
def test_a_link_in_more_claims_than_are_read_names_the_first_and_says_at_least_how_many_more(startup_a, monkeypatch):
    """A generic link may be in thousands of claims: each page reads the first few of them
    (SHARED_READ, 100), and past those the explanation says "at least" rather than a count."""
    monkeypatch.setattr(fraud_signals, "SHARED_READ", 3)
    for minutes, name in ((600, "Agra Marble LLP"), (500, "Bhopal Brass LLP"), (400, "Cochin Coir LLP")):
        claim_for(exporter_of(startup_a, legal_name=name), evidence_url="https://www.alibaba.com/", minutes_ago=minutes)
    claim_for(
        exporter_of(startup_a, legal_name="Delhi Durries LLP"), evidence_url="https://www.alibaba.com", minutes_ago=300
    )
    latest = claim_for(exporter_of(startup_a), code="storefront_live", evidence_url="https://WWW.alibaba.com/")
    said = texts(latest, "same_link")
    assert "Agra Marble LLP" in said and "Bhopal Brass LLP" in said and "Cochin Coir LLP" not in said
    assert said.endswith("and at least 1 more.")


# --- One contact on exporters of different firms ---------------------------------------------------


def test_one_mobile_on_exporters_of_two_firms_is_a_signal(startup_a, startup_b):
    exporter_of(startup_b, legal_name="Surat Silk LLP", contact_mobile="+919811100000")
    mine = claim_for(exporter_of(startup_a, contact_mobile="+919811100000"))
    assert "shared_contact" in kinds(mine)
    assert "contact mobile +919811100000 is also on Surat Silk LLP" in texts(mine, "shared_contact")


def test_one_email_in_any_case_on_exporters_of_two_firms_is_a_signal(startup_a):
    exporter_of(None, contact_email="Desk@Agent.example")
    mine = claim_for(exporter_of(startup_a, contact_email="desk@agent.example"))
    assert "shared_contact" in kinds(mine)


def test_one_contact_on_two_registrations_of_the_same_firm_is_no_signal(startup_a):
    mine = exporter_of(startup_a, contact_mobile="+919822200000", state="27")
    exporter_of(None, contact_mobile="+919822200000", state="24", pan=mine.pan)  # the firm's GSTIN in Gujarat
    assert "shared_contact" not in kinds(claim_for(mine))


# --- A confirmation from the startup's own network --------------------------------------------------


def answered_yes(exporter, startup, network: str, answer: str = Answer.YES) -> ConfirmationRequest:
    now = timezone.now()
    return ConfirmationRequest.objects.create(
        exporter=exporter,
        startup=startup,
        kind=ConfirmationKind.CALL,
        occurred_at=now - timedelta(days=1),
        created_at=now - timedelta(days=1),
        answer=answer,
        answered_at=now,
        first_answered_at=now,
        answered_network=network,
    )


def test_a_yes_from_a_network_a_user_of_the_startup_signed_in_from_is_a_signal(startup_a, agent_a):
    exporter = exporter_of(startup_a)
    answered_yes(exporter, startup_a, "203.0.113.0/24")
    SignIn.objects.create(user=agent_a, startup=startup_a, at=timezone.now(), network="203.0.113.0/24")
    mine = claim_for(exporter, code="contacted")
    assert "startup_network" in kinds(mine)
    assert "came from network 203.0.113.0/24, where a user of Alpha signed in" in texts(mine, "startup_network")


def test_a_yes_from_another_startups_network_or_a_no_from_the_startups_is_no_signal(
    startup_a, startup_b, agent_a, manager_b
):
    exporter = exporter_of(startup_a)
    answered_yes(exporter, startup_a, "198.51.100.0/24")
    SignIn.objects.create(user=manager_b, startup=startup_b, at=timezone.now(), network="198.51.100.0/24")
    other = exporter_of(startup_a)
    answered_yes(other, startup_a, "203.0.113.0/24", answer=Answer.NO)
    SignIn.objects.create(user=agent_a, startup=startup_a, at=timezone.now(), network="203.0.113.0/24")
    assert "startup_network" not in kinds(claim_for(exporter, code="contacted"))
    assert "startup_network" not in kinds(claim_for(other, code="contacted"))


# --- Faster than the stage can happen --------------------------------------------------------------


def test_evidence_sent_minutes_after_the_assignment_is_a_signal(startup_a):
    Stage.objects.filter(code="documents_collected").update(earliest_after_minutes=60)
    exporter = exporter_of(startup_a)
    Assignment.objects.filter(exporter=exporter).update(assigned_at=timezone.now() - timedelta(minutes=12))
    mine = claim_for(exporter)
    assert "too_fast" in kinds(mine)
    assert "Sent 12 minutes after the exporter was assigned" in texts(mine, "too_fast")
    assert "takes at least 1 hour" in texts(mine, "too_fast")


def test_evidence_sent_minutes_after_the_previous_stage_was_approved_is_a_signal(startup_a):
    Stage.objects.filter(code="account_created").update(earliest_after_minutes=30)
    exporter = exporter_of(startup_a)
    Assignment.objects.filter(exporter=exporter).update(assigned_at=timezone.now() - timedelta(days=20))
    previous = claim_for(exporter, status=StageEventStatus.APPROVED, minutes_ago=600)
    StageEvent.objects.filter(pk=previous.pk).update(reviewed_at=timezone.now() - timedelta(minutes=5))
    mine = claim_for(exporter, code="account_created", evidence_reference="M-1")
    assert "after the previous stage was approved" in texts(mine, "too_fast")


def test_evidence_sent_after_the_stages_least_time_or_for_a_stage_without_one_is_no_signal(startup_a):
    Stage.objects.filter(code="documents_collected").update(earliest_after_minutes=60)
    Stage.objects.filter(code="contacted").update(earliest_after_minutes=0)
    patient = exporter_of(startup_a)
    Assignment.objects.filter(exporter=patient).update(assigned_at=timezone.now() - timedelta(hours=2))
    quick = exporter_of(startup_a)
    assert "too_fast" not in kinds(claim_for(patient)) | kinds(claim_for(quick, code="contacted"))


# --- Bursts of claims --------------------------------------------------------------------------------


def test_more_claims_than_the_burst_limit_within_an_hour_is_a_signal(startup_a):
    exporter = exporter_of(startup_a)
    claims = [claim_for(exporter, minutes_ago=2 * n, status="rejected") for n in range(BURST_CLAIMS)]
    latest = claim_for(exporter_of(startup_a), minutes_ago=0)
    first = StageEvent.objects.filter(pk=claims[-1].pk)
    first.update(status=StageEventStatus.SUBMITTED)
    assert "burst" in kinds(latest) and "burst" in kinds(first.get())
    assert f"Alpha sent {BURST_CLAIMS + 1} claims within the hour before this one" in texts(latest, "burst")


def test_the_burst_limit_itself_or_claims_spread_over_hours_or_startups_is_no_signal(startup_a, startup_b):
    exporter = exporter_of(startup_a)
    for n in range(BURST_CLAIMS - 1):
        claim_for(exporter, minutes_ago=2 * n, status="rejected")
    for n in range(5):
        claim_for(exporter, minutes_ago=120 + n, status="rejected")
        claim_for(exporter, startup=startup_b, minutes_ago=n, status="rejected")
    latest = claim_for(exporter_of(startup_a))
    assert "burst" not in kinds(latest)


# --- The card, the filter and the list -----------------------------------------------------------------


def test_an_open_dispute_about_the_claiming_startup_is_a_signal_until_resolved(officer, startup_a, startup_b):
    exporter = exporter_of(startup_a)
    waiting = claim_for(exporter)
    said_no = ConfirmationRequest.objects.create(
        exporter=exporter,
        startup=startup_a,
        kind="no_contact",
        answer=Answer.NO,
        occurred_at=timezone.now(),
        created_at=timezone.now(),
    )
    dispute = dispute_open(confirmation=said_no)
    assert "open_dispute" in kinds(waiting)
    assert "nobody from Alpha has contacted them" in texts(waiting, "open_dispute")
    other_startups = claim_for(exporter_of(startup_b))
    assert "open_dispute" not in kinds(other_startups)
    dispute_resolve(actor=officer, dispute=dispute, note="Called: they were contacted")
    assert "open_dispute" not in kinds(waiting)


def test_a_signal_is_explained_on_the_claims_review_card(client_for, officer, startup_a):
    claim_for(exporter_of(startup_a, legal_name="Kanpur Leather LLP"), evidence_sha256=DIGEST)
    claim_for(exporter_of(startup_a), evidence_sha256=DIGEST, evidence_file_name="gst.pdf")
    page = client_for(officer).get(QUEUE).content.decode()
    assert "Check before deciding" in page
    assert "Same file as another claim:" in page and "the same file as in" in page
    assert "nothing is refused because of them" in page


def test_the_queue_filters_claims_with_any_signal_or_one_kind(client_for, officer, startup_a):
    Stage.objects.update(earliest_after_minutes=0)
    twin_a = claim_for(exporter_of(startup_a), evidence_sha256=DIGEST)
    twin_b = claim_for(exporter_of(startup_a), code="storefront_live", evidence_sha256=DIGEST)
    first = claim_for(exporter_of(startup_a), code="account_created", evidence_reference="X")
    linked = claim_for(exporter_of(startup_a), code="account_created", evidence_reference="x")
    claim_for(exporter_of(startup_a))  # nothing odd
    client = client_for(officer)
    with_any = client.get(QUEUE, {"signal": "any"}).context["events"]
    assert {e.pk for e in with_any} == {twin_a.pk, twin_b.pk, first.pk, linked.pk}
    same_file = client.get(QUEUE, {"signal": "same_file", "stage": stage("storefront_live").pk})
    assert [e.pk for e in same_file.context["events"]] == [twin_b.pk]
    junk = client.get(QUEUE, {"signal": "everything"})
    assert junk.status_code == 200 and junk.context["filter"].form.errors["signal"]
    assert len(junk.context["events"]) == 5


def test_the_list_of_signalled_claims_groups_them_by_signal_for_staff(client_for, officer, startup_a):
    Stage.objects.update(earliest_after_minutes=0)
    twin = claim_for(exporter_of(startup_a), evidence_sha256=DIGEST)
    claim_for(exporter_of(startup_a), evidence_sha256=DIGEST)
    linked = claim_for(exporter_of(startup_a), code="first_order", evidence_reference="ORD-1")
    claim_for(exporter_of(startup_a), code="first_order", evidence_reference="ord-1")
    claim_for(exporter_of(startup_a))  # nothing odd
    client = client_for(officer)
    everything = client.get(SIGNALS_PAGE)
    assert everything.context["total"] == 4
    assert {s.code: n for s, n in everything.context["signals"]}["same_file"] == 2
    page = everything.content.decode()
    assert "Link or reference claimed twice (2)" in page and "What each signal means" in page
    files_only = client.get(SIGNALS_PAGE, {"kind": "same_file"}).context["page"].object_list
    assert twin in files_only and linked not in files_only
    assert reverse("onboarding:review-signals") in client.get(QUEUE).content.decode()


def test_startup_users_can_never_open_the_list_nor_filter_the_queue_by_signal(
    client_for, agent_a, manager_b, startup_a
):
    """The adversaries: a startup's agent and another startup's manager."""
    mine = claim_for(exporter_of(startup_a), evidence_sha256=DIGEST)
    claim_for(exporter_of(startup_a), evidence_sha256=DIGEST)
    for user in (agent_a, manager_b):
        client = client_for(user)
        assert client.get(SIGNALS_PAGE).status_code in (403, 404)
        assert client.get(SIGNALS_PAGE, {"kind": "same_file"}).status_code in (403, 404)
        assert client.get(QUEUE, {"signal": "any"}).status_code in (403, 404)
    # Nor on the startup's own pages about the claim's exporter.
    client = client_for(agent_a)
    for url in (reverse("onboarding:home"), mine.exporter.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "Check before deciding" not in page and "Same file as another claim" not in page


def some_claims(startup, count: int) -> None:
    """`count` claims, each raising every signal that hand-built data can raise cheaply."""
    for _ in range(count):
        exporter = exporter_of(startup, contact_mobile="+919800000001")
        claim_for(exporter, evidence_sha256=DIGEST, evidence_url="https://x.example/")


def queries_for(client, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_queue_and_the_list_ask_as_many_queries_for_three_claims_as_for_twenty(client_for, officer, startup_a):
    client = client_for(officer)
    some_claims(startup_a, 3)
    client.get(QUEUE)  # warm: the session and the stage choices are read alike each time
    pages = [(QUEUE, {}), (QUEUE, {"signal": "any"}), (SIGNALS_PAGE, {})]
    few = [queries_for(client, url, params) for url, params in pages]
    some_claims(startup_a, 17)
    many = [queries_for(client, url, params) for url, params in pages]
    assert few == many


# --- Where answers and sign-ins come from --------------------------------------------------------------


def test_an_answer_records_the_network_and_browser_it_came_from_and_staff_see_them_on_the_timeline(
    client, officer, agent_a, exporter_a
):
    logged = activity_log(
        actor=agent_a, exporter=exporter_a, kind="visit", occurred_at=timezone.now(), note="Met", outcome="reached"
    )
    question = logged.confirmations.get()
    url = reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter_a).token()])
    browser = "Mozilla/5.0 (Linux; Android 14) " + "x" * 300
    data = {"action": "answer", "question": question.pk, "answer": "yes"}
    client.post(url, data, REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT=browser)
    question.refresh_from_db()
    assert question.answered_network == "203.0.113.0/24"
    assert question.answered_user_agent == browser[:200]
    staff_view = " ".join(entry.detail for entry in exporter_timeline(exporter_a, officer))
    assert "From addresses 203.0.113.x with Mozilla/5.0 (Linux; Android 14)" in staff_view
    startup_view = " ".join(entry.detail for entry in exporter_timeline(exporter_a, agent_a))
    assert "203.0.113" not in startup_view and "Mozilla" not in startup_view


def test_nobody_has_contacted_me_records_the_network_and_browser_it_came_from(client, exporter_a):
    url = reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=exporter_a).token()])
    client.post(url, {"action": "no_contact"}, REMOTE_ADDR="2001:db8:1234:5678::1", HTTP_USER_AGENT="Feature phone")
    flag = ConfirmationRequest.objects.get(kind=ConfirmationKind.NO_CONTACT)
    assert (flag.answered_network, flag.answered_user_agent) == ("2001:db8:1234::/48", "Feature phone")


def test_a_startup_users_sign_in_records_its_network_and_startup_and_a_staff_sign_in_does_not(
    client, agent_a, officer, startup_a
):
    client.post(reverse("login"), {"username": agent_a.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.23")
    client.logout()
    client.post(reverse("login"), {"username": officer.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.24")
    [signed] = SignIn.objects.all()
    assert (signed.user, signed.startup, signed.network) == (agent_a, startup_a, "198.51.100.0/24")
    assert timezone.now() - signed.at < timedelta(minutes=1)


# --- File digests ----------------------------------------------------------------------------------------


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_a_claims_files_are_stored_with_their_sha256_and_a_resubmission_keeps_them(agent_a, officer, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="contacted")
    cover, iec = b"%PDF-1.4 covering letter", b"%PDF-1.4 IEC certificate"
    checklist = {
        "gst_certificate": upload("gst.pdf", b"%PDF-1.4 GST certificate"),
        "iec_certificate": upload("iec.pdf", iec),
        "bank_proof": upload("bank.pdf", b"%PDF-1.4 bank letter"),
        "catalogue": upload("catalogue.pdf", b"%PDF-1.4 catalogue"),
    }
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("documents_collected"),
        evidence={"note": "All four", "evidence_file": upload("cover.pdf", cover)},
        checklist=checklist,
    )
    assert event.evidence_sha256 == hashlib.sha256(cover).hexdigest()
    assert event.documents.get(kind="iec_certificate").sha256 == hashlib.sha256(iec).hexdigest()
    StageEvent.objects.filter(pk=event.pk).update(status=StageEventStatus.REJECTED, review_note="Blurred")
    again = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("documents_collected"),
        evidence={"note": "Again"},
        reuse_from=StageEvent.objects.get(pk=event.pk),
    )
    assert again.evidence_sha256 == event.evidence_sha256
    assert again.documents.get(kind="iec_certificate").sha256 == hashlib.sha256(iec).hexdigest()


def test_the_backfill_command_hashes_stored_files_once_and_counts_missing_ones(startup_a, settings):
    exporter = exporter_of(startup_a)
    data = b"%PDF-1.4 catalogue"
    event = claim_for(exporter, evidence_file=upload("catalogue.pdf", data))
    StageEvent.objects.filter(pk=event.pk).update(evidence_sha256="")
    document = EvidenceDocument.objects.create(event=event, file=upload("bank.pdf", b"%PDF bank"), file_name_kept="b")
    EvidenceDocument.objects.create(event=event, file="evidence/gone.pdf", file_name_kept="gone.pdf")
    call_command("backfill_evidence_hashes", stdout=(out := io.StringIO()))
    event.refresh_from_db()
    document.refresh_from_db()
    assert event.evidence_sha256 == hashlib.sha256(data).hexdigest()
    assert document.sha256 == hashlib.sha256(b"%PDF bank").hexdigest()
    assert "claims: 1 hashed" in out.getvalue()
    assert "documents: 1 hashed, 1 files missing from storage" in out.getvalue()
    call_command("backfill_evidence_hashes", stdout=(again := io.StringIO()))
    assert "claims: 0 hashed" in again.getvalue() and "documents: 0 hashed" in again.getvalue()


def test_every_signal_in_the_registry_has_words_for_officers():
    assert len({s.code for s in SIGNALS}) == len(SIGNALS)
    assert all(s.label and s.meaning.endswith(".") for s in SIGNALS)


def test_an_admin_sets_a_stages_least_time_and_an_empty_box_means_no_minimum(client_for, admin_user):
    admin_client = client_for(admin_user)
    documents = stage("documents_collected")
    page = reverse("admin:onboarding_stage_change", args=[documents.pk])
    data = {
        "name": documents.name,
        "order": documents.order,
        "sla_days": documents.sla_days,
        "description": documents.description,
        "evidence_fields": list(documents.evidence_fields),
        "earliest_after_minutes": 90,
    }
    assert admin_client.post(page, data).status_code == 302
    documents.refresh_from_db()
    assert documents.earliest_after_minutes == 90
    assert admin_client.post(page, {**data, "earliest_after_minutes": ""}).status_code == 302
    documents.refresh_from_db()
    assert documents.earliest_after_minutes == 0
    refused = admin_client.post(page, {**data, "earliest_after_minutes": -5})
    assert "earliest_after_minutes" in refused.context["adminform"].form.errors
