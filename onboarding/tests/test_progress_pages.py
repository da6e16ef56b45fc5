"""Progress pages: scoping, query counts, the board and the startup home."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ..models import Activity, StageEvent
from ..services.progress import activity_log, stage_event_submit
from ..services.summary import summary_refresh
from .factories import ExporterFactory, assign, checklist_files, commission_rule, stage

# Every exporter-scoped page and action of the progress work, GET or POST.
EXPORTER_URLS = [
    ("get", "onboarding:exporter-detail"),
    ("get", "onboarding:exporter-log-work"),
    ("post", "onboarding:exporter-log-work"),
    ("get", "onboarding:exporter-submit-stage"),
    ("post", "onboarding:exporter-submit-stage"),
]


@pytest.mark.parametrize(("method", "name"), EXPORTER_URLS)
def test_other_startups_exporter_is_404_on_every_progress_url(client_for, manager_b, exporter_a, method, name):
    client = client_for(manager_b)
    response = getattr(client, method)(
        reverse(name, args=[exporter_a.pk]), {"kind": "call", "outcome": "reached", "note": "x"}
    )
    assert response.status_code == 404
    assert not Activity.objects.exists() and not StageEvent.objects.exists()


@pytest.mark.parametrize(
    "name", ["onboarding:exporter-set-stage", "onboarding:review-approve", "onboarding:review-reject"]
)
def test_other_startups_objects_are_404_on_staff_progress_actions(client_for, manager_b, agent_a, exporter_a, name):
    exporter_a.current_stage = stage("contacted")
    exporter_a.save()
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter_a,
        stage=stage("documents_collected"),
        evidence={"note": "x"},
        checklist=checklist_files("documents_collected"),
    )
    pk = exporter_a.pk if name == "onboarding:exporter-set-stage" else event.pk
    data = {"stage": stage("first_order").pk, "reason": "x", "note": "x"}
    response = client_for(manager_b).post(reverse(name, args=[pk]), data)
    event.refresh_from_db()
    exporter_a.refresh_from_db()
    assert (event.status, exporter_a.current_stage.code) == ("submitted", "contacted")
    assert response.status_code == 404


def test_other_startups_evidence_and_work_never_show(client_for, agent_a, manager_b, exporter_a, exporter_b, startup_b):
    activity_log(
        actor=agent_a,
        exporter=exporter_a,
        kind="call",
        occurred_at=timezone.now(),
        note="Secret A note",
        outcome="reached",
    )
    client = client_for(manager_b)
    for name in ("onboarding:activity-list", "onboarding:board", "onboarding:home", "onboarding:commission-list"):
        page = client.get(reverse(name)).content.decode()
        assert "Secret A note" not in page and exporter_a.legal_name not in page, name


def test_startups_cannot_open_staff_progress_actions(client_for, manager_a, exporter_a):
    client = client_for(manager_a)
    assert client.post(reverse("onboarding:exporter-set-stage", args=[exporter_a.pk])).status_code == 403
    assert client.get(reverse("onboarding:commission-rules")).status_code == 403
    assert client.get(reverse("onboarding:board"), {"startup": exporter_a.startup_id}).status_code == 200


def make_pipeline(startup, agent, rows):
    for i in range(rows):
        exporter = assign(
            ExporterFactory(), startup, stage_code="membership_active", entered=timezone.now() - timedelta(days=i % 40)
        )
        activity_log(actor=agent, exporter=exporter, kind="training", occurred_at=timezone.now(), note=f"n{i}")
        if i % 2:
            stage_event_submit(
                actor=agent,
                exporter=exporter,
                stage=stage("storefront_live"),
                evidence={"evidence_url": "https://a.example/"},
            )


@pytest.mark.parametrize("rows", [4, 30])
def test_startup_home_query_count_is_constant(
    client_for, manager_a, agent_a, startup_a, django_assert_num_queries, rows
):
    make_pipeline(startup_a, agent_a, rows)
    client = client_for(manager_a)
    # session, user, membership, stages, counts, waiting count, rejections (the newest 60, then
    # whether older ones exist, as fewer than 20 are open), page count, rows, the startup's recently
    # withdrawn claims, the exporters' recent flags, the bell's unread count
    with django_assert_num_queries(13):
        response = client.get(reverse("onboarding:home"))
    assert response.context["counts"]["assigned"] == rows


@pytest.mark.parametrize("rows", [4, 30])
def test_review_queue_query_count_is_constant(client_for, officer, agent_a, startup_a, django_assert_num_queries, rows):
    make_pipeline(startup_a, agent_a, rows)
    client = client_for(officer)
    # session, user, the stage filter's choices, count (also the review badge's, unfiltered), page
    # rows, the exporters' answers on the page's claims, the open disputes holding them (read once,
    # for the cards and their signal), the open disputes' count, the officer's decisions still
    # undoable, the bell's unread count, the claims' further documents; then the other fraud
    # signals of the page's claims (reports/fraud_signals.py: a query or two each, whatever the
    # number of claims; shared links: the matches as ids, then the claims its explanations name)
    with django_assert_num_queries(19):
        response = client.get(reverse("onboarding:review-queue"))
    assert len(response.context["page"].object_list) == min(rows // 2, 25)


@pytest.mark.parametrize("rows", [4, 30])
def test_board_query_count_is_constant(
    client_for, officer, manager_a, agent_a, startup_a, django_assert_num_queries, rows
):
    make_pipeline(startup_a, agent_a, rows)
    summary_refresh()  # what the worker does on commit: the whole programme's counts come from it
    client = client_for(officer)
    # session, user, stages, the summary's counts, cards of each non-empty column (one here), review badge
    with django_assert_num_queries(7):  # + the bell's unread count
        staff_board = client.get(reverse("onboarding:board"))
    column = next(c for c in staff_board.context["columns"] if c["stage"].code == "membership_active")
    assert column["count"] == rows and len(column["cards"]) == min(rows, 12)
    client = client_for(manager_a)
    # session, user, membership, stages, counts, one column's cards, the agent filter's choices
    # (+ the bell's unread count)
    with django_assert_num_queries(8):
        client.get(reverse("onboarding:board"))


@pytest.mark.parametrize("rows", [4, 30])
def test_statement_query_count_is_constant(
    client_for, officer, admin_user, agent_a, startup_a, django_assert_num_queries, rows
):
    from ..services.progress import stage_event_approve

    commission_rule("storefront_live")
    make_pipeline(startup_a, agent_a, rows)
    for event in StageEvent.objects.filter(status="submitted"):
        stage_event_approve(actor=officer, event=event)
    client = client_for(admin_user)
    # session, user, the authenticator that verified the session, count, rows, totals, review badge
    with django_assert_num_queries(8):  # + the bell's unread count
        response = client.get(reverse("onboarding:commission-list"))
    assert len(response.context["page"].object_list) == rows // 2
    # The rows read only what they show (ROW_FIELDS): each part is on the page from that one read.
    first = response.context["page"].object_list[0]
    page = response.content.decode()
    for shown in (first.exporter, first.startup, first.stage, "Accrued", "Approve"):
        assert escape(str(shown)) in page
    assert first.exporter.get_absolute_url() in page


@pytest.mark.parametrize("rows", [4, 30])
def test_activity_list_query_count_is_constant(
    client_for, manager_a, agent_a, startup_a, django_assert_num_queries, rows
):
    make_pipeline(startup_a, agent_a, rows)
    client = client_for(manager_a)
    with django_assert_num_queries(
        7
    ):  # session, user, membership, count, rows, team filter (the picker asks later) (+ the bell's unread count)
        response = client.get(reverse("onboarding:activity-list"))
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("who", ["officer", "manager_a"])
def test_a_work_log_entry_shows_all_it_has_from_the_one_read_of_the_page(
    request, client_for, agent_a, exporter_a, django_assert_num_queries, who
):
    """The page reads only what an entry shows (ACTIVITY_ROW_FIELDS): a field left out would
    cost a query per entry, and the count below would grow."""
    agent_a.first_name, agent_a.last_name = "Asha", "Rao"
    agent_a.save()
    for i in range(3):
        activity_log(
            actor=agent_a,
            exporter=exporter_a,
            kind="call",
            occurred_at=timezone.now() - timedelta(hours=i + 1),
            duration_minutes=25,
            note=f"Talked through the listing {i}",
            outcome="reached",
            attachment=SimpleUploadedFile(f"call-notes-{i}.docx", b"PK\x03\x04" + b"\x00" * 32),
        )
    client = client_for(request.getfixturevalue(who))
    # session, user, membership (a startup's) or nothing more (staff), count, rows, the filter's
    # people (+ the bell's unread count)
    with django_assert_num_queries(7 if who == "manager_a" else 6):
        page = client.get(reverse("onboarding:activity-list")).content.decode()
    entry = Activity.objects.filter(note="Talked through the listing 0").get()
    assert page.count("Talked through the listing") == 3 and page.count("25 min") == 3
    assert "Asha Rao" in page and "Reached" in page and "call-notes-0.docx" in page and entry.download_url in page
    assert escape(str(exporter_a)) in page and exporter_a.get_absolute_url() in page
    whose = f'<span class="text-muted small">· {escape(str(exporter_a.startup))}</span>'
    assert (whose in page) == (who == "officer")  # staff see whose work it is


def test_startup_home_orders_stalled_first_and_shows_sla_and_next_stage(client_for, manager_a, startup_a):
    fresh = assign(ExporterFactory(legal_name="Fresh LLP"), startup_a, stage_code="contacted")
    stalled = assign(
        ExporterFactory(legal_name="Stalled LLP"),
        startup_a,
        stage_code="contacted",
        entered=timezone.now() - timedelta(days=9),
    )
    older_ok = assign(
        ExporterFactory(legal_name="Older LLP"),
        startup_a,
        stage_code="first_inquiry",
        entered=timezone.now() - timedelta(days=20),
    )
    response = client_for(manager_a).get(reverse("onboarding:home"))
    rows = response.context["page"].object_list
    assert [e.legal_name for e in rows] == [stalled.legal_name, older_ok.legal_name, fresh.legal_name]
    assert rows[0].sla_state == "warning" and rows[2].sla_state == "light"  # colour for the stalled only
    assert rows[0].upcoming.code == "documents_collected"
    assert response.context["counts"]["stalled"] == 1
    assert "day 9 of 7 · stalled" in response.content.decode()


def test_work_log_filters_by_startup_agent_kind_and_date(
    client_for, officer, agent_a, manager_a, exporter_a, exporter_b, startup_a
):
    from ..models.startups import MemberRole
    from .factories import MemberFactory

    agent_b = MemberFactory(startup=exporter_b.startup, role=MemberRole.AGENT).user
    now = timezone.now()
    activity_log(actor=agent_a, exporter=exporter_a, kind="call", occurred_at=now, note="A call", outcome="reached")
    activity_log(
        actor=manager_a,
        exporter=exporter_a,
        kind="visit",
        occurred_at=now - timedelta(days=10),
        note="A visit",
        outcome="reached",
    )
    activity_log(actor=agent_b, exporter=exporter_b, kind="call", occurred_at=now, note="B call", outcome="reached")
    client = client_for(officer)

    def notes(**params):
        return sorted(a.note for a in client.get(reverse("onboarding:activity-list"), params).context["page"])

    assert notes() == ["A call", "A visit", "B call"]
    assert notes(startup=startup_a.pk) == ["A call", "A visit"]
    assert notes(startup=startup_a.pk, user=manager_a.pk) == ["A visit"]
    assert notes(kind="call") == ["A call", "B call"]
    assert notes(since=(now - timedelta(days=2)).date().isoformat()) == ["A call", "B call"]


def test_the_exporter_picker_is_a_labelled_type_ahead_over_the_startups_own(
    client_for, manager_a, startup_a, exporter_b
):
    exporter = assign(ExporterFactory(legal_name="Rao & <Sons> LLP"), startup_a)
    client = client_for(manager_a)
    page = client.get(reverse("onboarding:activity-list")).content.decode()
    assert re.search(r'<label\s+for="id_exporter_search"', page)
    assert '<select name="exporter"' not in page  # a type-ahead, not a list of every exporter
    labels = client.get(reverse("onboarding:exporter-lookup"), {"q": "rao"}).json()["results"]
    assert labels == [{"id": exporter.pk, "label": f"Rao & <Sons> LLP · {exporter.gstin}"}]
    assert exporter_b.legal_name not in page


def test_staff_find_a_startups_commissions_by_typing_its_name(client_for, admin_user, startup_a, startup_b):
    commission_rule("storefront_live")
    client = client_for(admin_user)
    url = reverse("onboarding:commission-list")
    typed = client.get(url, {"startup_name": startup_a.brand_name[:5]})
    assert typed.status_code == 200 and typed.context["startup"] is None
    picked = client.get(url, {"startup": startup_a.pk})
    html = picked.content.decode()
    assert picked.context["startup"] == startup_a and f'value="{startup_a}"' in html
    # The field still shows the picked startup: the id holds; typing another name replaces it.
    assert client.get(url, {"startup": startup_a.pk, "startup_name": str(startup_a)}).context["startup"] == startup_a
    other = client.get(url, {"startup": startup_a.pk, "startup_name": str(startup_b)})
    assert other.context["startup"] is None
