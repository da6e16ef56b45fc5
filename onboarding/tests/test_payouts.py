"""Payout runs: a month's approved commissions per startup, paid once per startup with one UTR,
statements for the startup's managers, and no ledger entry ever paid twice."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from ..models import BankAccount, Commission, Payout, PayoutLine, PayoutRun, Startup
from ..models.commissions import CommissionStatus
from ..services.commissions import commission_reverse
from ..services.payouts import commissions_approve_bulk, payout_pay, payout_run_create, statement_lines
from .concurrency import race
from .factories import ExporterFactory, StartupFactory, assign, bank_details, stage

UTR_A, UTR_B = "SBIN226330123456", "HDFC226330654321"


def ledger(startup, *amounts: str, status: str = CommissionStatus.APPROVED) -> list[Commission]:
    """One commission per amount, each on a new exporter of `startup`, in `status`. The startup
    gets confirmed bank details: without them its payouts are held."""
    if not BankAccount.objects.filter(startup=startup).exists():
        bank_details(startup)
    rows = []
    for amount in amounts:
        exporter = assign(ExporterFactory(), startup)
        rows.append(
            Commission.objects.create(
                startup=startup, exporter=exporter, stage=stage("storefront_live"), amount=amount, status=status
            )
        )
    return rows


def this_month():
    return timezone.localdate().replace(day=1)


def test_a_run_gathers_approved_unpaid_commissions_per_startup_with_totals(admin_user, startup_a, startup_b):
    ledger(startup_a, "2000.00", "1500.00")
    ledger(startup_b, "700.00")
    ledger(startup_a, "999.00", status=CommissionStatus.ACCRUED)

    run = payout_run_create(actor=admin_user, period=this_month())

    totals = {p.startup_id: p.amount for p in run.payouts.all()}
    assert totals == {startup_a.pk: Decimal("3500.00"), startup_b.pk: Decimal("700.00")}
    assert PayoutLine.objects.count() == 3
    assert not PayoutLine.objects.filter(commission__status=CommissionStatus.ACCRUED).exists()
    assert run.history.first().history_user == admin_user


def test_a_run_with_nothing_to_pay_says_so_and_makes_no_run(admin_user, startup_a):
    ledger(startup_a, "500.00", status=CommissionStatus.ACCRUED)
    with pytest.raises(ValidationError, match="Nothing to pay for"):
        payout_run_create(actor=admin_user, period=this_month())
    assert not PayoutRun.objects.exists() and not Payout.objects.exists()


def test_the_page_shows_nothing_to_pay_beside_the_month_and_makes_no_run(client_for, admin_user):
    month = timezone.localdate().strftime("%Y-%m")
    response = client_for(admin_user).post(reverse("onboarding:payout-list"), {"period": month})
    assert response.status_code == 200
    assert "Nothing to pay for" in response.context["form"].errors["period"][0]
    assert not PayoutRun.objects.exists()


@pytest.mark.parametrize("bad", ["", "2026-13", "November", "2999-01", "0999-01", "2026-1"])
def test_a_bad_month_is_a_field_error_and_makes_no_run(client_for, admin_user, startup_a, bad):
    ledger(startup_a, "500.00")
    response = client_for(admin_user).post(reverse("onboarding:payout-list"), {"period": bad})
    assert response.status_code == 200 and response.context["form"].errors["period"]
    assert not PayoutRun.objects.exists()


def test_admin_makes_a_run_and_pays_a_startup_with_one_utr(client_for, admin_user, startup_a):
    lines = ledger(startup_a, "2000.00", "1500.00")
    client = client_for(admin_user)
    response = client.post(reverse("onboarding:payout-list"), {"period": timezone.localdate().strftime("%Y-%m")})
    run = PayoutRun.objects.get()
    assert response.url == run.get_absolute_url()
    payout = run.payouts.get()

    response = client.post(
        reverse("onboarding:payout-pay", args=[payout.pk]), {"payment_reference": "sbin 2263 3012 3456"}
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.payment_reference == UTR_A and payout.paid_by == admin_user
    assert payout.history.first().history_user == admin_user
    for line in lines:
        line.refresh_from_db()
        assert (line.status, line.payment_reference) == (CommissionStatus.PAID, UTR_A)
        assert line.history.first().history_user == admin_user
    page = client.get(run.get_absolute_url())
    assert "Paid" in page.content.decode() and "₹3,500.00" in page.content.decode()


def test_a_bad_utr_is_an_error_on_that_startups_field_and_pays_nothing(client_for, admin_user, startup_a):
    ledger(startup_a, "2000.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get()
    response = client_for(admin_user).post(
        reverse("onboarding:payout-pay", args=[payout.pk]), {"payment_reference": "=1+1"}
    )
    assert response.status_code == 400
    assert f'id="utr-{payout.pk}-payment_reference"' in response.content.decode()
    assert "12 to 22 letters and digits" in response.content.decode()
    assert not Commission.objects.filter(status=CommissionStatus.PAID).exists()


def test_a_paid_payout_is_immutable_and_cannot_be_paid_again(admin_user, startup_a):
    ledger(startup_a, "2000.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get()
    payout_pay(actor=admin_user, payout=payout, payment_reference=UTR_A)
    with pytest.raises(ValidationError, match="already paid") as refusal:
        payout_pay(actor=admin_user, payout=payout, payment_reference=UTR_B)
    assert refusal.value.error_list[0].code == "conflict"
    payout.refresh_from_db()
    assert payout.payment_reference == UTR_A
    assert set(Commission.objects.values_list("payment_reference", flat=True)) == {UTR_A}


def test_a_utr_already_used_for_another_payout_is_refused(admin_user, startup_a, startup_b):
    ledger(startup_a, "2000.00")
    ledger(startup_b, "900.00")
    run = payout_run_create(actor=admin_user, period=this_month())
    first, second = run.payouts.order_by("pk")
    payout_pay(actor=admin_user, payout=first, payment_reference=UTR_A)
    with pytest.raises(ValidationError, match="already recorded"):
        payout_pay(actor=admin_user, payout=second, payment_reference=UTR_A)
    second.refresh_from_db()
    assert not second.is_paid


def test_a_correction_is_a_reversal_deducted_in_a_later_run(admin_user, startup_a):
    paid, _other = ledger(startup_a, "2000.00", "1500.00")
    payout_pay(
        actor=admin_user,
        payout=payout_run_create(actor=admin_user, period=this_month()).payouts.get(),
        payment_reference=UTR_A,
    )
    commission_reverse(actor=admin_user, commission=Commission.objects.get(pk=paid.pk), reason="Storefront was fake")
    ledger(startup_a, "3000.00")

    later = payout_run_create(actor=admin_user, period=this_month()).payouts.get()

    assert later.amount == Decimal("1000.00")
    earnings, reversals = statement_lines(later)
    assert [c.amount for c in earnings] == [Decimal("3000.00")]
    assert [c.amount for c in reversals] == [Decimal("-2000.00")]


def test_an_admin_cannot_mark_one_commission_paid_outside_a_run(client_for, admin_user, startup_a):
    (line,) = ledger(startup_a, "2000.00")
    url = reverse("onboarding:commission-action", args=[line.pk, "pay"])
    assert client_for(admin_user).post(url, {"payment_reference": UTR_B}).status_code == 404
    line.refresh_from_db()
    assert line.status == CommissionStatus.APPROVED and not line.payment_reference


def test_the_database_refuses_a_commission_in_two_payouts(admin_user, startup_a):
    (line,) = ledger(startup_a, "2000.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get()
    other = Payout.objects.create(run=PayoutRun.objects.create(period=this_month()), startup=startup_a, amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(payout=other, commission=line, amount=line.amount)
    assert PayoutLine.objects.get().payout == payout


def test_a_second_run_finds_nothing_to_pay_once_every_line_is_taken(admin_user, startup_a):
    ledger(startup_a, "2000.00")
    payout_run_create(actor=admin_user, period=this_month())
    with pytest.raises(ValidationError, match="Nothing to pay"):
        payout_run_create(actor=admin_user, period=this_month())


def test_officers_and_startup_users_cannot_make_or_pay_runs(client_for, admin_user, officer, agent_a, startup_a):
    ledger(startup_a, "2000.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get()
    for user in (officer, agent_a):
        client = client_for(user)
        assert client.post(reverse("onboarding:payout-list"), {"period": "2026-11"}).status_code in (403, 404)
        pay = client.post(reverse("onboarding:payout-pay", args=[payout.pk]), {"payment_reference": UTR_A})
        assert pay.status_code in (403, 404)
    assert PayoutRun.objects.count() == 1 and not Payout.objects.filter(paid_at__isnull=False).exists()


def _paid_payout(admin_user, startup):
    ledger(startup, "2000.00", "1500.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get(startup=startup)
    return payout_pay(actor=admin_user, payout=payout, payment_reference=UTR_A)


def test_a_manager_downloads_their_own_statement_as_xlsx_with_lines_and_totals(client_for, admin_user, manager_a):
    payout = _paid_payout(admin_user, manager_a.active_membership.startup)
    response = client_for(manager_a).get(reverse("onboarding:payout-statement", args=[payout.pk, "xlsx"]))
    assert response.status_code == 200 and payout.startup.dpiit_number in response["Content-Disposition"]
    cells = [c for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True) for c in row]
    assert payout.startup.dpiit_number in cells and UTR_A in cells
    assert 2000 in cells and 1500 in cells and 3500 in cells


def test_a_manager_downloads_their_own_statement_as_pdf(client_for, admin_user, manager_a):
    payout = _paid_payout(admin_user, manager_a.active_membership.startup)
    response = client_for(manager_a).get(reverse("onboarding:payout-statement", args=[payout.pk, "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_pdf_statement_names_the_startup_and_totals_in_rupees(admin_user, startup_a):
    payout = _paid_payout(admin_user, startup_a)
    earnings, reversals = statement_lines(payout)
    html = render_to_string(
        "documents/payout_statement.html",
        {"payout": payout, "startup": startup_a, "earnings": earnings, "reversals": reversals, "earned": 3500},
    )
    assert startup_a.dpiit_number in html and "₹3,500.00" in html and UTR_A in html and "GSTIN" in html


def test_statements_print_the_startups_gstin_or_say_there_is_none(client_for, admin_user, manager_a, startup_a):
    payout = _paid_payout(admin_user, startup_a)
    client = client_for(manager_a)

    def heads(kind: str) -> str:
        response = client.get(reverse("onboarding:payout-statement", args=[payout.pk, kind]))
        if kind == "pdf":
            return PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        return "\n".join(" ".join(str(cell) for cell in row[:2]) for row in rows)

    assert "GSTIN Not on record" in heads("xlsx") and "GSTIN Not on record" in heads("pdf")
    Startup.objects.filter(pk=startup_a.pk).update(gstin="27AAPFU0939F1ZV")
    assert "GSTIN 27AAPFU0939F1ZV" in heads("xlsx") and "GSTIN 27AAPFU0939F1ZV" in heads("pdf")


@pytest.mark.parametrize("kind", ["xlsx", "pdf"])
def test_another_startups_statement_is_404(client_for, admin_user, manager_b, startup_a, kind):
    payout = _paid_payout(admin_user, startup_a)
    response = client_for(manager_b).get(reverse("onboarding:payout-statement", args=[payout.pk, kind]))
    assert response.status_code == 404


def test_an_agent_cannot_download_their_startups_statement(client_for, admin_user, agent_a, startup_a):
    payout = _paid_payout(admin_user, startup_a)
    assert client_for(agent_a).get(reverse("onboarding:payout-statement", args=[payout.pk, "pdf"])).status_code == 403


def test_a_manager_lists_only_their_own_statements(client_for, admin_user, manager_a, startup_a, startup_b):
    ledger(startup_b, "800.00")
    _paid_payout(admin_user, startup_a)
    response = client_for(manager_a).get(reverse("onboarding:payout-list"))
    assert [p.startup_id for p in response.context["page"].object_list] == [startup_a.pk]


def test_the_run_list_has_a_constant_number_of_queries(
    client_for, admin_user, startup_a, django_assert_max_num_queries
):
    client = client_for(admin_user)
    ledger(startup_a, "100.00")
    payout_run_create(actor=admin_user, period=this_month())
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("onboarding:payout-list"))
    for _ in range(4):
        ledger(startup_a, "100.00")
        payout_run_create(actor=admin_user, period=this_month())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("onboarding:payout-list")).status_code == 200


def test_admin_approves_every_accrual_the_filters_show(client_for, admin_user, startup_a, startup_b):
    mine = ledger(startup_a, "100.00", "200.00", status=CommissionStatus.ACCRUED)
    (theirs,) = ledger(startup_b, "300.00", status=CommissionStatus.ACCRUED)
    url = reverse("onboarding:commission-approve-matching") + f"?startup={startup_a.pk}"
    response = client_for(admin_user).post(url, {"next": f"/commissions/?startup={startup_a.pk}"})
    assert response.url == f"/commissions/?startup={startup_a.pk}"
    assert {c.status for c in Commission.objects.filter(pk__in=[c.pk for c in mine])} == {CommissionStatus.APPROVED}
    theirs.refresh_from_db()
    assert theirs.status == CommissionStatus.ACCRUED


def test_officers_cannot_bulk_approve_accruals(client_for, officer, startup_a):
    ledger(startup_a, "100.00", status=CommissionStatus.ACCRUED)
    assert client_for(officer).post(reverse("onboarding:commission-approve-matching")).status_code == 403
    assert not Commission.objects.filter(status=CommissionStatus.APPROVED).exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_made_at_once_take_each_line_exactly_once(admin_user, startup_a):
    ledger(startup_a, "2000.00", "1500.00")
    outcomes = race(*[lambda: payout_run_create(actor=admin_user, period=this_month())] * 2)
    assert sum(isinstance(o, PayoutRun) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, PayoutRun | ValidationError) for o in outcomes), outcomes
    assert PayoutLine.objects.count() == 2 and PayoutRun.objects.count() == 1


@pytest.mark.both_databases  # a row lock on PostgreSQL, SQLite's write lock taken at BEGIN
@pytest.mark.django_db(transaction=True)
def test_two_admins_paying_the_same_payout_at_once_pay_it_exactly_once(admin_user, startup_a):
    ledger(startup_a, "2000.00", "1500.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get()
    outcomes = race(
        *(lambda utr=utr: payout_pay(actor=admin_user, payout=payout, payment_reference=utr) for utr in (UTR_A, UTR_B))
    )
    assert sum(isinstance(o, Payout) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, Payout | ValidationError) for o in outcomes), outcomes
    payout.refresh_from_db()
    assert set(Commission.objects.values_list("payment_reference", flat=True)) == {payout.payment_reference}


def test_the_run_page_has_a_constant_number_of_queries(
    client_for, admin_user, startup_a, startup_b, django_assert_max_num_queries
):
    client = client_for(admin_user)
    ledger(startup_a, "100.00")
    small = payout_run_create(actor=admin_user, period=this_month())
    with django_assert_max_num_queries(12) as few:
        client.get(small.get_absolute_url())
    for startup in (startup_b, *(StartupFactory() for _ in range(4))):
        ledger(startup, "100.00", "50.00")
    large = payout_run_create(actor=admin_user, period=this_month())
    assert large.payouts.count() == 5
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(large.get_absolute_url()).status_code == 200


def test_bulk_approve_leaves_an_accrual_that_was_reversed(admin_user, startup_a):
    kept, reversed_one = ledger(startup_a, "100.00", "200.00", status=CommissionStatus.ACCRUED)
    commission_reverse(actor=admin_user, commission=reversed_one, reason="Duplicate claim")
    ids = list(Commission.objects.values_list("pk", flat=True))
    assert commissions_approve_bulk(actor=admin_user, commission_ids=ids) == 1
    assert list(Commission.objects.filter(status=CommissionStatus.APPROVED)) == [kept]


def test_the_statement_shows_gross_tds_gst_net_utr_and_the_payees_ids(client_for, admin_user, manager_a, startup_a):
    BankAccount.objects.filter(startup=startup_a).delete()
    bank_details(startup_a, gstin="27AAPFU0939F1ZV")
    ledger(startup_a, "30000.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get()
    payout_pay(actor=admin_user, payout=payout, payment_reference=UTR_A)
    payout.refresh_from_db()
    assert (payout.tds, payout.gst, payout.net) == (Decimal("600.00"), Decimal("5400.00"), Decimal("34800.00"))
    client = client_for(manager_a)
    xlsx = client.get(reverse("onboarding:payout-statement", args=[payout.pk, "xlsx"]))
    rows = {
        row[0]: row[-1] for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) if row
    }
    assert rows["Gross commission"] == 30000 and rows["TDS deducted (2.00%)"] == -600
    assert rows["GST added (18.00%)"] == 5400 and rows["Net paid"] == 34800
    cells = [c for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row]
    assert {"27AAPFU0939F1ZV", "AAPFU0939F", startup_a.dpiit_number, UTR_A} <= set(cells)
    pdf = client.get(reverse("onboarding:payout-statement", args=[payout.pk, "pdf"]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for figure in ("₹30,000.00", "₹600.00", "₹5,400.00", "₹34,800.00", UTR_A, "27AAPFU0939F1ZV", "AAPFU0939F"):
        assert figure in text, figure
