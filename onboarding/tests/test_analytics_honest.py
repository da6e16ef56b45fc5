"""Analytics that look right: every page and the monthly pack, on a fresh install and on a
hand-built programme, show no float's tail (51.349999999999994) and no period still to come;
counts are bars with their running period marked; young cohorts' curves stop at their age;
a manager is never told to run a command, nor "no figures yet" while holding exporters."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
import time_machine
from openpyxl import load_workbook

from ..models import OutcomeRefresh, OutcomeSummary
from ..reports.scorecards import programme_median
from ..services.monthly_reports import monthly_report_build
from .factories import ExporterFactory, assign
from .test_outcomes import build_programme

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 9)  # a Wednesday: its week (from 7 Dec) and month are still running
NOW = "2026-12-09 12:00 +0530"
# Every page, asked for a period that runs into next year: nothing after today may come back.
PAGES = [
    "/reports/milestones/?start=2026-06&end=2027-03",
    "/reports/milestones/?start=2026-06&end=2027-03&by=startup",
    "/reports/trends/?start=2026-10&end=2027-03",
    "/reports/outcomes/?start=2026-06&end=2027-03",
    "/reports/scorecards/",
    "/reports/monthly/",
]
LONG_FLOAT = re.compile(r"(?<![\w.])\d+\.\d{3,}(?![\w.])")
MONTH_LABEL = re.compile(r"^(\d{2} )?([A-Z][a-z]{2}) (\d{4})")


def _visible_text(html: str) -> str:
    """The page as read: tags, attributes and scripts (chart data is checked apart) left out."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _period(label) -> date | None:
    """The first day of a table's period label ("Dec 2026", "07 Dec 2026 (so far)"), else None."""
    found = MONTH_LABEL.match(str(label))
    if not found:
        return None
    day, month, year = found.groups()
    return datetime.strptime(f"{(day or '01').strip()} {month} {year}", "%d %b %Y").date()


def assert_honest(response) -> None:
    """No float with more than two decimals, in the page or its tables; no period after today."""
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    assert not LONG_FLOAT.findall(text), LONG_FLOAT.findall(text)
    for table in response.context.get("tables") or []:
        for row in table.rows:
            for cell in row:
                if isinstance(cell, float):
                    assert round(cell, 2) == cell, (table.slug, row)
            first = _period(row[0])
            assert first is None or first <= TODAY, (table.slug, row[0])
    for name in ("chart", "curve_chart"):
        chart = response.context.get(name)
        for series in (chart or {}).get("series", []):
            assert all(v is None or round(v, 2) == v for v in series["values"]), series
        for label in (chart or {}).get("labels", []):
            first = _period(f"{label} 2026") if re.match(r"^\d{2} [A-Z][a-z]{2}", label) else _period(label)
            assert first is None or first <= TODAY, label


@pytest.fixture
def hand_built(db):
    with time_machine.travel(NOW, tick=False):
        yield build_programme()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("url", PAGES)
def test_every_analytics_page_on_a_fresh_install_shows_no_long_float_and_no_future_period(client_for, admin_user, url):
    assert_honest(client_for(admin_user).get(url))


@pytest.mark.parametrize("url", PAGES)
def test_every_analytics_page_on_hand_built_figures_shows_no_long_float_and_no_future_period(
    client_for, admin_user, hand_built, url
):
    with time_machine.travel(NOW, tick=False):
        assert_honest(client_for(admin_user).get(url))


def test_a_startups_own_scorecard_shows_no_long_float(client_for, hand_built):
    from .factories import MemberFactory

    manager = MemberFactory(startup=hand_built["alpha"]).user
    with time_machine.travel(NOW, tick=False):
        assert_honest(client_for(manager).get("/reports/scorecards/"))


def test_the_programme_median_of_two_shares_is_rounded_half_up_not_a_floats_tail():
    cards = [
        {"journeys": 1, "storefront_pct": 51.3, "held": 2, "earned": None},
        {"journeys": 1, "storefront_pct": 51.4, "held": 3, "earned": None},
    ]
    cards = [{key: card.get(key) for key in card} for card in cards]
    from ..reports.scorecards import COLUMNS

    for card in cards:
        for key, _label in COLUMNS[1:]:
            card.setdefault(key, None)
    median = programme_median(cards)
    assert median["storefront_pct"] == 51.4  # statistics.median says 51.349999999999994
    assert median["held"] == 2.5


def test_the_monthly_pack_holds_no_long_float_and_no_period_after_its_month(hand_built):
    with time_machine.travel("2026-12-01 06:00 +0530", tick=False):
        report = monthly_report_build(month=date(2026, 11, 1), version=1)
    workbook = load_workbook(io.BytesIO(report.xlsx.read()), read_only=True)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                if isinstance(cell, float):
                    assert round(cell, 2) == cell, (sheet.title, row)
            first = _period(row[0]) if row and isinstance(row[0], str) else None
            assert first is None or first <= date(2026, 11, 30), (sheet.title, row[0])


def test_trends_stop_at_this_week_and_mark_it_so_far_as_bars(client_for, officer, hand_built):
    with time_machine.travel(NOW, tick=False):
        response = client_for(officer).get("/reports/trends/?start=2026-11&end=2027-02")
    rows = response.context["tables"][0].rows
    assert rows[-1][0] == "07 Dec 2026 (so far)"
    chart = response.context["chart"]
    assert chart["partial"] == len(chart["labels"]) - 1 and chart["labels"][-1] == "07 Dec (so far)"
    assert b"data-chart-counts" in response.content  # bars with whole-number ticks, not curves


def test_outcomes_stop_at_this_month_and_mark_it_so_far(client_for, officer, hand_built):
    with time_machine.travel(NOW, tick=False):
        response = client_for(officer).get("/reports/outcomes/?start=2026-09&end=2027-02")
    labels = [row[0] for row in response.context["tables"][0].rows]
    assert labels == ["Sep 2026", "Oct 2026", "Nov 2026", "Dec 2026 (so far)"]
    assert response.context["chart"]["partial"] == 3


def test_a_young_cohorts_curve_stops_at_its_age(client_for, officer, hand_built):
    with time_machine.travel(NOW, tick=False):
        response = client_for(officer).get("/reports/milestones/?start=2026-09&end=2026-12")
    chart = response.context["curve_chart"]
    november = next(s for s in chart["series"] if s["label"] == "Nov 2026")
    reached = [v for v in november["values"] if v is not None]
    assert len(reached) == 6  # days 0 to 35: the cohort is 38 days old on 9 Dec
    # The chart runs to the oldest cohort's age (September's, 99 days), not to day 364.
    assert chart["labels"][-1] == "Day 98"


def test_a_manager_is_told_the_figures_are_being_prepared_not_to_run_a_command(client_for, manager_a, exporter_a):
    body = client_for(manager_a).get("/reports/scorecards/").content.decode()
    assert "refresh_outcomes" not in body and "manage.py" not in body
    assert "being prepared" in body and "usually appear within 10 minutes" in body
    assert "no figures yet" not in body


def test_staff_see_how_to_compute_the_figures_now(client_for, officer):
    body = client_for(officer).get("/reports/milestones/").content.decode()
    assert "manage.py refresh_outcomes" in body


def test_a_startup_given_exporters_since_the_last_refresh_sees_being_prepared(client_for, hand_built):
    from .factories import MemberFactory, StartupFactory

    gamma = StartupFactory(brand_name="Gamma")
    manager = MemberFactory(startup=gamma).user
    assert OutcomeRefresh.objects.exists() and OutcomeSummary.objects.exists()
    assign(ExporterFactory(), gamma)  # after the refresh: no scorecard row for Gamma yet
    body = client_for(manager).get("/reports/scorecards/").content.decode()
    assert "being prepared" in body and "no figures yet" not in body


def test_the_scorecards_say_nothing_is_being_built(client_for, officer, hand_built):
    body = client_for(officer).get("/reports/scorecards/").content.decode()
    assert "being built" not in body


def test_a_filter_bar_with_no_field_left_is_not_drawn():
    from django.template import Context, Template

    from ..forms.analytics import AnalyticsFilterForm

    form = AnalyticsFilterForm(stages=[])
    skip = " ".join(field.name for field in form.visible_fields())
    template = Template('{% include "onboarding/_analytics_filters.html" %}')
    html = template.render(Context({"form": form, "skip": skip, "request": None}))
    assert "<form" not in html
