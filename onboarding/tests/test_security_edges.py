"""The edges a security review found, closed (issue 28, points 1, 5, 6 and 7's sign-in items).
Each test names the adversary who must not get through."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from ..models import Notification, OutboxMessage, SecondStepWait, StartupMember
from ..models.notifications import NotificationKind
from ..models.outbox import MessageKind
from ..models.users import StaffRole
from ..services.notifications import notify
from ..services.startups import startup_member_remove
from ..services.users import api_token_create, user_two_factor_confirm, user_two_factor_disable, user_two_factor_start
from ..views.navigation import _unread_count as unread_count
from .api_client import API, api_for
from .conftest import PASSWORD
from .factories import MemberFactory, UserFactory
from .test_payouts import _paid_payout
from .test_two_factor import code_for, password_only

TOKEN = f"{API}/auth/token/"
VERIFY = reverse("onboarding:two-factor-verify")
OWNER_ADDRESS, THIEF_ADDRESS = "198.51.100.7", "203.0.113.9"


@pytest.fixture
def new_admin(db):
    """A programme admin who has not set up two-factor sign-in yet (or whose was just reset)."""
    return UserFactory(email="new.admin@programme.example", staff_role=StaffRole.ADMIN, is_staff=True)


@pytest.fixture
def later():
    with time_machine.travel(timezone.now() + timedelta(seconds=65), tick=False) as traveller:
        yield traveller


def ask_for_token(body: dict, address: str = THIEF_ADDRESS):
    return APIClient().post(TOKEN, body, format="json", REMOTE_ADDR=address)


# --- 1. API tokens only after a session-equivalent sign-in ---------------------------------------


def test_someone_with_a_new_admins_password_gets_no_token_until_two_factor_is_set_up(new_admin):
    response = ask_for_token({"username": new_admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"][0].startswith("Set up two-factor sign-in first")
    assert not AuthToken.objects.filter(user=new_admin).exists()


def test_the_account_page_follows_the_same_rule_through_the_same_service(new_admin):
    with pytest.raises(ValidationError, match="Set up two-factor sign-in first"):
        api_token_create(user=new_admin)


def test_an_enrolled_admin_still_needs_the_code_and_then_gets_a_token(admin_user, later):
    body = {"username": admin_user.email, "password": PASSWORD}
    assert "code" in ask_for_token(body).json()["errors"]
    issued = ask_for_token({**body, "code": code_for(TOTPDevice.objects.get(user=admin_user))})
    assert issued.status_code == 200 and issued.json()["token"]


def test_tokens_issued_on_the_password_alone_stop_working_once_two_factor_is_turned_on(officer, later):
    """An officer (two-factor optional) made tokens with the password; an intruder may hold one."""
    _, key = api_token_create(user=officer)
    device = user_two_factor_start(user=officer)
    user_two_factor_confirm(user=officer, code=code_for(device))
    assert not AuthToken.objects.filter(user=officer).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"{API}/exporters/").status_code == 401
    assert LogEntry.objects.filter(
        object_id=str(officer.pk), change_message__contains="when two-factor sign-in was turned on"
    ).exists()


def test_an_admins_reset_of_two_factor_revokes_the_persons_tokens_in_the_same_step(admin_user, officer, later):
    device = user_two_factor_start(user=officer)
    user_two_factor_confirm(user=officer, code=code_for(device))
    api_token_create(user=officer)
    user_two_factor_disable(actor=admin_user, user=officer)
    assert not AuthToken.objects.filter(user=officer).exists()
    entry = LogEntry.objects.filter(object_id=str(officer.pk)).order_by("-pk").first()
    assert entry.user == admin_user and "when two-factor sign-in was reset" in entry.change_message


def test_one_password_cannot_mint_more_than_the_cap_of_live_tokens(settings, manager_a, client_for):
    """The adversary: a leaked password minting token after token. At the cap the answer is a
    400, and the owner's own tokens are left alone (nothing is revoked to make room)."""
    settings.API_TOKENS_PER_USER = 2
    mine = [api_token_create(user=manager_a)[0].pk for _ in range(2)]
    response = ask_for_token({"username": manager_a.email, "password": PASSWORD})
    assert response.status_code == 400 and "Revoke one" in response.json()["detail"]
    page = client_for(manager_a).post(reverse("onboarding:account-api-token-create"), follow=True)
    assert "Revoke one" in page.content.decode() and not page.context.get("new_key")
    assert sorted(AuthToken.objects.filter(user=manager_a).values_list("pk", flat=True)) == sorted(mine)


def test_expired_tokens_do_not_count_towards_the_cap(settings, manager_a):
    settings.API_TOKENS_PER_USER = 1
    old, _ = api_token_create(user=manager_a)
    AuthToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(days=1))
    assert ask_for_token({"username": manager_a.email, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("content", ["json", "multipart"])
def test_the_token_endpoint_refuses_unknown_fields_by_name(manager_a, content):
    """The adversary: a client sending `is_staff` in the hope it sticks; nothing is issued."""
    body = {"username": manager_a.email, "password": PASSWORD, "is_staff": True}
    response = APIClient().post(TOKEN, body, format=content)
    assert response.status_code == 400
    assert "Unknown field" in response.json()["errors"]["is_staff"][0]
    assert not AuthToken.objects.filter(user=manager_a).exists()


def test_the_schema_says_the_token_body_is_closed_and_may_be_a_400(client_for, agent_a):
    schema = client_for(agent_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "400" in operation["responses"] and "200" in operation["responses"]
    body = schema["components"]["schemas"]["TokenRequest"]
    assert body["additionalProperties"] is False


# --- 5. Notifications follow membership ----------------------------------------------------------


def _rejection_notice(startup, person) -> Notification:
    [notice] = notify(
        recipients=[person],
        kind=NotificationKind.EVIDENCE_REJECTED,
        title="“Contacted” for Kaveri Handlooms was rejected",
        body="Officer's note: the call log shows no answer.",
        link="/exporters/",
        event_key="claim-1-rejected",
        startup_id=startup.pk,
    )
    return notice


def test_a_removed_member_reads_none_of_the_startups_notifications(client_for, manager_a, agent_a, startup_a):
    """The adversary: an agent removed from the team, still signed in, reading officers' notes."""
    notice = _rejection_notice(startup_a, agent_a)
    client = client_for(agent_a)
    assert notice.title in client.get(reverse("onboarding:notification-list")).content.decode()
    startup_member_remove(actor=manager_a, member=agent_a.memberships.get())
    agent_a.refresh_from_db()
    assert not Notification.objects.for_user(agent_a).exists()
    page = client.get(reverse("onboarding:notification-list")).content.decode()
    assert notice.title not in page and "Officer's note" not in page
    assert client.post(reverse("onboarding:notification-open", args=[notice.pk])).status_code == 404


def test_a_member_who_moves_to_another_startup_sees_only_the_new_teams_notices(
    manager_a, agent_a, startup_a, startup_b
):
    old = _rejection_notice(startup_a, agent_a)
    startup_member_remove(actor=manager_a, member=agent_a.memberships.get())
    MemberFactory(user=agent_a, startup=startup_b)
    [new] = notify(
        recipients=[agent_a],
        kind=NotificationKind.EXPORTER_HANDED,
        title="Handed",
        event_key="h-1",
        startup_id=startup_b.pk,
    )
    assert list(Notification.objects.for_user(agent_a)) == [new]
    assert old.pk not in Notification.objects.for_user(agent_a).values_list("pk", flat=True)


def test_the_email_of_a_notice_is_not_sent_to_someone_removed_before_it_went(
    manager_a, agent_a, startup_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as sends:
        notice = _rejection_notice(startup_a, agent_a)
    startup_member_remove(actor=manager_a, member=agent_a.memberships.get())
    for send in sends:
        send()
    email = OutboxMessage.objects.get(notification=notice)
    assert email.status == "skipped" and not [m for m in mail.outbox if m.to == [agent_a.email]]


def test_programme_wide_notices_stay_with_staff(officer):
    [notice] = notify(recipients=[officer], kind=NotificationKind.EVIDENCE_WAITING, title="3 waiting", event_key="w-1")
    assert list(Notification.objects.for_user(officer)) == [notice]


def test_the_bell_counts_none_of_a_former_teams_notices(client_for, manager_a, agent_a, startup_a):
    _rejection_notice(startup_a, agent_a)
    startup_member_remove(actor=manager_a, member=agent_a.memberships.get())
    agent_a.refresh_from_db()
    assert unread_count(agent_a) == 0


# --- 6. Cache-Control: no-store ------------------------------------------------------------------


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_a_signed_in_page_and_its_json_are_not_stored_by_any_cache(client_for, officer):
    """The adversary: the next person at a shared computer, opening the browser's cache."""
    client = client_for(officer)
    assert _no_store(client.get(reverse("onboarding:exporter-list")))
    assert _no_store(client.get(reverse("onboarding:exporter-lookup"), {"q": "ab"}))


def test_an_export_download_is_not_stored(client_for, officer):
    response = client_for(officer).get(reverse("onboarding:exporter-list"), {"format": "csv"})
    assert response["Content-Disposition"].startswith("attachment") and _no_store(response)


def test_a_pdf_statement_is_not_stored(client_for, admin_user, manager_a):
    payout = _paid_payout(admin_user, manager_a.active_membership.startup)
    response = client_for(manager_a).get(reverse("onboarding:payout-statement", args=[payout.pk, "pdf"]))
    assert response.status_code == 200 and _no_store(response)


def test_an_api_response_to_a_token_is_not_stored(manager_a):
    assert _no_store(api_for(manager_a).get(f"{API}/exporters/"))


def test_a_response_that_chose_its_own_cache_control_keeps_it(client):
    """The sign-in page is Django's never_cache already: no-store, never overwritten."""
    response = client.get(reverse("login"))
    assert _no_store(response)


# --- 7. The second step's wait: bounded, per address, and the owner told -------------------------


def _wrong(device) -> str:
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


def test_someone_probing_with_the_password_cannot_keep_the_owner_out(admin_user, later):
    """The adversary: a password thief typing wrong codes from their network after every unlock."""
    device = TOTPDevice.objects.get(user=admin_user)
    thief = password_only(admin_user)
    for _ in range(6):
        thief.post(VERIFY, {"code": _wrong(device)}, REMOTE_ADDR=THIEF_ADDRESS)
        later.shift(1)
    refused = thief.post(VERIFY, {"code": code_for(device)}, REMOTE_ADDR=THIEF_ADDRESS)
    assert "wrong codes in a row: wait" in str(refused.context["form"].errors["code"])
    owner = password_only(admin_user)
    assert owner.post(VERIFY, {"code": code_for(device)}, REMOTE_ADDR=OWNER_ADDRESS)["Location"] == "/"


def test_the_wait_never_exceeds_the_cap(settings, admin_user, later):
    settings.TWO_FACTOR_MAX_WAIT_MINUTES = 15
    device = TOTPDevice.objects.get(user=admin_user)
    client = password_only(admin_user)
    client.post(VERIFY, {"code": _wrong(device)}, REMOTE_ADDR=THIEF_ADDRESS)
    SecondStepWait.objects.filter(user=admin_user).update(failures=60)  # a very long run of wrong codes
    refused = client.post(VERIFY, {"code": code_for(device)}, REMOTE_ADDR=THIEF_ADDRESS)
    message = str(refused.context["form"].errors["code"])
    seconds = int(message.split("wait ")[1].split(" ")[0])
    assert 0 < seconds <= 15 * 60 + 1
    later.shift(15 * 60 + 2)
    assert client.post(VERIFY, {"code": code_for(device)}, REMOTE_ADDR=THIEF_ADDRESS)["Location"] == "/"


def test_the_owner_is_emailed_once_per_run_of_wrong_codes(
    settings, admin_user, later, django_capture_on_commit_callbacks
):
    settings.TWO_FACTOR_ALERT_AFTER = 3
    device = TOTPDevice.objects.get(user=admin_user)
    thief = password_only(admin_user)

    def wrong_codes(n: int) -> None:
        for _ in range(n):
            later.shift(16 * 60)  # past the wait each wrong code earns (15 minutes at most): each one counts
            thief.post(VERIFY, {"code": _wrong(device)}, REMOTE_ADDR=THIEF_ADDRESS)

    alerts = OutboxMessage.objects.filter(kind=MessageKind.TWO_FACTOR_FAILURES, recipient=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        wrong_codes(6)
    assert alerts.count() == 1
    [email] = [m for m in mail.outbox if m.to == [admin_user.email]]
    assert "Wrong two-factor codes" in email.subject and "Change it now" in email.body
    later.shift(60)
    assert (
        password_only(admin_user).post(VERIFY, {"code": code_for(device)}, REMOTE_ADDR=OWNER_ADDRESS).status_code == 302
    )
    with django_capture_on_commit_callbacks(execute=True):
        wrong_codes(3)
    assert alerts.count() == 2


# --- 7. The team form tells a manager nothing about who has an account ---------------------------


def test_a_manager_gets_the_same_answer_for_any_address(client_for, manager_a, manager_b, officer):
    """The adversary: a manager probing the form for a competitor's staff or the programme's."""
    client = client_for(manager_a)

    def answer(email: str) -> tuple[int, str]:
        response = client.post(reverse("onboarding:team"), {"email": email})
        follow = client.get(response["Location"])
        text = " ".join(str(m) for m in follow.context["messages"]).replace(email.lower(), "<email>")
        return response.status_code, text

    answers = {answer(email) for email in ("nobody.yet@elsewhere.example", manager_b.email, officer.email)}
    assert len(answers) == 1
    assert not StartupMember.objects.filter(user__in=[manager_b, officer], startup=manager_a.startup).exists()
    assert StartupMember.objects.filter(user__email="nobody.yet@elsewhere.example", startup=manager_a.startup).exists()


# --- 7. The API's schema and docs are for its users ----------------------------------------------


def test_anonymous_visitors_get_neither_the_schema_nor_the_docs(client, db):
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("login"))


def test_an_integration_with_a_token_reads_the_schema(agent_a):
    response = api_for(agent_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200 and "/api/v1/auth/token/" in response.json()["paths"]
