"""Money and dates are written the Indian way on pages, in messages and in emails."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.template import Context, Template
from django.utils import formats, timezone

from onboarding.reference import rupees


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
