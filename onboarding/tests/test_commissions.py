"""The commission ledger and statement."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ..models import Commission
from ..services.commissions import (
    commission_approve,
    commission_reverse,
)
from ..services.progress import stage_event_approve, stage_event_submit
from .concurrency import race
from .downloads import downloaded
from .factories import ExporterFactory, assign, commission_rule, pay_through_a_run, stage


def earn(agent, officer, startup, code="storefront_live", evidence=None):
    previous = {"storefront_live": "membership_active", "trade_assurance": "products_listed"}[code]
    exporter = assign(ExporterFactory(), startup, stage_code=previous)
    event = stage_event_submit(
        actor=agent,
        exporter=exporter,
        stage=stage(code),
        evidence=evidence or {"evidence_url": "https://a.example/", "evidence_reference": "TA-1"},
    )
    stage_event_approve(actor=officer, event=event)
    return Commission.objects.get(exporter=exporter)


def test_no_rule_no_commission(agent_a, officer, startup_a):
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    stage_event_approve(actor=officer, event=event)
    assert not Commission.objects.exists()


def test_ledger_lifecycle_and_totals(agent_a, officer, admin_user, startup_a):
    commission_rule("storefront_live", "2000.00")
    commission_rule("trade_assurance", "1500.00")
    first = earn(agent_a, officer, startup_a)
    second = earn(agent_a, officer, startup_a, "trade_assurance")
    third = earn(agent_a, officer, startup_a)
    commission_approve(actor=admin_user, commission=first)
    pay_through_a_run(admin_user)
    commission_approve(actor=admin_user, commission=second)
    totals = Commission.objects.all().totals()
    assert totals == {
        "accrued": Decimal("2000.00"),
        "approved": Decimal("1500.00"),
        "paid": Decimal("2000.00"),
        "net": Decimal("5500.00"),
    }
    assert third.status == "accrued"
    with pytest.raises(ValidationError, match="Only accrued"):
        commission_approve(actor=admin_user, commission=first)


def test_reversal_nets_to_zero_and_leaves_the_original(agent_a, officer, admin_user, startup_a):
    commission_rule("storefront_live", "2000.00")
    original = earn(agent_a, officer, startup_a)
    reversal = commission_reverse(actor=admin_user, commission=original, reason="Storefront was fake")
    original.refresh_from_db()
    assert original.amount == Decimal("2000.00") and reversal.amount == Decimal("-2000.00")
    assert Commission.objects.all().totals()["net"] == 0
    with pytest.raises(ValidationError, match="already been reversed"):
        commission_reverse(actor=admin_user, commission=original, reason="again")
    with pytest.raises(ValidationError, match="cannot itself"):
        commission_reverse(actor=admin_user, commission=reversal, reason="again")


def test_only_admins_touch_the_ledger(client_for, agent_a, officer, manager_a, startup_a):
    commission_rule("storefront_live")
    commission = earn(agent_a, officer, startup_a)
    for user in (officer, manager_a):
        url = reverse("onboarding:commission-action", args=[commission.pk, "approve"])
        assert client_for(user).post(url).status_code == 403
    commission.refresh_from_db()
    assert commission.status == "accrued"


def test_it_checks_ownership(client_for, agent_a, officer, manager_b, startup_a):
    commission_rule("storefront_live")
    commission = earn(agent_a, officer, startup_a)
    response = client_for(manager_b).post(reverse("onboarding:commission-action", args=[commission.pk, "approve"]))
    commission.refresh_from_db()
    assert commission.status == "accrued"
    assert response.status_code == 404


@pytest.mark.both_databases
def test_other_startups_id_in_the_statement_filter_shows_nothing_of_theirs(
    client_for, agent_a, officer, manager_b, startup_a
):
    commission_rule("storefront_live")
    earn(agent_a, officer, startup_a)
    client = client_for(manager_b)
    response = client.get(reverse("onboarding:commission-list"), {"startup": startup_a.pk})
    assert response.status_code == 200 and list(response.context["page"]) == []
    exported = client.get(reverse("onboarding:commission-list"), {"startup": startup_a.pk, "export": "csv"})
    assert len(list(csv.reader(io.StringIO(downloaded(exported).decode())))) == 1  # the header only


def test_admin_approves_and_reverses_from_the_statement_but_pays_only_through_runs(
    client_for, agent_a, officer, admin_user, startup_a
):
    commission_rule("storefront_live")
    commission = earn(agent_a, officer, startup_a)
    client = client_for(admin_user)
    action = lambda name, **data: client.post(  # noqa: E731
        reverse("onboarding:commission-action", args=[commission.pk, name]), data, follow=True
    )
    assert "Approved ₹2,500.00" in action("approve").content.decode()
    # Paying one commission by itself is gone (issue 27): no button, and the action is a 404.
    assert 'name="payment_reference"' not in client.get(reverse("onboarding:commission-list")).content.decode()
    assert action("pay", payment_reference="UTR777").status_code == 404
    commission.refresh_from_db()
    assert (commission.status, commission.payment_reference) == ("approved", "")
    action("reverse", reason="Duplicate payment")
    assert Commission.objects.filter(reverses=commission).exists()


@pytest.mark.both_databases
def test_startups_see_only_their_own_statement(client_for, agent_a, officer, manager_b, startup_a, startup_b):
    commission_rule("storefront_live")
    earn(agent_a, officer, startup_a)
    response = client_for(manager_b).get(reverse("onboarding:commission-list"))
    assert list(response.context["page"]) == []
    assert response.context["totals"]["net"] == 0
    exported = downloaded(client_for(manager_b).get(reverse("onboarding:commission-list"), {"export": "csv"})).decode()
    assert len(list(csv.reader(io.StringIO(exported)))) == 1  # the header only


def test_statement_exports_csv_and_xlsx(client_for, agent_a, officer, admin_user, startup_a):
    from openpyxl import load_workbook

    commission_rule("storefront_live", "2000.00")
    commission = earn(agent_a, officer, startup_a)
    client = client_for(admin_user)
    rows = list(
        csv.reader(
            io.StringIO(downloaded(client.get(reverse("onboarding:commission-list"), {"export": "csv"})).decode())
        )
    )
    assert rows[0][:3] == ["Date", "Startup", "Exporter"]
    assert rows[1][2] == commission.exporter.legal_name and rows[1][5] == "2000.00"
    response = client.get(reverse("onboarding:commission-list"), {"export": "xlsx", "startup": startup_a.pk})
    sheet = load_workbook(io.BytesIO(downloaded(response))).active
    assert sheet.cell(row=2, column=5).value == "Storefront live"
    # Named with the date and the filter (issue 30): commissions-2026-12-04-startup-7.xlsx
    assert response["Content-Disposition"].endswith(f'-startup-{startup_a.pk}.xlsx"')
    assert 'filename="commissions-' in response["Content-Disposition"]


def test_admin_edits_commission_rules_with_validation(client_for, admin_user, officer):
    client = client_for(admin_user)
    url = reverse("onboarding:commission-rules")
    bad = client.post(url, {"stage": stage("first_order").pk, "amount": "-5", "active_from": "2026-01-01"})
    assert bad.context["form"].errors["amount"]
    bad = client.post(
        url,
        {"stage": stage("first_order").pk, "amount": "5000", "active_from": "2026-02-01", "active_to": "2026-01-01"},
    )
    assert "before the start" in bad.context["form"].errors["active_to"][0]
    client.post(url, {"stage": stage("first_order").pk, "amount": "5000", "active_from": "2026-01-01"})
    assert client_for(officer).get(url).status_code == 403


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_accrue_one_commission(agent_a, officer, admin_user, startup_a):
    commission_rule("storefront_live")
    exporter = assign(ExporterFactory(), startup_a, stage_code="membership_active")
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=stage("storefront_live"),
        evidence={"evidence_url": "https://a.example/"},
    )
    outcomes = race(*(lambda user=user: stage_event_approve(actor=user, event=event) for user in (officer, admin_user)))
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    # The second approval finds the claim decided and says so; it changes nothing.
    assert [str(e.messages[0]) for e in errors] == ["This claim is already approved: nothing was changed."]
    assert Commission.objects.filter(exporter=exporter).count() == 1
