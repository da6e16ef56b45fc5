"""Money and dates are written the Indian way on pages, in messages and in emails."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.template import Context, Template
from django.utils import formats, timezone

from onboarding.reference import indian_number, rupees
from onboarding.reports.analytics import Table
from onboarding.templatetags.formats import figure, table_rows


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (0, "₹0.00"),
        (None, "₹0.00"),
        (999, "₹999.00"),
        (2000, "₹2,000.00"),
        (519500, "₹5,19,500.00"),
        (Decimal("12345678.5"), "₹1,23,45,678.50"),
        (-2500, "-₹2,500.00"),
    ],
)
def test_rupees_group_digits_in_lakhs_and_crores(amount, written):
    assert rupees(amount) == written


@pytest.mark.parametrize(
    ("amount", "written"),
    [(50_000, "₹50,000.00"), (519_500, "₹5.2 lakh"), (100_000, "₹1 lakh"), (35_000_000, "₹3.5 crore")],
)
def test_large_figures_read_in_lakh_and_crore(amount, written):
    assert rupees(amount, short=True) == written


def test_templates_write_amounts_and_dates_the_indian_way():
    page = Template("{% load formats humanize %}{{ a|inr }} {{ n|intcomma }} {{ d }}").render(
        Context({"a": 519500, "n": 519500, "d": datetime.date(2026, 11, 30)})
    )
    assert page == "₹5,19,500.00 5,19,500 30 Nov 2026"


def test_dates_are_read_in_day_month_order():
    assert "%d/%m/%Y" in formats.get_format("DATE_INPUT_FORMATS")


@pytest.mark.parametrize(
    "before, written",
    [
        (datetime.timedelta(minutes=5), "today"),
        (datetime.timedelta(days=1), "yesterday"),
        (datetime.timedelta(days=5), "5 days ago"),
        (datetime.timedelta(days=20), "2 weeks ago"),
        (datetime.timedelta(days=59), "8 weeks ago"),
    ],
)
def test_a_lists_dates_say_how_many_days_ago(before, written):
    noon = timezone.localtime().replace(hour=12, minute=0)  # whole local days before it stay whole
    with mock.patch("django.utils.timezone.now", return_value=noon):
        assert Template("{% load formats %}{{ when|ago }}").render(Context({"when": noon - before})) == written


def test_older_dates_and_none_in_a_list():
    template = Template("{% load formats %}{{ when|ago }}")
    assert template.render(Context({"when": datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)})) == "1 Mar 2026"
    assert template.render(Context({"when": None})) == ""


@pytest.mark.parametrize(
    ("value", "places", "written"),
    [
        (16000, 0, "16,000"),
        (160000, 0, "1,60,000"),
        (42.550000000000004, 1, "42.6"),
        (3.0, 1, "3"),
        (-1234567, 0, "-12,34,567"),
    ],
)
def test_figures_are_grouped_the_indian_way_and_rounded_for_people(value, places, written):
    assert indian_number(value, places) == written


@pytest.mark.parametrize(
    ("value", "heading", "written"),
    [
        (Decimal("160000"), "Paid in the month (₹)", "₹1,60,000.00"),
        (16000, "Capacity", "16,000"),
        (42.5, "Storefront live %", "42.5%"),
        (80.0, "Reached %", "80%"),
        (3.0, "Median days to storefront", "3 days"),
        (1, "SLA days", "1 day"),
        (12.25, "80th percentile days", "12.3 days"),
        (Decimal("1250.5"), "Order value (USD)", "US$1,250.50"),
        (None, "Load %", "—"),
        ("Sep 2026", "Cohort", "Sep 2026"),
    ],
)
def test_a_report_cell_is_written_for_people_by_its_column(value, heading, written):
    assert figure(value, heading) == written


def test_a_report_tables_rupee_columns_are_written_in_rupees():
    table = Table("t", "T", ["Startup", "Net"], rows=[["Alpha", Decimal("519500")]], money=(1,))
    assert table_rows(table) == [["Alpha", "₹5,19,500.00"]]
