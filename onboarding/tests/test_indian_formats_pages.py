"""Indian formats where people read them: the earnings page, the admin's messages, an email
and the exports (ISO dates in CSV for accounting software, real dates in Excel)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ..emails import render_text
from ..models import Commission
from ..reports.digests import startup_week
from .downloads import downloaded
from .factories import ExporterFactory, assign, commission_rule
from .test_commissions import earn


def big_commission(agent, officer, startup) -> Commission:
    commission_rule("storefront_live", "519500.00")
    return earn(agent, officer, startup)


def test_the_earnings_page_writes_rupees_the_indian_way(client_for, agent_a, officer, manager_a, startup_a):
    big_commission(agent_a, officer, startup_a)
    html = client_for(manager_a).get(reverse("onboarding:commission-list")).content.decode()
    assert "₹5,19,500.00" in html
    assert "₹519,500" not in html and "519500" not in html
    assert timezone.localdate().strftime("%b. ") not in html  # never Django's "Nov. 30"


def test_the_admins_message_writes_the_amount_like_the_table(client_for, agent_a, officer, admin_user, startup_a):
    commission = big_commission(agent_a, officer, startup_a)
    url = reverse("onboarding:commission-action", args=[commission.pk, "approve"])
    html = client_for(admin_user).post(url, follow=True).content.decode()
    assert "Approved ₹5,19,500.00 for" in html


def test_the_commission_csv_has_iso_dates_and_plain_amounts(client_for, agent_a, officer, admin_user, startup_a):
    big_commission(agent_a, officer, startup_a)
    content = downloaded(client_for(admin_user).get(reverse("onboarding:commission-list"), {"export": "csv"}))
    row = list(csv.reader(io.StringIO(content.decode())))[1]
    assert row[0] == timezone.localdate().isoformat() and "519500.00" in row


def test_the_commission_workbook_has_real_dates_shown_day_month_year(
    client_for, agent_a, officer, admin_user, startup_a
):
    big_commission(agent_a, officer, startup_a)
    content = downloaded(client_for(admin_user).get(reverse("onboarding:commission-list"), {"export": "xlsx"}))
    cell = load_workbook(io.BytesIO(content)).active["A2"]
    assert isinstance(cell.value, datetime | date) and cell.value.date() == timezone.localdate()
    assert cell.number_format == "d mmm yyyy"


def test_the_weekly_email_writes_dates_day_month_year_and_says_service_level(startup_a):
    now = timezone.now()
    assign(ExporterFactory(), startup_a, stage_code="contacted", entered=now - timedelta(days=5))
    digest = startup_week(startup_a, now)
    due_on = timezone.localtime(digest["due"][0].due_on)
    text = render_text("emails/weekly_startup_body.txt", {**digest, "site_url": settings.SITE_URL, "now": now})
    assert f"service level ends {due_on:%a} {due_on.day} {due_on:%b %Y}" in text
    assert "SLA" not in text
