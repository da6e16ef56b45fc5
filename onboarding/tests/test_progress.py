"""The work log, milestone evidence and its review."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ..models import Activity, Commission, Stage, StageEvent
from ..services.progress import activity_log, stage_event_approve, stage_event_submit
from .factories import ExporterFactory, assign, commission_rule, stage


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def log_work(client, exporter, **data):
    payload = {
        "kind": "call",
        "outcome": "reached",
        "occurred_at": local(timezone.now()),
        "duration_minutes": "15",
        "note": "Spoke to owner",
    }
    payload.update(data)
    return client.post(reverse("onboarding:exporter-log-work", args=[exporter.pk]), payload)


def test_without_required_confirmation_a_reached_call_approves_first_contact_automatically(
    auto_contact, client_for, agent_a, exporter_a
):
    response = log_work(client_for(agent_a), exporter_a)
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (activity.user, activity.startup, activity.kind) == (agent_a, exporter_a.startup, "call")
    exporter_a.refresh_from_db()
    assert exporter_a.last_activity_at == activity.occurred_at
    assert exporter_a.current_stage.code == "contacted"
    event = StageEvent.objects.get(stage__code="contacted")
    assert event.status == "approved" and event.submitted_by == agent_a


def test_training_does_not_count_as_contact(client_for, agent_a, exporter_a):
    log_work(client_for(agent_a), exporter_a, kind="training")
    exporter_a.refresh_from_db()
    assert exporter_a.current_stage.code == "assigned"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "future"),
        # Plain words that say what to type (issue 30), not Django's defaults.
        ({"occurred_at": "yesterday"}, "occurred_at", "Enter when as a date and time, like 2026-11-30 14:05"),
        ({"kind": "gossip"}, "kind", "Choose an answer to “What did you do?” from the list"),
        ({"duration_minutes": "-5"}, "duration_minutes", "Minutes must be between 1 and 1,440"),
        ({"attachment": SimpleUploadedFile("payload.exe", b"MZ\x90\x00")}, "attachment", "not one"),
        ({"attachment": SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a jpeg")}, "attachment", "not a real .jpg"),
        ({"attachment": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024 + 1))}, "attachment", "5 MB"),
    ],
)
def test_bad_work_log_input_gets_a_field_message_and_saves_nothing(
    client_for, agent_a, exporter_a, data, field, message
):
    response = log_work(client_for(agent_a), exporter_a, **data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Activity.objects.exists()


def test_an_attachment_that_is_what_it_says_is_kept(client_for, agent_a, exporter_a):
    log_work(
        client_for(agent_a), exporter_a, kind="documents", attachment=SimpleUploadedFile("gst.pdf", b"%PDF-1.7 ok")
    )
    assert Activity.objects.get().attachment.name.endswith(".pdf")


def test_startup_users_log_work_from_the_work_log_page_for_their_own_exporters_only(
    client_for, manager_a, exporter_a, exporter_b
):
    client = client_for(manager_a)
    data = {"kind": "visit", "outcome": "reached", "occurred_at": local(timezone.now()), "note": "Factory visit"}
    stolen = {"exporter": exporter_b.pk, "exporter_search": exporter_b.legal_name}
    response = client.post(reverse("onboarding:activity-list"), {**data, **stolen})
    assert "No exporter of yours matches" in response.context["form"].errors["exporter_search"][0]
    own = {"exporter": exporter_a.pk, "exporter_search": exporter_a.legal_name}
    client.post(reverse("onboarding:activity-list"), {**data, **own})
    assert list(Activity.objects.values_list("exporter", flat=True)) == [exporter_a.pk]


def test_the_blank_log_work_form_is_kept_for_its_minute_and_language_never_a_refused_one(
    client_for, manager_a, manager_b, exporter_a
):
    """The work log keeps its blank "Log work" form written (the template's fragment cache, keyed
    on the language and the form's "When", a minute): a later minute, another language or a
    refused form is written afresh, and another startup's manager gets the same blank form."""

    def when(client):
        page = client.get(reverse("onboarding:activity-list")).content.decode()
        form = re.search(r'<form method="post" enctype="multipart/form-data".*?</form>', page, re.S)[0]
        form = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", form)
        return re.search(r'name="occurred_at" value="([^"]*)"', form)[1], form

    start = timezone.now().replace(second=10, microsecond=0)
    with time_machine.travel(start, tick=False):
        first, form = when(client_for(manager_b))
        assert first == local(start) and "What did you do?" in form
    client = client_for(manager_a)  # the same test client, signed in as manager_a from now on
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        assert when(client) == (first, form)
        kept = client.get(reverse("onboarding:activity-list"))
        assert not [t.name for t in kept.templates if t.name.startswith("bootstrap5/")]  # not written again
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert when(client)[0] == local(start + timedelta(minutes=1))
        manager_a.language = "hi"
        manager_a.save(update_fields=["language"])
        _value, form = when(client)
        assert "What did you do?" not in form and any("\u0900" <= c <= "\u097f" for c in form)
        manager_a.language = "en"
        manager_a.save(update_fields=["language"])
        refused = client.post(reverse("onboarding:activity-list"), {"kind": "gossip", "exporter": exporter_a.pk})
        assert "from the list" in refused.content.decode() and not Activity.objects.exists()
        assert "from the list" not in when(client)[1]


def submit(client, exporter, **evidence):
    return client.post(reverse("onboarding:exporter-submit-stage", args=[exporter.pk]), evidence)


def test_evidence_is_required_per_stage(client_for, agent_a, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    response = submit(client_for(agent_a), exporter, note="Storefront is up")
    assert response.context["stage"].code == "storefront_live"
    assert response.context["form"].errors["evidence_url"][0] == "Enter the link (URL)"  # plain words (issue 30)
    assert not StageEvent.objects.exists()
    submit(client_for(agent_a), exporter, evidence_url="https://acme.en.alibaba.com/")
    assert StageEvent.objects.get().status == "submitted"


def test_products_listed_needs_at_least_ten_products(client_for, agent_a, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="storefront_live")
    response = submit(client_for(agent_a), exporter, evidence_number="4", evidence_url="https://x.example/p/1")
    assert "at least 10" in response.context["form"].errors["evidence_number"][0]
    assert not StageEvent.objects.exists()


def test_a_second_claim_while_one_waits_is_refused(agent_a, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    with pytest.raises(ValidationError, match="already waiting"):
        stage_event_submit(
            actor=agent_a,
            exporter=exporter,
            stage=stage("storefront_live"),
            evidence={"evidence_url": "https://a.example/"},
        )


def test_stages_cannot_be_skipped(agent_a, exporter_a):
    with pytest.raises(ValidationError, match="next stage"):
        stage_event_submit(actor=agent_a, exporter=exporter_a, stage=stage("first_order"), evidence={})


def test_officer_approves_evidence_stage_advances_and_commission_accrues(client_for, agent_a, officer, startup_a):
    commission_rule("storefront_live", "2000.00")
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    submit(client_for(agent_a), exporter, evidence_url="https://acme.en.alibaba.com/")
    event = StageEvent.objects.get()
    client = client_for(officer)
    assert "acme.en.alibaba.com" in client.get(reverse("onboarding:review-queue")).content.decode()
    response = client.post(reverse("onboarding:review-approve", args=[event.pk]), {"note": "Looks good"}, follow=True)
    assert "Approved" in response.content.decode()
    exporter.refresh_from_db()
    assert exporter.current_stage.code == "storefront_live"
    assert exporter.storefront_url == "https://acme.en.alibaba.com/"
    assert exporter.stage_entered_at > timezone.now() - timedelta(minutes=1)
    commission = Commission.objects.get()
    assert (commission.startup, commission.amount, commission.status) == (startup_a, 2000, "accrued")
    assert exporter.history.first().history_user == officer


def test_rejection_needs_a_note_and_the_startup_sees_it(client_for, agent_a, manager_a, officer, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    submit(client_for(agent_a), exporter, evidence_url="https://wrong.example/")
    event = StageEvent.objects.get()
    client = client_for(officer)
    client.post(reverse("onboarding:review-reject", args=[event.pk]), {"note": ""})
    event.refresh_from_db()
    assert event.status == "submitted"
    client.post(reverse("onboarding:review-reject", args=[event.pk]), {"note": "This link is not your storefront"})
    event.refresh_from_db()
    assert event.status == "rejected"
    home = client_for(manager_a).get(reverse("onboarding:home"))
    assert "This link is not your storefront" in home.content.decode()
    assert home.context["counts"]["rejected"] == 1
    exporter.refresh_from_db()
    assert exporter.current_stage.code == "membership_active"


@pytest.mark.parametrize("persona", ["manager_a", "agent_a"])
def test_startups_never_review(client_for, request, persona, agent_a, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("onboarding:review-queue")).status_code == 403
    assert client.post(reverse("onboarding:review-approve", args=[event.pk])).status_code == 403
    event.refresh_from_db()
    assert event.status == "submitted"


def test_nobody_approves_their_own_submission(officer, startup_a):
    from django.core.exceptions import PermissionDenied

    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    event = stage_event_submit(
        actor=officer,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    with pytest.raises(PermissionDenied):
        stage_event_approve(actor=officer, event=event)


def test_double_approval_accrues_one_commission(agent_a, officer, admin_user, startup_a):
    commission_rule("storefront_live")
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    stage_event_approve(actor=officer, event=event)
    with pytest.raises(ValidationError, match="already approved"):
        stage_event_approve(actor=admin_user, event=event)
    assert Commission.objects.count() == 1
    assert StageEvent.objects.get().reviewed_by == officer


def test_bulk_approve_from_the_queue(client_for, agent_a, officer, startup_a):
    events = []
    for _ in range(3):
        exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
        events.append(
            stage_event_submit(
                actor=agent_a,
                exporter=exporter,
                stage=stage("storefront_live"),
                evidence={"evidence_url": "https://a.example/"},
            )
        )
    response = client_for(officer).post(
        reverse("onboarding:review-queue"), {"event": [events[0].pk, events[2].pk], "decision": "approve"}, follow=True
    )
    assert "Approved 2 submissions" in response.content.decode()
    assert sorted(StageEvent.objects.values_list("status", flat=True)) == ["approved", "approved", "submitted"]


def test_review_queue_is_oldest_first(client_for, agent_a, officer, startup_a):
    older = assign(ExporterFactory(legal_name="Older LLP"), startup_a, stage_code="membership_active")
    newer = assign(ExporterFactory(legal_name="Newer LLP"), startup_a, stage_code="membership_active")
    for exporter in (newer, older):
        stage_event_submit(
            actor=agent_a,
            exporter=exporter,
            stage=stage("storefront_live"),
            evidence={"evidence_url": "https://a.example/"},
        )
    StageEvent.objects.filter(exporter=older).update(submitted_at=timezone.now() - timedelta(days=3))
    page = client_for(officer).get(reverse("onboarding:review-queue")).context["page"]
    assert [e.exporter.legal_name for e in page] == ["Older LLP", "Newer LLP"]


def test_admin_moves_a_stage_backwards_with_a_reason_officers_cannot(client_for, admin_user, officer, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="storefront_live")
    url = reverse("onboarding:exporter-set-stage", args=[exporter.pk])
    assert client_for(officer).post(url, {"stage": stage("contacted").pk, "reason": "x"}).status_code == 403
    client = client_for(admin_user)
    client.post(url, {"stage": stage("contacted").pk, "reason": ""})
    exporter.refresh_from_db()
    assert exporter.current_stage.code == "storefront_live"
    client.post(url, {"stage": stage("contacted").pk, "reason": "Storefront was taken down"})
    exporter.refresh_from_db()
    assert exporter.current_stage.code == "contacted"
    page = client.get(exporter.get_absolute_url()).content.decode()
    assert "Storefront was taken down" in page


def test_the_admin_s_stage_correction_offers_every_stage_in_order_from_the_page_s_one_read_of_them(
    client_for, admin_user, startup_a
):
    exporter = assign(ExporterFactory(), startup_a, stage_code="contacted")
    with CaptureQueriesContext(connection) as queries:
        response = client_for(admin_user).get(exporter.get_absolute_url())
    form = response.context["set_stage_form"]
    offered = [str(label) for value, label in form.fields["stage"].choices if value != ""]
    assert offered == [s.name for s in Stage.objects.ordered()]
    html = response.content.decode()
    assert all(f'value="{s.pk}"' in html for s in Stage.objects.all())
    # One read of every stage, in order (the record's history may name a stage it changed, by id).
    whole = 'FROM "onboarding_stage" ORDER BY'
    assert sum(whole in q["sql"] for q in queries.captured_queries) == 1


def test_timeline_shows_assignments_work_evidence_reviews_and_changes(client_for, agent_a, officer, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    activity_log(actor=agent_a, exporter=exporter, kind="training", occurred_at=timezone.now(), note="Catalogue photos")
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    stage_event_approve(actor=officer, event=event, note="Verified")
    timeline = client_for(agent_a).get(exporter.get_absolute_url()).context["timeline"]
    titles = [e.title for e in timeline]
    order = [titles.index(t) for t in ("“Storefront live” approved", "Evidence for “Storefront live” submitted")]
    assert order == sorted(order) and titles.index("Training") > order[-1]
    assert any(t.startswith("Assigned to") for t in titles)
    changes = [e for e in timeline if e.changes]
    assert any(name == "Storefront URL" for e in changes for name, _, _ in e.changes)
    assert timeline == sorted(timeline, key=lambda e: e.at, reverse=True)


def test_submitting_evidence_counts_as_work_so_the_exporter_is_not_stalled(agent_a, startup_a):
    exporter = assign(
        ExporterFactory(), startup_a, stage_code="membership_active", entered=timezone.now() - timedelta(days=30)
    )
    from ..models import Exporter

    assert Exporter.objects.stalled(timezone.now()).filter(pk=exporter.pk).exists()
    stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    assert not Exporter.objects.stalled(timezone.now()).filter(pk=exporter.pk).exists()


def test_sent_reminders_appear_on_the_timeline(client_for, officer, exporter_a, manager_a, django_assert_num_queries):
    from ..models import OutboxMessage
    from ..reports.timeline import _reminder_entries

    def sent(kind: str, subject: str, **to) -> OutboxMessage:
        return OutboxMessage.objects.create(
            kind=kind,
            startup=exporter_a.startup,
            period_key="2026-11-30",
            subject=subject,
            status="sent",
            sent_at=timezone.now(),
            exporter_ids=[exporter_a.pk],
            **to,
        )

    reminder = sent("stalled_digest", "2 exporters are stalled", recipient=manager_a)
    timeline = client_for(officer).get(exporter_a.get_absolute_url()).context["timeline"]
    assert any(
        e.title.startswith("Stalled exporters digest sent to") and e.detail == reminder.subject for e in timeline
    )
    sent("exporter_digest", "How is your listing going?", to_exporter=exporter_a)
    with django_assert_num_queries(1):  # the entries read what they show with the reminders themselves
        titles = [entry.title for entry in _reminder_entries(exporter_a, None)]
    assert titles == [
        f"Exporter status message sent to {exporter_a} (exporter)",
        f"Stalled exporters digest sent to {manager_a}",
    ]


def test_a_year_one_date_is_a_field_error_not_a_500(client_for, agent_a, exporter_a):
    response = log_work(client_for(agent_a), exporter_a, occurred_at="0001-01-01T00:00")
    assert "typing mistake" in response.context["form"].errors["occurred_at"][0]
    assert not Activity.objects.exists()


def test_the_stage_message_appears_only_when_the_work_moved_the_stage(auto_contact, client_for, agent_a, exporter_a):
    client = client_for(agent_a)
    url = reverse("onboarding:exporter-log-work", args=[exporter_a.pk])
    data = {"kind": "call", "outcome": "reached", "occurred_at": local(timezone.now()), "note": "x"}
    first = [str(m) for m in client.post(url, data, follow=True).context["messages"]]
    second = [str(m) for m in client.post(url, data, follow=True).context["messages"]]
    assert any("is now at “Contacted”" in m for m in first)
    assert not any("is now at" in m for m in second)
