"""Documents fit A4: no table of a monthly pack or a payout statement runs past the page's
right margin, read twice: from WeasyPrint's layout (every box inside the page's content box)
and from the printed page (the PDF rendered to an image, its right margin blank)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML
from weasyprint.formatting_structure.boxes import MarginBox

from ..models import Commission
from ..models.commissions import CommissionStatus
from ..reports import pdf
from ..services.monthly_reports import monthly_report_build
from ..services.payouts import payout_pay, payout_run_create
from .factories import ExporterFactory, StartupFactory, assign, bank_details, stage

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
MM = 72 / 25.4  # PDF points in a millimetre
# The page's printed edge: what is drawn in the rightmost strip of the sheet has run past every margin.
STRIP_MM = 8
LONG_NAME = "Sri Venkateswara Lakshmi Narasimha Agro Processing and Export Industries Private Limited"


@pytest.fixture
def rendered():
    """The HTML of every PDF written while the test runs, in order (pdf_bytes still writes the PDF)."""
    pages = []
    real = pdf.render_to_string

    def keep(template_name, context):
        html = real(template_name, context)
        pages.append(html)
        return html

    with mock.patch.object(pdf, "render_to_string", side_effect=keep):
        yield pages


def boxes_past_the_margin(html: str) -> list[tuple[int, str, float]]:
    """(page, box, millimetres past the right margin) for every laid-out box wider than its page's
    content box: a table, a row, a cell or a line of text in it."""
    found = []
    for number, page in enumerate(HTML(string=html).render().pages, 1):
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for child in page_box.children:
            if isinstance(child, MarginBox):  # the page number, printed in the margin on purpose
                continue
            for box in child.descendants():
                edge = box.position_x + box.margin_width()
                if edge > right + 0.5:  # half a point: rounding, not overflow
                    found.append((number, type(box).__name__, round((edge - right) / MM, 1)))
    return found


def ink_in_the_right_margin(content: bytes) -> list[int]:
    """The pages (from 1) with anything printed in the rightmost STRIP_MM of the sheet."""
    inked = []
    document = pypdfium2.PdfDocument(content)
    for number in range(len(document)):
        image = document[number].render(scale=1.5).to_pil().convert("L")
        strip = image.crop((image.width - round(STRIP_MM * MM * 1.5), 0, image.width, image.height))
        if strip.getextrema()[0] < 250:  # anything darker than paper
            inked.append(number + 1)
    return inked


def wide_programme() -> None:
    """Thirty startups with long names and crores of commission, accrued, approved and paid in November."""
    november = datetime(2026, 11, 10, 11, 0, tzinfo=IST)
    with time_machine.travel(november, tick=False):
        for n in range(30):
            startup = StartupFactory(legal_name=f"{LONG_NAME} {n}", brand_name="", capacity=12_000)
            for status in (CommissionStatus.ACCRUED, CommissionStatus.APPROVED, CommissionStatus.PAID):
                exporter = assign(ExporterFactory(legal_name=f"{LONG_NAME} exporter {n}"), startup)
                Commission.objects.create(
                    startup=startup, exporter=exporter, stage=stage("storefront_live"),
                    amount=Decimal("123456789.55") + n, status=status,
                    approved_at=november if status != CommissionStatus.ACCRUED else None,
                    paid_at=november if status == CommissionStatus.PAID else None,
                )  # fmt: skip


@time_machine.travel("2026-12-05 09:00 +0530", tick=False)
def test_no_table_of_a_wide_monthly_pack_runs_past_the_page(rendered):
    wide_programme()
    report = monthly_report_build(month=date(2026, 11, 1), version=1)
    [html] = rendered
    assert boxes_past_the_margin(html) == []
    assert ink_in_the_right_margin(report.pdf.read()) == []


def test_no_table_of_a_long_payout_statement_runs_past_the_page(rendered, client_for, admin_user, manager_a):
    startup = manager_a.active_membership.startup
    startup.legal_name, startup.brand_name = LONG_NAME, "Venkateswara Lakshmi Narasimha Agro Exports"
    startup.save()
    for n in range(25):
        exporter = assign(ExporterFactory(legal_name=f"{LONG_NAME} exporter {n}"), startup)
        Commission.objects.create(
            startup=startup, exporter=exporter, stage=stage("storefront_live"),
            amount=Decimal("12345678.90"), status=CommissionStatus.APPROVED,
        )  # fmt: skip
    bank_details(startup, gstin="27AAPFU0939F1ZV")  # a GST-registered payee: the widest statement
    month = timezone.localdate().replace(day=1)
    payout = payout_run_create(actor=admin_user, period=month).payouts.get()
    payout_pay(actor=admin_user, payout=payout, payment_reference="SBIN226330123456")
    response = client_for(manager_a).get(reverse("onboarding:payout-statement", args=[payout.pk, "pdf"]))
    assert response.status_code == 200
    [html] = rendered
    assert boxes_past_the_margin(html) == []
    assert ink_in_the_right_margin(response.content) == []
