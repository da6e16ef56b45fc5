"""Money out and back through the bank's files: the bulk-payment CSV of a run, the bank's
response marking payouts paid or failed in one transaction, refusals line by line, a failed
payout's commissions in the next run, the hold period, and the quarterly TDS summary."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ..models import Commission, Payout, PayoutLine, PayoutRun
from ..models.commissions import CommissionStatus
from ..reports.bank_files import read_response
from ..services.commissions import commission_reverse
from ..services.payouts import payout_run_create, payout_run_settle
from .concurrency import race
from .factories import ExporterFactory, assign, bank_details, stage

IST = ZoneInfo("Asia/Kolkata")
UTR_A, UTR_B = "SBIN226330123456", "HDFC226330654321"


def owed(startup, *amounts: str) -> list[Commission]:
    return [
        Commission.objects.create(
            startup=startup,
            exporter=assign(ExporterFactory(), startup),
            stage=stage("storefront_live"),
            amount=amount,
            status=CommissionStatus.APPROVED,
        )
        for amount in amounts
    ]


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def response_file(*lines: tuple, header=("Customer reference", "Amount", "UTR", "Status", "Reason")):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(lines)
    return SimpleUploadedFile("response.csv", out.getvalue().encode(), content_type="text/csv")


@pytest.fixture
def run(admin_user, startup_a, startup_b) -> PayoutRun:
    """This month's run: Alpha owed ₹3,500 and Beta ₹900, both with confirmed bank details."""
    bank_details(startup_a)
    bank_details(startup_b)
    owed(startup_a, "2000.00", "1500.00")
    owed(startup_b, "900.00")
    return payout_run_create(actor=admin_user, period=this_month())


def settle(client, run, upload):
    return client.post(reverse("onboarding:payout-bank-response", args=[run.pk]), {"response": upload})


def test_the_bank_file_has_one_neft_line_per_payable_payout_with_the_full_account(
    client_for, admin_user, run, startup_a, startup_b
):
    response = client_for(admin_user).get(reverse("onboarding:payout-bank-file", args=[run.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Payment type",
        "Beneficiary name",
        "Beneficiary account number",
        "IFSC",
        "Amount",
        "Customer reference",
        "Narration",
    ]
    alpha = run.payouts.get(startup=startup_a)
    assert rows[1] == [
        "NEFT",
        startup_a.legal_name,
        startup_a.bank_account.account_number,
        "HDFC0001234",
        "3500.00",
        alpha.reference,
        f"{run.period:%b %Y} commission {startup_a.dpiit_number}",
    ]
    assert len(rows) == 3


def test_a_payout_on_hold_is_left_out_of_the_bank_file(client_for, admin_user, run, startup_b):
    type(startup_b.bank_account).objects.filter(startup=startup_b).update(confirmed_at=None)
    rows = list(
        csv.reader(
            io.StringIO(
                client_for(admin_user).get(reverse("onboarding:payout-bank-file", args=[run.pk])).content.decode()
            )
        )
    )
    assert [r[1] for r in rows[1:]] == ["Alpha Exports Private Limited"]


def test_a_response_marks_lines_paid_or_failed_and_the_failed_ones_join_the_next_run(
    client_for, admin_user, run, startup_a, startup_b
):
    alpha, beta = run.payouts.get(startup=startup_a), run.payouts.get(startup=startup_b)
    client = client_for(admin_user)
    page = settle(
        client,
        run,
        response_file(
            (alpha.reference, "3500.00", UTR_A, "Success", ""),
            (beta.reference, "900", "", "Rejected", "Account closed"),
        ),
    )
    assert page.status_code == 200 and "Used 2 lines" in page.content.decode()
    alpha.refresh_from_db()
    beta.refresh_from_db()
    assert (alpha.payment_reference, alpha.paid_by) == (UTR_A, admin_user)
    assert set(Commission.objects.filter(startup=startup_a).values_list("status", flat=True)) == {"paid"}
    assert beta.is_failed and beta.failure_reason == "Account closed" and not beta.is_paid
    assert beta.history.first().history_user == admin_user

    later = payout_run_create(actor=admin_user, period=this_month())
    again = later.payouts.get()
    assert again.startup == startup_b and again.amount == Decimal("900.00")
    assert PayoutLine.objects.filter(payout=beta, released=True).count() == 1


def test_bad_lines_are_refused_one_by_one_and_the_good_ones_still_count(
    client_for, admin_user, run, startup_a, startup_b
):
    alpha, beta = run.payouts.get(startup=startup_a), run.payouts.get(startup=startup_b)
    client = client_for(admin_user)
    settle(client, run, response_file((alpha.reference, "3500.00", UTR_A, "Paid", "")))
    page = settle(
        client,
        run,
        response_file(
            ("PAYOUT-999999", "100.00", "SBIN226330000999", "Paid", ""),  # unknown
            (beta.reference, "1900.00", UTR_B, "Paid", ""),  # a different amount
            (alpha.reference, "3500.00", "SBIN226330000777", "Paid", ""),  # already paid
            (beta.reference, "900.00", "HDFC", "Paid", ""),  # not a UTR
            (beta.reference, "900.00", UTR_A, "Paid", ""),  # another payout's UTR
        ),
    )
    report = page.context["report"]
    assert [r.done for r in report] == [False] * 5
    texts = [r.text for r in report]
    assert "No payout of this run is PAYOUT-999999" in texts[0]
    assert "is not the ₹900.00 the bank file asked for" in texts[1]
    assert "already paid" in texts[2] and UTR_A in texts[2]
    assert "12 to 22 letters and digits" in texts[3]
    assert "already recorded" in texts[4]
    assert 'id="response-report"' in page.content.decode() and "Refused 5 lines" in page.content.decode()
    alpha.refresh_from_db()
    beta.refresh_from_db()
    assert alpha.payment_reference == UTR_A and not beta.is_paid and not beta.is_failed


def test_a_line_may_name_the_account_instead_of_the_reference(admin_user, run, startup_b):
    beta = run.payouts.get(startup=startup_b)
    upload = response_file(
        (startup_b.bank_account.account_number, "900.00", UTR_B, "Paid"),
        header=("Account number", "Amount", "UTR", "Status"),
    )
    [settled] = payout_run_settle(actor=admin_user, run=run, lines=read_response(upload.read(), upload.name))
    beta.refresh_from_db()
    assert settled.done and beta.payment_reference == UTR_B


def test_a_response_without_the_needed_columns_changes_nothing(client_for, admin_user, run):
    page = settle(client_for(admin_user), run, response_file(("x", "y"), header=("Name", "Value")))
    assert page.status_code == 400 and "has no customer reference" in page.content.decode()
    assert not Payout.objects.filter(paid_at__isnull=False).exists()


def test_a_held_payout_in_a_response_is_refused(admin_user, run, startup_b):
    type(startup_b.bank_account).objects.filter(startup=startup_b).update(confirmed_at=None)
    beta = run.payouts.get(startup=startup_b)
    upload = response_file((beta.reference, "900.00", UTR_B, "Paid", ""))
    [settled] = payout_run_settle(actor=admin_user, run=run, lines=read_response(upload.read(), upload.name))
    assert not settled.done and "on hold" in settled.text


def test_officers_and_startup_users_cannot_use_the_bank_files(client_for, officer, manager_a, agent_a, run, startup_a):
    alpha = run.payouts.get(startup=startup_a)
    for user in (officer, manager_a, agent_a):
        client = client_for(user)
        assert client.get(reverse("onboarding:payout-bank-file", args=[run.pk])).status_code == 403
        upload = response_file((alpha.reference, "3500.00", UTR_A, "Paid", ""))
        assert settle(client, run, upload).status_code == 403
    assert not Payout.objects.filter(paid_at__isnull=False).exists()


def test_the_database_refuses_a_commission_in_two_live_payouts_but_not_after_a_failure(admin_user, run, startup_a):
    line = PayoutLine.objects.filter(payout__startup=startup_a).first()
    other = Payout.objects.create(run=PayoutRun.objects.create(period=this_month()), startup=startup_a, amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(payout=other, commission=line.commission, amount=line.amount)
    PayoutLine.objects.filter(pk=line.pk).update(released=True)
    PayoutLine.objects.create(payout=other, commission=line.commission, amount=line.amount)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_admins_uploading_the_same_response_at_once_pay_each_line_once(admin_user, startup_a):
    bank_details(startup_a)
    owed(startup_a, "2000.00", "1500.00")
    run = payout_run_create(actor=admin_user, period=this_month())
    payout = run.payouts.get()
    data = f"Customer reference,Amount,UTR,Status\n{payout.reference},3500.00,{UTR_A},Paid\n".encode()

    def upload():
        return payout_run_settle(actor=admin_user, run=run, lines=read_response(data, "response.csv"))

    outcomes = race(upload, upload)
    assert all(isinstance(o, list) for o in outcomes), outcomes
    assert sorted(o[0].done for o in outcomes) == [False, True]
    assert "already paid" in next(o[0].text for o in outcomes if not o[0].done)
    assert Payout.objects.filter(paid_at__isnull=False).count() == 1
    assert Commission.objects.filter(status=CommissionStatus.PAID).count() == 2


# --- The hold period --------------------------------------------------------------------


def test_an_accrual_is_payable_only_after_the_hold_period(settings, admin_user, startup_a):
    settings.COMMISSION_HOLD_DAYS = 7
    bank_details(startup_a)
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3), tick=False):
        owed(startup_a, "2000.00")
    with time_machine.travel(now - timedelta(days=10), tick=False):
        owed(startup_a, "500.00")
    payout = payout_run_create(actor=admin_user, period=this_month()).payouts.get()
    assert payout.amount == Decimal("500.00")
    with time_machine.travel(now + timedelta(days=5), tick=False):
        later = payout_run_create(actor=admin_user, period=timezone.localdate())
    assert later.payouts.get().amount == Decimal("2000.00")


def test_a_reversal_in_the_hold_period_cancels_with_no_payment_and_no_clawback(settings, admin_user, startup_a):
    settings.COMMISSION_HOLD_DAYS = 7
    bank_details(startup_a)
    (commission,) = owed(startup_a, "2000.00")
    commission_reverse(actor=admin_user, commission=commission, reason="Storefront went dark")
    owed(startup_a, "700.00")
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        run = payout_run_create(actor=admin_user, period=timezone.localdate())
    payout = run.payouts.get()
    assert payout.amount == Decimal("700.00")
    assert not PayoutLine.objects.filter(commission__startup=startup_a, amount__lt=0).exists()
    assert not PayoutLine.objects.filter(commission=commission).exists()


# --- The quarterly TDS summary ----------------------------------------------------------


def paid_in(day: date, admin, startup, amount: str, utr: str) -> Payout:
    with time_machine.travel(datetime(day.year, day.month, day.day, 11, tzinfo=IST), tick=False):
        owed(startup, amount)
        run = payout_run_create(actor=admin, period=day)
        payout = run.payouts.get()
        upload = response_file((payout.reference, f"{payout.net:.2f}", utr, "Paid", ""))
        payout_run_settle(actor=admin, run=run, lines=read_response(upload.read(), upload.name))
    payout.refresh_from_db()
    return payout


def test_the_tds_summary_gives_each_payees_paid_and_tds_per_quarter(client_for, admin_user, startup_a, startup_b):
    bank_details(startup_a)
    bank_details(startup_b, pan="")
    paid_in(date(2025, 5, 10), admin_user, startup_a, "25000.00", "SBIN226330000101")  # Q1: 2% of 25,000
    paid_in(date(2025, 11, 10), admin_user, startup_a, "5000.00", "SBIN226330000102")  # Q3: 2% of 5,000
    paid_in(date(2026, 2, 10), admin_user, startup_b, "30000.00", "SBIN226330000103")  # Q4: 20%, no PAN
    paid_in(date(2026, 4, 10), admin_user, startup_b, "30000.00", "SBIN226330000104")  # the next year
    client = client_for(admin_user)
    page = client.get(reverse("onboarding:payout-tds"), {"year": 2025})
    alpha, beta = page.context["payees"]
    assert alpha["pan"] == "AAPFU0939F" and beta["pan"] == "No PAN"
    assert alpha["quarters"][4] == [Decimal("25000.00"), Decimal("500.00")]
    assert alpha["quarters"][10] == [Decimal("5000.00"), Decimal("100.00")]
    assert beta["quarters"][1] == [Decimal("30000.00"), Decimal("6000.00")]
    assert "₹25,000.00" in page.content.decode()
    exported = client.get(reverse("onboarding:payout-tds"), {"year": 2025, "format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Payee", "DPIIT number", "PAN", "Q1 (Apr–Jun) paid"]
    assert rows[1][2] == "AAPFU0939F" and Decimal(rows[1][3]) == 25000 and Decimal(rows[1][4]) == 500
    assert client.get(reverse("onboarding:payout-tds"), {"year": 2025, "format": "xlsx"}).status_code == 200


def test_only_admins_see_the_tds_summary(client_for, officer, manager_a, agent_a):
    for user in (officer, manager_a, agent_a):
        assert client_for(user).get(reverse("onboarding:payout-tds")).status_code == 403


def test_the_tds_summary_has_a_constant_number_of_queries(
    client_for, admin_user, startup_a, startup_b, django_assert_max_num_queries
):
    client = client_for(admin_user)
    bank_details(startup_a)
    bank_details(startup_b)
    paid_in(date(2025, 5, 10), admin_user, startup_a, "100.00", "SBIN226330000201")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("onboarding:payout-tds"), {"year": 2025})
    paid_in(date(2025, 8, 10), admin_user, startup_b, "100.00", "SBIN226330000202")
    paid_in(date(2025, 12, 10), admin_user, startup_a, "100.00", "SBIN226330000203")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("onboarding:payout-tds"), {"year": 2025}).status_code == 200
