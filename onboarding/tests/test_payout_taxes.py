"""TDS and GST on payouts, from the dated TaxRule rows: the 1 Oct 2024 rate change (5% → 2%),
the ₹15,000 → ₹20,000 threshold change of 1 Apr 2025, the 20% rate without a PAN, GST only for
a payee with a GSTIN, and the rupee rounding of TDS."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ..models import Commission, Payout, TaxRule
from ..models.commissions import CommissionStatus
from ..models.tax_rules import TaxKind, financial_year
from ..services.payouts import payout_run_create
from .factories import ExporterFactory, assign, bank_details, stage

IST = ZoneInfo("Asia/Kolkata")
GSTIN_A = "27AAPFU0939F1ZV"


def paid_on(day: date, admin, startup, amount: str) -> Payout:
    """A commission of `amount` approved and put in a run on `day`: the run reckons its taxes."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=IST), tick=False):
        Commission.objects.create(
            startup=startup,
            exporter=assign(ExporterFactory(), startup),
            stage=stage("storefront_live"),
            amount=amount,
            status=CommissionStatus.APPROVED,
        )
        return payout_run_create(actor=admin, period=day).payouts.get()


def test_the_seeded_rules_follow_the_law_as_it_changed(db):
    on = TaxRule.objects.in_force
    assert on(TaxKind.TDS, date(2024, 9, 30)).rate == Decimal("5.00")
    assert on(TaxKind.TDS, date(2024, 10, 1)).rate == Decimal("2.00")
    assert on(TaxKind.TDS, date(2025, 3, 31)).threshold == Decimal("15000.00")
    assert on(TaxKind.TDS, date(2025, 4, 1)).threshold == Decimal("20000.00")
    assert "2025 s.393(1)" in on(TaxKind.TDS, date(2026, 4, 1)).legal_reference
    assert "194H" in on(TaxKind.TDS, date(2026, 3, 31)).legal_reference
    assert on(TaxKind.TDS, date(2026, 4, 1)).no_pan_rate == Decimal("20.00")
    assert on(TaxKind.GST, date(2026, 12, 4)).rate == Decimal("18.00")


def test_tds_is_5_percent_until_30_september_2024_and_2_percent_from_1_october(admin_user, startup_a):
    bank_details(startup_a)
    september = paid_on(date(2024, 9, 20), admin_user, startup_a, "16000.00")
    october = paid_on(date(2024, 10, 15), admin_user, startup_a, "10000.00")
    assert (september.tds_rate, september.tds, september.net) == (
        Decimal("5.00"),
        Decimal("800.00"),
        Decimal("15200.00"),
    )
    # The year's total was past the threshold already: TDS on the whole of October's payment.
    assert (october.tds_rate, october.tds, october.net) == (Decimal("2.00"), Decimal("200.00"), Decimal("9800.00"))


def test_crossing_the_threshold_deducts_tds_on_the_years_earlier_untaxed_payments_too(admin_user, startup_a):
    bank_details(startup_a)
    first = paid_on(date(2024, 11, 5), admin_user, startup_a, "10000.00")
    second = paid_on(date(2024, 12, 5), admin_user, startup_a, "6000.00")
    assert first.tds == 0  # ₹10,000 in the year: under ₹15,000
    # ₹16,000 in the year: over the threshold, so TDS on all ₹16,000 at 2%, deducted now.
    assert (second.tds_base, second.tds) == (Decimal("16000.00"), Decimal("320.00"))


def test_the_threshold_is_15000_until_march_2025_and_20000_from_april_2025(admin_user, startup_a, startup_b):
    bank_details(startup_a)
    bank_details(startup_b)
    march = paid_on(date(2025, 3, 10), admin_user, startup_a, "18000.00")
    may = paid_on(date(2025, 5, 10), admin_user, startup_b, "18000.00")
    assert march.tds == Decimal("360.00")  # over ₹15,000 in FY 2024-25
    assert may.tds == 0  # under ₹20,000 in FY 2025-26
    june = paid_on(date(2025, 6, 10), admin_user, startup_b, "5000.00")
    assert (june.tds_base, june.tds) == (Decimal("23000.00"), Decimal("460.00"))


def test_a_new_financial_year_starts_the_total_again(admin_user, startup_a):
    bank_details(startup_a)
    paid_on(date(2025, 3, 10), admin_user, startup_a, "18000.00")
    april = paid_on(date(2025, 4, 10), admin_user, startup_a, "5000.00")
    assert april.tds == 0
    assert financial_year(date(2025, 3, 31)) == (date(2024, 4, 1), date(2025, 3, 31))


def test_exactly_the_threshold_is_not_over_it(admin_user, startup_a):
    bank_details(startup_a)
    assert paid_on(date(2025, 5, 10), admin_user, startup_a, "20000.00").tds == 0


def test_a_payee_without_a_pan_has_tds_at_20_percent(admin_user, startup_a):
    bank_details(startup_a, pan="")
    payout = paid_on(date(2025, 5, 10), admin_user, startup_a, "25000.00")
    assert (payout.tds_rate, payout.tds, payout.net) == (Decimal("20.00"), Decimal("5000.00"), Decimal("20000.00"))


def test_an_invalid_pan_on_record_counts_as_no_pan(admin_user, startup_a):
    bank_details(startup_a, pan="")
    startup_a.pan = "AAPXU0939F"  # X is no holder type
    startup_a.save()
    assert paid_on(date(2025, 5, 10), admin_user, startup_a, "25000.00").tds_rate == Decimal("20.00")


def test_gst_is_added_only_for_a_payee_with_a_gstin(admin_user, startup_a, startup_b):
    bank_details(startup_a, gstin=GSTIN_A)
    bank_details(startup_b)
    with_gstin = paid_on(date(2026, 11, 10), admin_user, startup_a, "25000.00")
    assert (with_gstin.gst_rate, with_gstin.gst) == (Decimal("18.00"), Decimal("4500.00"))
    # TDS is on the commission without GST; the bank pays commission + GST − TDS.
    assert (with_gstin.tds, with_gstin.net) == (Decimal("500.00"), Decimal("29000.00"))
    other = paid_on(date(2026, 11, 11), admin_user, startup_b, "25000.00")
    assert (other.gst, other.gst_rate, other.net) == (Decimal("0.00"), None, Decimal("24500.00"))


@pytest.mark.parametrize(("amount", "tds"), [("20012.30", "400.00"), ("20037.50", "401.00"), ("20025.00", "401.00")])
def test_tds_is_rounded_to_the_nearest_rupee(admin_user, startup_a, amount, tds):
    bank_details(startup_a)
    assert paid_on(date(2025, 5, 10), admin_user, startup_a, amount).tds == Decimal(tds)


def test_a_tax_rule_may_not_overlap_another_of_its_kind(db):
    rule = TaxRule(
        kind=TaxKind.TDS,
        rate=Decimal("1.00"),
        no_pan_rate=Decimal("20.00"),
        effective_from=date(2027, 1, 1),
        legal_reference="A future change",
    )
    with pytest.raises(ValidationError) as refusal:
        rule.full_clean()
    assert "overlaps" in refusal.value.message_dict["effective_from"][0]
    TaxRule.objects.filter(kind=TaxKind.TDS, effective_to__isnull=True).update(effective_to=date(2026, 12, 31))
    rule.full_clean()  # once the rule in force is ended, the next one fits


def test_admins_edit_tax_rules_in_django_admin_and_officers_cannot(client_for, admin_user, officer):
    rule = TaxRule.objects.filter(kind=TaxKind.GST).get()
    url = f"/admin/onboarding/taxrule/{rule.pk}/change/"
    assert client_for(officer).get(url).status_code in (302, 403)
    assert client_for(admin_user).get(url).status_code == 200
