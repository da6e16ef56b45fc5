"""Every list downloads as CSV and XLSX with its current filters, scoped like the page,
streamed, formula-guarded, in a number of queries that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models.outbox import MessageKind, OutboxMessage
from ..services.progress import activity_log, stage_event_submit
from .downloads import csv_lines, downloaded, xlsx_values
from .factories import ExporterFactory, StartupFactory, assign, checklist_files, commission_rule, stage

HOSTILE = '=HYPERLINK("http://evil.example","click")'


def column(lines: list[list], label: str) -> list:
    header, *rows = lines
    return [row[header.index(label)] for row in rows]


def test_exporter_list_downloads_the_filtered_rows_as_csv_and_xlsx(client_for, officer):
    ExporterFactory(legal_name="Kaveri Spices LLP", state="33")
    ExporterFactory(legal_name="Indus Rugs LLP", state="27")
    client = client_for(officer)
    response = client.get(reverse("onboarding:exporter-list"), {"state": "33", "format": "csv"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="exporters-{today}-state-33.csv"'
    assert column(csv_lines(response), "Legal name") == ["Kaveri Spices LLP"]
    response = client.get(reverse("onboarding:exporter-list"), {"state": "27", "format": "xlsx"})
    lines = xlsx_values(response)
    assert column(lines, "Legal name") == ["Indus Rugs LLP"]
    assert column(lines, "State") == ["Maharashtra"]


def test_an_exporter_named_like_a_formula_downloads_as_inert_text(client_for, officer):
    ExporterFactory(legal_name=HOSTILE, trade_name="@SUM(A1)")
    client = client_for(officer)
    lines = csv_lines(client.get(reverse("onboarding:exporter-list"), {"format": "csv"}))
    assert column(lines, "Legal name") == ["'" + HOSTILE] and column(lines, "Trade name") == ["'@SUM(A1)"]
    response = client.get(reverse("onboarding:exporter-list"), {"format": "xlsx"})
    assert column(xlsx_values(response), "Legal name") == ["'" + HOSTILE]


def test_the_download_follows_the_sort_of_the_page(client_for, officer):
    for name in ("Bharat Jute", "Anand Tea", "Chola Brass"):
        ExporterFactory(legal_name=name)
    client = client_for(officer)
    lines = csv_lines(client.get(reverse("onboarding:exporter-list"), {"sort": "-name", "format": "csv"}))
    assert column(lines, "Legal name") == ["Chola Brass", "Bharat Jute", "Anand Tea"]


@pytest.mark.parametrize("rows", [3, 30])
def test_exporter_download_takes_the_same_queries_for_few_or_many_rows(
    client_for, officer, django_assert_max_num_queries, rows
):
    startup = StartupFactory(capacity=rows)
    for exporter in ExporterFactory.create_batch(rows):
        assign(exporter, startup)
    client = client_for(officer)
    for kind in ("csv", "xlsx"):
        # session, user, the rows (one query, however many)
        with django_assert_max_num_queries(4):
            body = downloaded(client.get(reverse("onboarding:exporter-list"), {"format": kind}))
        assert body


def test_exporter_download_takes_exactly_as_many_queries_for_20_rows_as_for_2(
    client_for, officer, django_assert_max_num_queries, django_assert_num_queries
):
    """Not one query per row or per chunk: the rows come in one query however many there are
    (a 100,000-row export in `manage.py bench` is this path)."""
    startup = StartupFactory(capacity=20)
    client = client_for(officer)
    few = {}
    for exporter in ExporterFactory.create_batch(2):
        assign(exporter, startup)
    for kind in ("csv", "xlsx"):
        with django_assert_max_num_queries(4) as queries:
            downloaded(client.get(reverse("onboarding:exporter-list"), {"format": kind}))
        few[kind] = len(queries)
    for exporter in ExporterFactory.create_batch(18):
        assign(exporter, startup)
    for kind in ("csv", "xlsx"):
        with django_assert_num_queries(few[kind]):
            lines = downloaded(client.get(reverse("onboarding:exporter-list"), {"format": kind}))
        assert lines


def test_an_unknown_download_format_is_a_404_and_junk_sorts_are_ignored(client_for, officer):
    ExporterFactory()
    client = client_for(officer)
    assert client.get(reverse("onboarding:exporter-list"), {"format": "pdf"}).status_code == 404
    for junk in ("password", "-", "--name", "name;drop", "", "pk"):
        response = client.get(reverse("onboarding:exporter-list"), {"sort": junk})
        assert response.status_code == 200 and response.context["sorting"].key == ""


def test_startup_list_downloads_with_its_filters(client_for, officer):
    StartupFactory(legal_name="Ganga Digital Private Limited", brand_name="", status="active")
    StartupFactory(legal_name="Yamuna Labs Private Limited", brand_name="", status="suspended")
    lines = csv_lines(
        client_for(officer).get(reverse("onboarding:startup-list"), {"status": "suspended", "format": "csv"})
    )
    assert column(lines, "Legal name") == ["Yamuna Labs Private Limited"]


@pytest.fixture
def two_logs(agent_a, manager_b, exporter_a, exporter_b):
    now = timezone.now()
    activity_log(
        actor=agent_a, exporter=exporter_a, kind="call", occurred_at=now, note="Alpha's call", outcome="reached"
    )
    activity_log(
        actor=agent_a, exporter=exporter_a, kind="visit", occurred_at=now, note="Alpha's visit", outcome="reached"
    )
    activity_log(
        actor=manager_b, exporter=exporter_b, kind="call", occurred_at=now, note="Beta's call", outcome="reached"
    )


def test_work_log_downloads_with_its_filters(client_for, officer, two_logs):
    lines = csv_lines(client_for(officer).get(reverse("onboarding:activity-list"), {"kind": "call", "format": "csv"}))
    assert sorted(column(lines, "Note")) == ["Alpha's call", "Beta's call"]
    kinds = column(lines, "Kind")
    assert len(set(kinds)) == 1 and kinds[0] != "call"  # the label people read, not the code


def test_a_startup_user_downloads_only_their_own_work_log(client_for, agent_a, two_logs):
    for kind in ("csv", "xlsx"):
        response = client_for(agent_a).get(reverse("onboarding:activity-list"), {"format": kind})
        lines = csv_lines(response) if kind == "csv" else xlsx_values(response)
        assert sorted(column(lines, "Note")) == ["Alpha's call", "Alpha's visit"]


def test_a_startup_user_downloads_only_their_own_commissions(
    auto_contact, client_for, manager_a, agent_a, manager_b, exporter_a, exporter_b
):
    commission_rule("contacted", "500.00")
    activity_log(actor=agent_a, exporter=exporter_a, kind="call", occurred_at=timezone.now(), outcome="reached")
    activity_log(actor=manager_b, exporter=exporter_b, kind="call", occurred_at=timezone.now(), outcome="reached")
    lines = csv_lines(client_for(manager_a).get(reverse("onboarding:commission-list"), {"format": "csv"}))
    assert column(lines, "Exporter") == [exporter_a.legal_name]


def test_commissions_download_by_the_old_export_parameter_and_the_new_format_one(
    auto_contact, client_for, officer, agent_a, exporter_a
):
    commission_rule("contacted", "500.00")
    activity_log(actor=agent_a, exporter=exporter_a, kind="call", occurred_at=timezone.now(), outcome="reached")
    client = client_for(officer)
    old = csv_lines(client.get(reverse("onboarding:commission-list"), {"export": "csv"}))
    new = csv_lines(client.get(reverse("onboarding:commission-list"), {"format": "csv"}))
    assert old == new and column(new, "Exporter") == [exporter_a.legal_name]
    paid = csv_lines(client.get(reverse("onboarding:commission-list"), {"status": "paid", "format": "csv"}))
    assert column(paid, "Exporter") == []


def test_reminders_download_scoped_and_filtered(client_for, officer, manager_a, manager_b, startup_a, startup_b):
    for user, startup, kind in (
        (manager_a, startup_a, MessageKind.STALLED_DIGEST),
        (manager_a, startup_a, MessageKind.WEEKLY_STARTUP),
        (manager_b, startup_b, MessageKind.STALLED_DIGEST),
    ):
        OutboxMessage.objects.create(
            kind=kind, recipient=user, startup=startup, period_key="2026-11-30", subject=str(startup)
        )
    staff = csv_lines(
        client_for(officer).get(reverse("onboarding:outbox"), {"kind": MessageKind.STALLED_DIGEST, "format": "csv"})
    )
    assert sorted(column(staff, "Subject")) == ["Alpha", "Beta"]
    own = csv_lines(client_for(manager_a).get(reverse("onboarding:outbox"), {"format": "csv"}))
    assert column(own, "Subject") == ["Alpha", "Alpha"]


def test_reviews_download_the_waiting_evidence(auto_contact, client_for, officer, agent_a, exporter_a):
    activity_log(
        actor=agent_a, exporter=exporter_a, kind="call", occurred_at=timezone.now(), outcome="reached"
    )  # now "contacted"
    stage_event_submit(
        actor=agent_a,
        exporter=exporter_a,
        stage=stage("documents_collected"),
        evidence={"note": "GST"},
        checklist=checklist_files("documents_collected"),
    )
    lines = csv_lines(client_for(officer).get(reverse("onboarding:review-queue"), {"format": "csv"}))
    assert column(lines, "Exporter") == [exporter_a.legal_name] and column(lines, "Stage") == ["Documents collected"]


def test_the_report_downloads_the_assignment_history(client_for, officer, exporter_a, exporter_b):
    lines = xlsx_values(client_for(officer).get(reverse("onboarding:reports"), {"format": "xlsx"}))
    assert sorted(column(lines, "Exporter")) == sorted([exporter_a.legal_name, exporter_b.legal_name])
    assert set(column(lines, "Startup")) == {"Alpha", "Beta"}


def test_startup_users_cannot_download_staff_lists(client_for, manager_a, exporter_b):
    client = client_for(manager_a)
    for name in ("onboarding:startup-list", "onboarding:review-queue", "onboarding:reports"):
        response = client.get(reverse(name), {"format": "csv"})
        assert response.status_code in (302, 403, 404)
        assert not getattr(response, "streaming", False)
