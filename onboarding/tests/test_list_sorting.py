"""Lists sort by an allow-listed column (both ways, filters kept) and page with numbered links."""

from __future__ import annotations

import copy
import re
from datetime import date

import pytest
from django import forms
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django_filters import OrderingFilter
from pytest_django.asserts import assertHTMLEqual

from .. import filters, pagination
from ..filters import QuickCSVSelect, QuickDateInput, QuickHiddenInput, QuickInput, QuickSelect, QuickTextInput
from ..models import Exporter
from ..pagination import paginate
from ..views import exporters as exporter_views
from .factories import ExporterFactory, StartupFactory


def names(response) -> list[str]:
    return [exporter.legal_name for exporter in response.context["page"]]


@pytest.mark.both_databases
def test_a_column_head_sorts_the_list_and_a_second_click_turns_it_round(client_for, officer):
    for name in ("Bharat Jute", "Anand Tea", "Chola Brass"):
        ExporterFactory(legal_name=name, state="27")
    ExporterFactory(legal_name="Dakshin Coir", state="32")
    client = client_for(officer)
    url = reverse("onboarding:exporter-list")
    response = client.get(url, {"state": "27", "sort": "name"})
    assert names(response) == ["Anand Tea", "Bharat Jute", "Chola Brass"]
    html = response.content.decode()
    # The sorted head offers the other direction and keeps the filter; other heads start ascending.
    assert 'aria-sort="ascending"' in html
    assert "?state=27&amp;sort=-name" in html and "?state=27&amp;sort=gstin" in html
    assert names(client.get(url, {"state": "27", "sort": "-name"})) == ["Chola Brass", "Bharat Jute", "Anand Tea"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("onboarding:startup-list", "load"),
        ("onboarding:activity-list", "when"),
        ("onboarding:commission-list", "amount"),
        ("onboarding:outbox", "-status"),
        ("onboarding:exporter-import", "-errors"),
    ],
)
@pytest.mark.both_databases
def test_every_list_takes_its_sort_keys_and_ignores_junk(client_for, officer, name, key):
    StartupFactory()
    client = client_for(officer)
    response = client.get(reverse(name), {"sort": key})
    assert response.status_code == 200 and response.context["sorting"].param == key
    for junk in ("nope", "-", "legal_name__password", "-pk", "x" * 500):
        response = client.get(reverse(name), {"sort": junk})
        assert response.status_code == 200 and response.context["sorting"].key == ""


def test_pagination_numbers_the_pages_with_gaps_and_keeps_the_query(db):
    ExporterFactory.create_batch(41)
    request = RequestFactory().get("/exporters/", {"page": "10", "state": "27"})
    page = paginate(request, Exporter.objects.order_by("pk"), per_page=2)
    assert page.links == [1, 2, page.ellipsis, 8, 9, 10, 11, 12, page.ellipsis, 20, 21]


@pytest.mark.both_databases
def test_the_pager_links_each_page_number_and_marks_the_current_one(client_for, officer):
    ExporterFactory.create_batch(51)
    response = client_for(officer).get(reverse("onboarding:exporter-list"), {"page": 2, "state": "27"})
    html = response.content.decode()
    assert '<nav aria-label="Pages">' in html
    assert re.search(r'href="\?page=1&amp;state=27"|href="\?state=27&amp;page=1"', html)
    assert 'aria-current="page"' in html and "Page 2 of 2" in html


@pytest.mark.postgresql
def test_a_filtered_list_is_counted_only_up_to_a_cap(client_for, officer, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_UP_TO", 10)
    ExporterFactory.create_batch(12, state="27")
    ExporterFactory.create_batch(3, state="24")
    client = client_for(officer)
    url = reverse("onboarding:exporter-list")
    many = client.get(url, {"state": "27"})
    assert many.context["page"].paginator.capped
    assert "(over 10)" in many.content.decode()
    few = client.get(url, {"state": "24"})
    assert not few.context["page"].paginator.capped and "(3)" in few.content.decode()


@pytest.mark.postgresql
def test_a_huge_unfiltered_list_shows_the_planners_estimate(client_for, officer, monkeypatch):
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 2)
    ExporterFactory.create_batch(4)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE onboarding_exporter")
    response = client_for(officer).get(reverse("onboarding:exporter-list"))
    assert response.context["page"].paginator.estimated
    assert "(about 4)" in response.content.decode()
    assert len(response.context["page"].object_list) == 4


@pytest.mark.postgresql
def test_an_unfiltered_list_grown_past_its_statistics_is_counted_only_up_to_the_bound(client_for, officer, monkeypatch):
    """Counting stops one row past ESTIMATE_ABOVE (the planner then costs a small count, never a
    whole table's, which at millions of rows made PostgreSQL JIT-compile it on every request),
    and such a count is shown as an estimate."""
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE onboarding_exporter")  # statistics of an empty table
    ExporterFactory.create_batch(4)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(officer).get(reverse("onboarding:exporter-list"))
    assert response.context["page"].paginator.estimated
    assert "(about 3)" in response.content.decode()
    assert any("LIMIT 3) AS bounded" in q["sql"] for q in queries)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + next(q["sql"] for q in queries if "AS bounded" in q["sql"]))
        assert cursor.fetchone()[0][0]["Plan"]["Total Cost"] < 1000


def test_a_filter_bar_select_renders_as_djangos_own_select():
    # A value given twice (only its first option is selected), as a number, as None, a lazy label.
    choices = [("", "Any"), ("27", "Maharashtra"), ("x", "Rao & <Sons>"), (27, gettext_lazy("Again")), (None, "-")]
    attrs = {"class": "form-select", "id": "id_state", "required": True}
    for value in ("", "27", 27, "x", None, "missing"):
        expected = forms.Select(attrs=attrs, choices=choices).render("state", value)
        assertHTMLEqual(QuickSelect(attrs=attrs, choices=choices).render("state", value), expected)


@pytest.mark.parametrize(
    ("quick", "django"),
    [
        (QuickTextInput, forms.TextInput),
        (QuickHiddenInput, forms.HiddenInput),
        (QuickDateInput, forms.DateInput),
        (QuickCSVSelect, type(OrderingFilter(fields=(("legal_name", "name"),)).field.widget)),
    ],
)
def test_filter_bar_inputs_render_as_djangos_own(quick, django):
    attrs = {"class": "form-control", "id": "id_f"}
    choices = [("name", "Name"), ("-name", "Name (descending)")]
    for value in ("", "Rao & <Sons>", "-name", ["name"], ["name", "-name"], None, date(2026, 11, 30)):
        made = [widget(attrs=attrs) for widget in (quick, django)]
        if isinstance(made[1], forms.Select):
            for widget in made:
                widget.choices = choices
        assertHTMLEqual(made[0].render("f", value), made[1].render("f", value))


FILTER_BARS = [
    filters.StartupFilter,
    filters.ExporterFilter,
    filters.ActivityFilter,
    filters.OutboxFilter,
    filters.ReviewFilter,
    filters.CommissionFilter,
]


@pytest.mark.parametrize("filterset", FILTER_BARS, ids=lambda f: f.__name__)
def test_every_filter_of_a_filter_bar_names_a_widget_written_in_python(filterset):
    widgets = {name: copy.deepcopy(f).field.widget for name, f in filterset.base_filters.items()}
    slow = [name for name, widget in widgets.items() if not isinstance(widget, QuickSelect | QuickInput)]
    assert slow == []


@pytest.mark.postgresql
def test_a_search_matching_more_than_its_cap_shows_the_newest_first_and_says_so(client_for, officer, monkeypatch):
    monkeypatch.setattr(exporter_views, "SEARCH_EXACT_UP_TO", 3)
    for name in ("Shree Dhara", "Shree Anand", "Shree Chola", "Shree Bharat"):
        ExporterFactory(legal_name=name)  # created in this order: the last is the newest
    ExporterFactory(legal_name="Vedic Tea")
    client = client_for(officer)
    url = reverse("onboarding:exporter-list")
    many = client.get(url, {"q": "shree"})
    assert many.context["page"].paginator.reordered
    assert names(many) == ["Shree Bharat", "Shree Chola", "Shree Anand"]  # the newest 3, as counted
    assert "Over 3 exporters match, so the newest are shown first" in many.content.decode()
    by_name = client.get(url, {"q": "shree", "sort": "name"})  # a sorted column is kept
    assert not by_name.context["page"].paginator.reordered
    assert names(by_name) == ["Shree Anand", "Shree Bharat", "Shree Chola", "Shree Dhara"]
    few = client.get(url, {"q": "vedic"})
    assert not few.context["page"].paginator.reordered and "newest are shown first" not in few.content.decode()
