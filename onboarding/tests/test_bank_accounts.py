"""A startup's bank details: set by an admin, checked field by field, masked everywhere but the
admin's edit form, and confirmed by a second admin before the startup's payouts can be paid."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ..management import demo
from ..models import BankAccount, Commission
from ..models.commissions import CommissionStatus
from ..models.users import StaffRole
from ..services.payouts import payout_run_create
from .api_client import API, api_for
from .factories import ExporterFactory, UserFactory, assign, stage

ACCOUNT = "50100123456789"
DETAILS = {
    "holder_name": "Alpha Exports Private Limited",
    "account_number": "5010 0123 4567 89",
    "ifsc": "hdfc0001234",
    "pan": "AAPFU0939F",
    "gstin": "",
}


@pytest.fixture
def second_admin(db):
    """Another programme admin: the second pair of eyes on bank details."""
    user = UserFactory(email="second.admin@programme.example", staff_role=StaffRole.ADMIN, is_staff=True)
    demo.authenticator_for(user)
    return user


def bank_url(startup) -> str:
    return reverse("onboarding:startup-bank", args=[startup.pk])


def confirm_url(startup) -> str:
    return reverse("onboarding:startup-bank-confirm", args=[startup.pk])


def owed(startup, amount: str = "2000.00") -> Commission:
    return Commission.objects.create(
        startup=startup,
        exporter=assign(ExporterFactory(), startup),
        stage=stage("storefront_live"),
        amount=amount,
        status=CommissionStatus.APPROVED,
    )


def test_an_admin_enters_bank_details_normalised_and_audited(client_for, admin_user, startup_a):
    response = client_for(admin_user).post(bank_url(startup_a), DETAILS)
    assert response.status_code == 302
    account = BankAccount.objects.get(startup=startup_a)
    assert (account.account_number, account.ifsc, account.bank_code) == (ACCOUNT, "HDFC0001234", "HDFC")
    assert account.changed_by == admin_user and not account.is_confirmed
    assert account.history.first().history_user == admin_user


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ifsc", "HDFC1001234", "four letters (the bank), a zero"),
        ("ifsc", "HDF00001234", "four letters (the bank), a zero"),
        ("account_number", "12345678", "9 to 18 digits"),
        ("account_number", "5010012345678X", "9 to 18 digits"),
        ("pan", "AAPXU0939F", "holder type"),
        ("gstin", "27AAPFU0939F1ZO", "check character"),
    ],
)
def test_a_wrong_ifsc_account_pan_or_gstin_is_an_error_on_its_field(
    client_for, admin_user, startup_a, field, value, message
):
    response = client_for(admin_user).post(bank_url(startup_a), {**DETAILS, field: value})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not BankAccount.objects.exists()


def test_a_gstin_of_another_pan_than_the_payees_is_refused(client_for, admin_user, startup_a):
    response = client_for(admin_user).post(
        bank_url(startup_a), {**DETAILS, "pan": "AAACL1234A", "gstin": "27AAPFU0939F1ZV"}
    )
    assert response.status_code == 400 and "holds the PAN" in response.context["form"].errors["gstin"][0]


def test_a_second_admin_confirms_and_the_admin_who_changed_them_cannot(client_for, admin_user, second_admin, startup_a):
    client_for(admin_user).post(bank_url(startup_a), DETAILS)
    # The adversary: the admin who typed the details, confirming their own change.
    refused = client_for(admin_user).post(confirm_url(startup_a), follow=True)
    assert "another admin must confirm" in refused.content.decode()
    assert not BankAccount.objects.get().is_confirmed
    client_for(second_admin).post(confirm_url(startup_a))
    account = BankAccount.objects.get()
    assert account.is_confirmed and account.confirmed_by == second_admin
    assert account.history.first().history_user == second_admin


def test_a_change_holds_the_startups_unpaid_payouts_until_confirmed(client_for, admin_user, second_admin, startup_a):
    owed(startup_a)
    payout = payout_run_create(actor=admin_user, period=timezone.localdate()).payouts.get()
    client_for(admin_user).post(bank_url(startup_a), DETAILS)
    client_for(second_admin).post(confirm_url(startup_a))
    payout.refresh_from_db()
    assert not payout.is_held
    client_for(admin_user).post(bank_url(startup_a), {**DETAILS, "account_number": "50100999999999"})
    payout = type(payout).objects.select_related("startup__bank_account").get(pk=payout.pk)
    assert payout.is_held
    bank_file = reverse("onboarding:payout-bank-file", args=[payout.run_id])
    run_page = client_for(admin_user).get(payout.run.get_absolute_url()).content.decode()
    assert "On hold" in run_page and bank_file not in run_page
    client_for(second_admin).post(confirm_url(startup_a))
    assert bank_file in client_for(admin_user).get(payout.run.get_absolute_url()).content.decode()


def test_confirming_with_a_new_pan_reckons_the_held_payouts_taxes_again(
    client_for, admin_user, second_admin, startup_a
):
    owed(startup_a, "30000.00")
    payout = payout_run_create(actor=admin_user, period=timezone.localdate()).payouts.get()
    assert payout.tds_rate == 20  # no PAN on record yet
    client_for(admin_user).post(bank_url(startup_a), DETAILS)
    client_for(second_admin).post(confirm_url(startup_a))
    payout.refresh_from_db()
    assert payout.tds_rate == 2 and payout.net == 30000 - 600


def test_officers_and_startup_users_cannot_change_or_confirm_bank_details(
    client_for, admin_user, officer, manager_a, agent_a, startup_a
):
    client_for(admin_user).post(bank_url(startup_a), DETAILS)
    for user in (officer, manager_a, agent_a):
        client = client_for(user)
        assert client.post(bank_url(startup_a), {**DETAILS, "account_number": "99999999999"}).status_code == 403
        assert client.post(confirm_url(startup_a)).status_code == 403
    account = BankAccount.objects.get()
    assert account.account_number == ACCOUNT and not account.is_confirmed


def test_another_startups_manager_gets_a_404_for_its_bank_details(client_for, admin_user, manager_b, startup_a):
    client_for(admin_user).post(bank_url(startup_a), DETAILS)
    client = client_for(manager_b)
    assert client.get(bank_url(startup_a)).status_code == 404
    assert client.post(confirm_url(startup_a)).status_code == 404


def test_the_account_number_is_masked_everywhere_but_the_admins_edit_form(
    client_for, admin_user, second_admin, manager_a, officer, startup_a
):
    client_for(admin_user).post(bank_url(startup_a), DETAILS)
    client_for(second_admin).post(confirm_url(startup_a))
    owed(startup_a)
    payout = payout_run_create(actor=admin_user, period=timezone.localdate()).payouts.get()

    edit_form = client_for(admin_user).get(bank_url(startup_a))
    assert f'value="{ACCOUNT}"' in edit_form.content.decode()  # the one place it is shown in full
    assert "XXXXXX6789" in edit_form.content.decode()
    screens = {
        "manager's bank page": client_for(manager_a).get(bank_url(startup_a)),
        "officer's bank page": client_for(officer).get(bank_url(startup_a)),
        "startup page": client_for(manager_a).get(startup_a.get_absolute_url()),
        "run page": client_for(admin_user).get(payout.run.get_absolute_url()),
        "statement PDF": client_for(manager_a).get(reverse("onboarding:payout-statement", args=[payout.pk, "pdf"])),
        "payout list": client_for(manager_a).get(reverse("onboarding:payout-list")),
        "API startup": api_for(manager_a).get(f"{API}/startups/{startup_a.pk}/"),
    }
    xlsx = client_for(manager_a).get(reverse("onboarding:payout-statement", args=[payout.pk, "xlsx"]))
    cells = [str(c) for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row]
    for name, response in screens.items():
        assert response.status_code == 200, name
        assert ACCOUNT.encode() not in response.content, name
    assert not any(ACCOUNT in cell for cell in cells)
    assert "XXXXXX6789" in client_for(manager_a).get(bank_url(startup_a)).content.decode()
    assert "XXXXXX6789" in cells
