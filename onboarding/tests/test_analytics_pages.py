"""The analytics pages: who may open them, what a startup sees of others, downloads, bad filters,
constant query counts, and building a monthly pack from the page."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import time_machine
from django.utils import timezone

from ..models import MonthlyReport, OutcomeRefresh, OutcomeSummary
from ..models.outcomes import OUTCOMES_VERSION
from ..services.monthly_reports import monthly_report_build
from ..services.outcomes import outcomes_refresh
from .factories import ExporterFactory, MemberFactory, assign
from .test_outcomes import build_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(db):
    """The hand-built programme of test_outcomes, with its known answers."""
    return build_programme()


STAFF_PAGES = ["/reports/milestones/", "/reports/trends/", "/reports/outcomes/", "/reports/monthly/"]
ALL_PAGES = [*STAFF_PAGES, "/reports/scorecards/"]


@pytest.mark.parametrize("url", ALL_PAGES)
def test_staff_open_each_analytics_page_with_its_as_of_time(client_for, officer, programme, url):
    response = client_for(officer).get(url)
    assert response.status_code == 200
    assert b"Figures as of" in response.content or url.endswith("monthly/")


@pytest.mark.parametrize("url", ["/reports/milestones/", "/reports/scorecards/"])
def test_figures_of_another_version_are_shown_as_not_computed_yet(client_for, officer, programme, url):
    OutcomeRefresh.objects.update(version=OUTCOMES_VERSION - 1)  # stored by older code
    response = client_for(officer).get(url)
    assert b"have not been computed yet" in response.content and b"Figures as of" not in response.content
    OutcomeRefresh.objects.all().delete()
    OutcomeSummary.objects.all().delete()
    never = client_for(officer).get(url)  # the same tables as before any refresh: nothing read
    assert [t.rows for t in response.context["tables"]] == [t.rows for t in never.context["tables"]]


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_a_startup_manager_cannot_open_staff_analytics(client_for, manager_a, url):
    assert client_for(manager_a).get(url).status_code == 403


def test_a_startup_sees_its_own_scorecard_beside_the_median_and_no_other_startup(client_for, programme):
    manager = MemberFactory(startup=programme["beta"]).user
    response = client_for(manager).get("/reports/scorecards/")
    body = response.content.decode()
    assert "Programme median" in body and "Beta" in body
    assert "₹0.00" in body  # commission columns in rupees
    assert "Alpha" not in body
    download = client_for(manager).get("/reports/scorecards/?format=csv").content.decode("utf-8-sig")
    assert "Beta" in download and "Alpha" not in download
    assert [row[0] for row in response.context["tables"][0].rows] == ["Programme median", "Beta"]


def test_staff_sort_the_scorecards_by_a_column(client_for, officer, programme):
    response = client_for(officer).get("/reports/scorecards/?sort=-storefront_pct")
    names = [row[0] for row in response.context["tables"][0].rows]
    assert names == ["Programme median", "Alpha", "Beta"]  # 100% before 66.7%
    response = client_for(officer).get("/reports/scorecards/?sort=storefront_pct")
    assert [row[0] for row in response.context["tables"][0].rows] == ["Programme median", "Beta", "Alpha"]


def test_a_table_downloads_as_csv_with_the_page_filters(client_for, officer, programme):
    response = client_for(officer).get("/reports/milestones/?start=2026-09&end=2026-11&format=csv&table=cohorts")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1] == "Sep 2026,5,4,80.0,20.0,28.0"
    assert lines[2] == "Oct 2026,0,0,,,"


def test_every_table_of_a_page_downloads_as_one_workbook(client_for, officer, programme):
    response = client_for(officer).get("/reports/outcomes/?format=xlsx")
    today = timezone.localdate().isoformat()  # a dated name (issue 30)
    assert response["Content-Disposition"] == f'attachment; filename="export-outcomes-{today}.xlsx"'


def test_an_unknown_table_or_format_is_a_404(client_for, officer, programme):
    client = client_for(officer)
    assert client.get("/reports/trends/?format=csv&table=nope").status_code == 404
    assert client.get("/reports/trends/?format=exe").status_code == 404


def test_bad_filters_are_explained_beside_their_fields_and_the_defaults_shown(client_for, officer, programme):
    response = client_for(officer).get("/reports/milestones/?start=2026-13&end=2026-09&state=27&sector=999999")
    assert response.status_code == 200
    form = response.context["form"]
    assert "YYYY-MM" in form.errors["start"][0] and "sector" in form.errors
    both = client_for(officer).get(f"/reports/trends/?state=27&startup={programme['alpha'].pk}")
    assert "one of state, sector or startup" in both.content.decode()


def test_a_split_by_startup_names_each_startup(client_for, officer, programme):
    response = client_for(officer).get("/reports/milestones/?start=2026-09&end=2026-11&by=startup")
    split = next(t for t in response.context["tables"] if t.slug == "by-startup")
    assert [row[:3] for row in split.rows] == [["Alpha", 3, 3], ["Beta", 3, 2]]


@pytest.mark.parametrize("url", [*ALL_PAGES, "/reports/milestones/?by=startup"])
def test_analytics_pages_run_the_same_queries_with_more_data(
    client_for,
    officer,
    programme,
    url,
    django_assert_max_num_queries,
):
    client = client_for(officer)
    client.get(url)
    with django_assert_max_num_queries(12):
        client.get(url)
    for _ in range(5):
        assign(ExporterFactory(), programme["alpha"])
    outcomes_refresh()
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


@time_machine.travel("2026-12-01 09:00 +0530", tick=False)
def test_an_admin_builds_a_finished_month_from_the_page(
    client_for,
    admin_user,
    programme,
    django_capture_on_commit_callbacks,
):
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/monthly/", {"month": "2026-11"}, follow=True)
    assert "Building the November 2026 report (v1)" in response.content.decode()
    report = MonthlyReport.objects.get()
    assert (report.version, report.built_by) == (1, admin_user)
    download = client.get(f"/reports/monthly/{report.pk}/xlsx/")
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == report.xlsx_sha256


@time_machine.travel("2026-11-30 09:00 +0530", tick=False)
def test_the_current_month_is_refused_beside_the_field_and_nothing_is_built(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post("/reports/monthly/", {"month": "2026-11"})
    assert "is not over yet" in response.content.decode()
    assert response.context["form"].errors["month"]
    assert not MonthlyReport.objects.exists()


@time_machine.travel("2026-12-01 09:00 +0530", tick=False)
def test_an_officer_may_download_packs_but_not_build_them(client_for, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer).post("/reports/monthly/", {"month": "2026-10"})
    assert "Only programme admins" in response.content.decode()
    assert not MonthlyReport.objects.exists()


@time_machine.travel("2026-12-01 09:00 +0530", tick=False)
def test_a_startup_cannot_download_a_pack(client_for, manager_a):
    report = monthly_report_build(month=date(2026, 11, 1), version=1)
    assert client_for(manager_a).get(f"/reports/monthly/{report.pk}/pdf/").status_code == 403


def test_a_pack_that_does_not_exist_or_an_unknown_kind_is_a_404(client_for, officer):
    assert client_for(officer).get("/reports/monthly/999999/xlsx/").status_code == 404
    assert client_for(officer).get("/reports/monthly/999999/exe/").status_code == 404


def test_beat_refreshes_the_figures_every_ten_minutes_and_builds_the_pack_on_the_first(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["outcomes-refresh"]["schedule"] == 600.0
    monthly = schedule["monthly-report"]["schedule"]
    assert (monthly.minute, monthly.hour, monthly.day_of_month) == ({0}, {6}, {1})
