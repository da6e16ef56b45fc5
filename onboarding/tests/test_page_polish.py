"""Small things people noticed: the admin says whose it is and names its sections in words,
phone numbers are grouped for reading, one sort glyph per column head, no "by —" for work the
system did, the commission statement's columns fold on a phone, the phone menu has a backdrop."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse

from ..management import demo
from .conftest import PortalClient


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+917517362430", "+91 75173 62430"),
        ("+91 7517362430", "+91 75173 62430"),
        ("+14155550100", "+14155550100"),  # not an Indian mobile: as stored
        ("", ""),
        (None, ""),
    ],
)
def test_phone_numbers_are_grouped_for_reading(stored, shown):
    assert Template("{% load formats %}{{ number|phone }}").render(Context({"number": stored})) == shown


def test_the_exporter_page_shows_the_mobile_grouped_and_dials_the_raw_number(client_for, officer, exporter_a):
    exporter_a.contact_mobile = "+917517362430"
    exporter_a.save(update_fields=["contact_mobile"])
    page = client_for(officer).get(exporter_a.get_absolute_url()).content.decode()
    assert 'href="tel:+917517362430"' in page and "Call +91 75173 62430" in page


def test_django_admin_says_whose_it_is_and_names_lockouts_and_tokens_in_words(admin_user):
    client = PortalClient()
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    page = response.content.decode()
    assert "Export Onboarding Portal administration" in page
    assert "<title>Records and settings | Export Onboarding Portal administration</title>" in page
    names = {app["app_label"]: str(app["name"]) for app in response.context["app_list"]}
    assert names["axes"] == "Sign-in lockouts" and names["knox"] == "API tokens"
    assert "AXES" not in page and "KNOX" not in page and ">Axes<" not in page and ">Knox<" not in page


def test_an_officer_sees_the_admins_name_but_still_not_its_token_section(officer):
    demo.authenticator_for(officer)
    client = PortalClient()
    client.force_login(officer)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Export Onboarding Portal administration" in page and "API tokens" not in page


def test_a_sortable_column_head_draws_one_glyph(client_for, officer, exporter_a):
    page = client_for(officer).get(reverse("onboarding:exporter-list"), {"sort": "name"}).content.decode()
    head = page[page.index("<thead>") : page.index("</thead>")]
    name_head = head[head.index('href="?sort=-name"') :].split("</th>")[0]
    assert name_head.count('class="bi ') == 1
    css = Path(settings.BASE_DIR, "static", "css", "portal.css").read_text()
    assert "thead th a::after" not in css  # the stylesheet once drew a second arrow


def test_a_claim_sent_without_a_person_says_so_not_by_a_dash(client_for, officer, agent_a, startup_a):
    from ..models import StageEvent
    from .test_reviews import claim

    event = claim(startup_a, agent_a, name="Automatic LLP")
    StageEvent.objects.filter(pk=event.pk).update(submitted_by=None)
    page = client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    assert "sent automatically" in page and "by —" not in page


def test_the_commission_statement_folds_its_date_and_stage_columns_on_a_phone(client_for, manager_a):
    page = client_for(manager_a).get(reverse("onboarding:commission-list")).content.decode()
    assert "No commissions yet" in page  # the empty statement still renders; the columns are below
    template = Path(settings.BASE_DIR, "templates", "onboarding", "commission_list.html").read_text()
    assert '{% sort_header "date" "Date" "d-none d-sm-table-cell" %}' in template
    assert '{% sort_header "stage" "Stage" "d-none d-md-table-cell" %}' in template


def test_the_phone_menu_opens_over_a_backdrop_and_the_brand_is_never_cut(client_for, agent_a):
    page = client_for(agent_a).get(reverse("onboarding:home")).content.decode()
    assert 'data-bs-backdrop="true"' in page and 'data-bs-backdrop="false"' not in page
    assert 'class="navbar-brand topbar-brand"' in page and "navbar-brand text-truncate" not in page


def test_the_review_queues_keyboard_shortcuts_are_not_shown_on_a_phone(client_for, officer):
    page = client_for(officer).get(reverse("onboarding:review-queue")).content.decode()
    assert '<details class="small d-none d-md-block"><summary>Keyboard shortcuts</summary>' in page


def test_a_startup_user_never_reaches_django_admin(client_for, manager_a):
    response = client_for(manager_a).get(reverse("admin:index"))
    assert response.status_code in (302, 403)
    assert "Records and settings" not in response.content.decode()
