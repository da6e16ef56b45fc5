"""Each startup's commission totals, kept by the ledger's trigger (PostgreSQL), always equal the
ledger summed, whoever writes it; the statement's totals come from them, filtered as its rows
(elsewhere from the ledger summed, filtered the same way)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from ..filters import CommissionFilter
from ..models import Commission, CommissionTotal
from ..models.commissions import CommissionStatus
from ..services.commissions import commission_approve, commission_reverse
from ..services.payouts import commissions_approve_bulk
from .factories import ExporterFactory, StartupFactory, assign, pay_through_a_run, stage

STATEMENT = reverse("onboarding:commission-list")


def entry(startup, amount: str, status: str = CommissionStatus.ACCRUED) -> Commission:
    exporter = assign(ExporterFactory(), startup)
    return Commission.objects.create(
        startup=startup, exporter=exporter, stage=stage("storefront_live"), amount=amount, status=status
    )


def assert_kept(*startups) -> None:
    for startup in startups:
        summed = Commission.objects.filter(startup=startup).totals()
        assert CommissionTotal.objects.filter(startup=startup).totals() == summed


@pytest.mark.postgresql  # the totals are kept by triggers
def test_every_kind_of_write_keeps_the_totals_equal_to_the_ledger(admin_user, startup_a, startup_b):
    first, second, third = entry(startup_a, "1000.00"), entry(startup_a, "250.50"), entry(startup_b, "75.00")
    assert_kept(startup_a, startup_b)
    commission_approve(actor=admin_user, commission=first)  # a service's save()
    pay_through_a_run(admin_user)  # a bulk update with history
    commission_reverse(actor=admin_user, commission=first, reason="Duplicate listing")  # a negative entry
    commissions_approve_bulk(actor=admin_user, commission_ids=[second.pk, third.pk])  # a bulk update
    assert_kept(startup_a, startup_b)
    Commission.objects.filter(pk=third.pk).update(amount=Decimal("80.00"), status=CommissionStatus.PAID)
    Commission.objects.filter(pk=second.pk).update(startup=startup_b)  # moved between startups
    assert_kept(startup_a, startup_b)
    Commission.objects.filter(pk=second.pk).delete()
    assert_kept(startup_a, startup_b)
    assert CommissionTotal.objects.totals() == Commission.objects.totals()


@pytest.mark.both_databases  # read from the kept totals on PostgreSQL, summed from the ledger elsewhere
def test_the_statement_totals_follow_its_filters(client_for, admin_user, manager_b, startup_a, startup_b):
    for startup, amount, status in (
        (startup_a, "100.00", "accrued"),
        (startup_a, "40.00", "paid"),
        (startup_b, "7.00", "accrued"),
    ):
        entry(startup, amount, status)
    client = client_for(admin_user)
    cases = {
        (): Commission.objects.all(),
        (("status", "paid"),): Commission.objects.filter(status="paid"),
        (("startup_name", startup_b.brand_name or startup_b.legal_name),): Commission.objects.filter(startup=startup_b),
        (("startup", startup_a.pk), ("startup_name", str(startup_a))): Commission.objects.filter(startup=startup_a),
    }
    for params, rows in cases.items():
        assert client.get(STATEMENT, dict(params)).context["totals"] == rows.totals(), params
    own = client_for(manager_b).get(STATEMENT, {"startup": startup_a.pk})  # another startup's id: ignored
    assert own.context["totals"] == Commission.objects.filter(startup=startup_b).totals()
    assert own.context["totals"]["net"] == Decimal("7.00")


# The columns each filter with its own method reads, by the filter's name.
METHOD_FILTER_COLUMNS = {"startup_name": "startup"}


def test_every_statement_filter_touches_only_columns_the_totals_share(admin_user):
    """The statement's totals apply CommissionFilter to CommissionTotal (views/commissions.py):
    a filter on a column CommissionTotal lacks (stage, exporter, a date) must not be added
    there without another way to total the filtered rows."""
    # Both models have `id` and `amount` too, but a total's are not a commission's.
    shared = {"startup", "status"}
    for model in (Commission, CommissionTotal):
        assert shared <= {f.name for f in model._meta.get_fields()}
    filters = CommissionFilter.base_filters
    for name, spec in filters.items():
        column = METHOD_FILTER_COLUMNS.get(name) if spec.method else spec.field_name.split("__")[0]
        assert column in shared, f"CommissionFilter.{name} reads {column or 'columns not listed here'}"
    # And every filter, given a value, filters CommissionTotal without an error.
    values = {"startup_name": "Alpha", "startup": str(StartupFactory().pk), "status": CommissionStatus.PAID}
    assert values.keys() == filters.keys(), "give the new filter a value here"
    filterset = CommissionFilter(values, queryset=Commission.objects.all(), user=admin_user)
    assert filterset.is_valid(), filterset.errors
    assert not filterset.filter_queryset(CommissionTotal.objects.all()).exists()
