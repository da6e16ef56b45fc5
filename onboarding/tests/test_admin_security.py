"""Django admin: officers look at the programme's records and nothing else; nobody changes
there what the portal's forms and services change; stages are configured with checked evidence."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from ..management import demo
from ..models import Activity, Commission, Exporter, Stage, StageEvent, Startup, StartupMember, User
from ..models.stages import EvidenceField
from ..models.users import OFFICER_ADMIN_MODELS, StaffRole
from .conftest import PortalClient
from .factories import UserFactory, stage


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_page(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def signed_in(user) -> PortalClient:
    client = PortalClient()
    client.force_login(user)
    return client


@pytest.fixture
def officer_client(officer):
    """An officer in Django admin (which needs two-factor sign-in)."""
    demo.authenticator_for(officer)
    return signed_in(officer)


@pytest.fixture
def admin_client(admin_user):
    return signed_in(admin_user)


# --- Least privilege -------------------------------------------------------------------------


def test_officer_gets_403_on_every_admin_model_not_on_the_allow_list(officer_client):
    refused = [
        model
        for model in admin.site._registry
        if not (model._meta.app_label == "onboarding" and model._meta.model_name in OFFICER_ADMIN_MODELS)
    ]
    # API tokens, sign-in records and users are among them, whichever token app is installed.
    labels = {model._meta.label_lower for model in refused}
    assert any("token" in label for label in labels)
    assert {"axes.accessattempt", "axes.accesslog", "onboarding.user"} <= labels
    statuses = {model._meta.label_lower: officer_client.get(changelist(model)).status_code for model in refused}
    assert statuses == dict.fromkeys(labels, 403)


def test_officer_cannot_open_a_users_change_page_with_its_password_hash(officer_client, admin_user):
    response = officer_client.get(change_page(admin_user))
    assert response.status_code == 403
    algorithm, _, secret = admin_user.password.rpartition("$")
    assert secret.encode() not in response.content and algorithm.encode() not in response.content


def test_the_token_and_sign_in_record_apps_do_not_exist_for_officers(officer_client, admin_client):
    for app_label in {m._meta.app_label for m in admin.site._registry} - {"onboarding"}:
        url = reverse("admin:app_list", args=[app_label])
        assert (officer_client.get(url).status_code, admin_client.get(url).status_code) == (404, 200), app_label


def test_admin_index_shows_officers_only_the_programmes_records(officer_client):
    apps = officer_client.get(reverse("admin:index")).context["app_list"]
    shown = {(app["app_label"], model["object_name"].lower()) for app in apps for model in app["models"]}
    registered = {m._meta.model_name for m in admin.site._registry if m._meta.app_label == "onboarding"}
    assert shown == {("onboarding", name) for name in OFFICER_ADMIN_MODELS if name in registered}
    assert len(shown) >= 10


def test_no_admin_page_shows_sessions_two_factor_devices_or_groups(admin_client):
    for path in (
        "/admin/sessions/session/",
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_static/staticdevice/",
        "/admin/auth/group/",
    ):
        assert admin_client.get(path).status_code == 404, path


def test_admin_can_open_token_sign_in_record_and_user_pages(admin_client, admin_user):
    for model in admin.site._registry:
        assert admin_client.get(changelist(model)).status_code == 200, model
    page = admin_client.get(change_page(admin_user))
    assert page.status_code == 200


def test_officer_sees_an_exporter_read_only_with_a_link_to_the_portal(officer_client, exporter_a):
    assert officer_client.get(changelist(Exporter)).status_code == 200
    page = officer_client.get(change_page(exporter_a))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert f'href="{exporter_a.get_absolute_url()}"' in content


def test_officer_cannot_post_changes_in_admin(officer_client, exporter_a, startup_b):
    response = officer_client.post(change_page(exporter_a), {"legal_name": "Renamed", "startup": startup_b.pk})
    assert response.status_code == 403
    contacted = stage("contacted")
    response = officer_client.post(change_page(contacted), {"name": "Renamed", "sla_days": 1, "order": 2})
    assert response.status_code == 403
    exporter_a.refresh_from_db()
    contacted.refresh_from_db()
    assert (exporter_a.legal_name, exporter_a.startup_id, contacted.name) == (
        "Alpha Garments LLP",
        exporter_a.startup_id,
        "Contacted",
    )


@pytest.mark.parametrize("persona", ["officer_client", "admin_client"])
def test_nobody_reverts_an_exporter_through_its_history_page(request, persona, exporter_a, startup_b):
    client = request.getfixturevalue(persona)
    version = exporter_a.history.order_by("history_id").first()
    url = reverse("admin:onboarding_exporter_simple_history", args=[exporter_a.pk, version.history_id])
    response = client.post(url, {"legal_name": "Reverted", "gstin": "27AAAAA0000A1Z5", "startup": startup_b.pk})
    assert response.status_code == 403
    exporter_a.refresh_from_db()
    assert exporter_a.legal_name == "Alpha Garments LLP"


# --- No back door around the portal's forms and services ------------------------------------


def test_admin_cannot_add_an_exporter_with_a_bad_gstin(admin_client):
    before = Exporter.objects.count()
    response = admin_client.post(
        reverse("admin:onboarding_exporter_add"), {"legal_name": "Bad GSTIN LLP", "gstin": "27AAPFU0939F1Z9"}
    )
    assert response.status_code == 403
    assert Exporter.objects.count() == before


def test_admin_cannot_change_an_exporters_gstin_startup_or_stage(admin_client, exporter_a, startup_b):
    data = {
        "legal_name": exporter_a.legal_name,
        "gstin": "99AAPFU0939F1ZV",
        "startup": startup_b.pk,
        "current_stage": stage("first_order").pk,
    }
    assert admin_client.post(change_page(exporter_a), data).status_code == 403
    before = (exporter_a.gstin, exporter_a.startup_id, exporter_a.current_stage_id)
    exporter_a.refresh_from_db()
    assert (exporter_a.gstin, exporter_a.startup_id, exporter_a.current_stage_id) == before


def test_admin_cannot_register_or_edit_a_startup_with_a_bad_dpiit_number(admin_client, startup_a):
    before = (Startup.objects.count(), startup_a.dpiit_number)
    add = admin_client.post(reverse("admin:onboarding_startup_add"), {"legal_name": "X Pvt Ltd", "dpiit_number": "42"})
    change = admin_client.post(change_page(startup_a), {"legal_name": startup_a.legal_name, "dpiit_number": "42"})
    assert (add.status_code, change.status_code) == (403, 403)
    startup_a.refresh_from_db()
    assert (Startup.objects.count(), startup_a.dpiit_number) == before


def test_admin_cannot_add_a_startup_member_in_admin(admin_client, startup_a, manager_a):
    outsider = UserFactory()
    data = {
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "1",
        "members-0-id": StartupMember.objects.get(user=manager_a).pk,
        "members-1-user": outsider.pk,
        "members-1-role": "manager",
    }
    assert admin_client.post(change_page(startup_a), data).status_code == 403
    assert not StartupMember.objects.filter(user=outsider).exists()
    page = admin_client.get(change_page(startup_a)).content.decode()
    assert str(manager_a) in page and 'name="members-0-user"' not in page


@pytest.mark.parametrize("model", [Exporter, Startup, StageEvent, Activity, Commission])
def test_programme_records_cannot_be_deleted_in_admin(admin_client, api_objects, model):
    obj = model.objects.first()
    url = reverse(f"admin:onboarding_{model._meta.model_name}_delete", args=[obj.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


# --- Staff users ----------------------------------------------------------------------------


def user_form(user, **changes) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "weekly_digest": "on",
        "staff_role": user.staff_role,
        "is_active": "on",
    }
    return {**data, **changes}


def test_admin_makes_a_person_an_officer_who_may_then_use_django_admin(admin_client):
    person = UserFactory()
    response = admin_client.post(change_page(person), user_form(person, staff_role=StaffRole.OFFICER))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.staff_role, person.is_staff, person.is_superuser) == (StaffRole.OFFICER, True, False)


def test_admin_adds_an_officer_account(admin_client):
    data = {
        "email": "new.officer@programme.example",
        "password1": "a-long-enough-passphrase-42",
        "password2": "a-long-enough-passphrase-42",
        "staff_role": StaffRole.OFFICER,
    }
    assert admin_client.post(reverse("admin:onboarding_user_add"), data).status_code == 302
    person = User.objects.get(email="new.officer@programme.example")
    assert (person.staff_role, person.is_staff, person.is_superuser) == (StaffRole.OFFICER, True, False)


def test_admin_cannot_make_a_startup_member_programme_staff(admin_client, manager_a):
    response = admin_client.post(change_page(manager_a), user_form(manager_a, staff_role=StaffRole.OFFICER))
    assert response.status_code == 200
    assert "belongs to a startup team" in str(response.context["adminform"].form.errors["staff_role"])
    manager_a.refresh_from_db()
    assert manager_a.staff_role == ""


def test_admin_cannot_make_anyone_a_superuser_in_admin(admin_client):
    person = UserFactory()
    admin_client.post(change_page(person), user_form(person, is_superuser="on", is_staff="on"))
    person.refresh_from_db()
    assert (person.is_superuser, person.is_staff) == (False, False)


def test_admin_resets_a_colleagues_two_factor_sign_in_from_the_user_list(admin_client, admin_user):
    colleague = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)
    demo.authenticator_for(colleague)
    data = {"action": "reset_two_factor", "_selected_action": [colleague.pk, admin_user.pk]}
    response = admin_client.post(changelist(User), data, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert f"{colleague.email}: two-factor sign-in reset." in texts
    assert any(admin_user.email in t and "must keep" in t for t in texts)
    colleague.refresh_from_db()
    admin_user.refresh_from_db()
    assert (colleague.two_factor_enabled, admin_user.two_factor_enabled) == (False, True)


def test_nobody_deletes_a_user_in_admin(admin_client, officer):
    url = reverse("admin:onboarding_user_delete", args=[officer.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=officer.pk).exists()


# --- Stages: configured here, with checked evidence fields ----------------------------------


def stage_form(s: Stage, **changes) -> dict:
    data = {
        "name": s.name,
        "order": s.order,
        "sla_days": s.sla_days,
        "description": s.description,
        "evidence_fields": list(s.evidence_fields),
        "auto_approve": "on" if s.auto_approve else "",
    }
    return {**data, **changes}


def test_admin_changes_a_stages_sla_and_evidence_keeping_its_order(admin_client):
    products = stage("products_listed")
    data = stage_form(products, sla_days=21, evidence_fields=["url", "number", "note"])
    assert admin_client.post(change_page(products), data).status_code == 302
    products.refresh_from_db()
    assert (products.sla_days, products.evidence_fields) == (21, ["number", "url", "note"])


@pytest.mark.parametrize("evidence", [["url", "bogus"], ["url", "url"]])
def test_a_stage_with_an_unknown_or_repeated_evidence_field_is_refused_with_a_field_error(admin_client, evidence):
    storefront = stage("storefront_live")
    response = admin_client.post(change_page(storefront), stage_form(storefront, evidence_fields=evidence))
    assert response.status_code == 200
    assert "evidence_fields" in response.context["adminform"].form.errors
    storefront.refresh_from_db()
    assert storefront.evidence_fields == ["url"]


def test_a_stage_code_is_fixed_once_made(admin_client):
    contacted = stage("contacted")
    admin_client.post(change_page(contacted), stage_form(contacted, code="reached"))
    contacted.refresh_from_db()
    assert contacted.code == "contacted"


def test_admin_adds_a_stage_with_a_plain_code_and_an_order_from_one(admin_client):
    url = reverse("admin:onboarding_stage_add")
    base = {"name": "Repeat order", "sla_days": 90, "description": "", "evidence_fields": ["reference"]}
    refused = admin_client.post(url, {**base, "code": "Repeat-Order", "order": 0})
    assert set(refused.context["adminform"].form.errors) == {"code", "order"}
    assert admin_client.post(url, {**base, "code": "repeat_order", "order": 11}).status_code == 302
    assert Stage.objects.get(code="repeat_order").evidence_fields == ["reference"]


def test_stage_clean_refuses_unknown_repeated_or_malformed_evidence_fields(db):
    for evidence in (["url", "bogus"], ["note", "note"], "url", [{"url": 1}]):
        candidate = Stage(code="x_stage", name="X", order=50, sla_days=3, evidence_fields=evidence)
        with pytest.raises(ValidationError) as refused:
            candidate.full_clean()
        assert "evidence_fields" in refused.value.message_dict, evidence
    Stage(code="x_stage", name="X", order=50, sla_days=3, evidence_fields=list(EvidenceField)).full_clean()


def test_evidence_submission_for_a_stage_with_junk_stored_evidence_fields_is_not_a_500(client_for, agent_a, exporter_a):
    # A row written around the checks (a shell, an old backup): the portal reads what it knows.
    Stage.objects.filter(code="contacted").update(evidence_fields=["note", "bogus", "note", 7])
    client = client_for(agent_a)
    url = reverse("onboarding:exporter-submit-stage", args=[exporter_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert list(page.context["form"].fields) == ["note", "evidence_file"]
    response = client.post(url, {"note": "Called the owner"})
    assert response.status_code == 302
    assert StageEvent.objects.get(exporter=exporter_a, stage__code="contacted").note == "Called the owner"
