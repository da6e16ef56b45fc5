"""A startup's optional GSTIN: checked and normalised like an exporter's, in the state the startup
is registered in, one startup's only (many have none), editable on the form and through the API,
shown on the startup page and in admin."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from ..models import Startup
from .api_client import API, api_for, startup_body
from .factories import StartupFactory
from .test_startup_pages import GOOD

KARNATAKA = "29AABCT1234K1ZB"  # GOOD's startup is in Karnataka (29)
MAHARASHTRA = "27AAPFU0939F1ZV"  # startup_a is in Maharashtra (27)
ANOTHER_IN_MAHARASHTRA = "27AAACR5055K1Z7"


def register(client, **changes):
    return client.post(reverse("onboarding:startup-create"), {**GOOD, **changes})


def test_a_gstin_typed_in_lower_case_with_spaces_is_kept_normalised(client_for, admin_user):
    response = register(client_for(admin_user), gstin=" 29 aabct 1234 k1zb ")
    assert response.status_code == 302, response.context["form"].errors
    assert Startup.objects.get().gstin == KARNATAKA


def test_the_gstin_is_optional_and_many_startups_have_none(client_for, admin_user, startup_a, startup_b):
    assert register(client_for(admin_user), gstin="").status_code == 302
    assert set(Startup.objects.values_list("gstin", flat=True)) == {""}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"gstin": "29AABCT1234K1ZC"}, "gstin", "check character does not match"),
        ({"gstin": "29AABCT1234K1Z"}, "gstin", "15 characters"),
        ({"gstin": MAHARASHTRA}, "state", "registered in Maharashtra, not Karnataka"),
        ({"gstin": KARNATAKA, "pan": "AAPFU0939F"}, "pan", "expected AABCT1234K"),
    ],
)
def test_a_wrong_gstin_gets_a_field_message_and_writes_nothing(client_for, admin_user, changes, field, message):
    response = register(client_for(admin_user), **changes)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["form"]["gstin"].value() == changes["gstin"]  # what was typed is kept
    assert not Startup.objects.exists()


def test_another_startups_gstin_is_refused(client_for, admin_user, startup_a):
    Startup.objects.filter(pk=startup_a.pk).update(state="29", gstin=KARNATAKA)
    response = register(client_for(admin_user), gstin=KARNATAKA.lower())
    assert "Another startup is already registered with this GSTIN" in response.context["form"].errors["gstin"][0]
    assert Startup.objects.count() == 1


def test_a_startup_keeps_its_own_gstin_when_edited(client_for, admin_user, startup_a):
    Startup.objects.filter(pk=startup_a.pk).update(gstin=MAHARASHTRA)
    data = {**GOOD, "dpiit_number": startup_a.dpiit_number, "state": "27", "gstin": MAHARASHTRA, "capacity": "9"}
    response = client_for(admin_user).post(reverse("onboarding:startup-update", args=[startup_a.pk]), data)
    assert response.status_code == 302
    startup_a.refresh_from_db()
    assert (startup_a.gstin, startup_a.capacity) == (MAHARASHTRA, 9)


def test_the_database_keeps_a_given_gstin_to_one_startup_but_any_number_blank(db):
    StartupFactory.create_batch(2, gstin="")
    StartupFactory(gstin=MAHARASHTRA)
    with pytest.raises(IntegrityError), transaction.atomic():
        StartupFactory(gstin=MAHARASHTRA)


def test_the_form_shows_the_gstin_beside_the_dpiit_number_with_help(client_for, admin_user):
    html = client_for(admin_user).get(reverse("onboarding:startup-create")).content.decode()
    assert html.index('name="dpiit_number"') < html.index('name="gstin"') < html.index('name="cin"')
    assert "printed on payout statements" in html


def test_the_startup_page_shows_the_gstin_or_says_there_is_none(client_for, officer, manager_a, startup_a):
    url = reverse("onboarding:startup-detail", args=[startup_a.pk])
    assert "Not on record" in client_for(officer).get(url).content.decode()
    Startup.objects.filter(pk=startup_a.pk).update(gstin=MAHARASHTRA)
    for viewer in (officer, manager_a):
        assert MAHARASHTRA in client_for(viewer).get(url).content.decode()


def test_admin_lists_and_searches_startups_by_gstin(client_for, admin_user, startup_a, startup_b):
    Startup.objects.filter(pk=startup_a.pk).update(gstin=MAHARASHTRA)
    response = client_for(admin_user).get(reverse("admin:onboarding_startup_changelist"), {"q": MAHARASHTRA})
    assert list(response.context["cl"].result_list) == [startup_a]
    assert "gstin" in response.context["cl"].list_display


def test_the_api_reads_and_writes_the_gstin_normalised(admin_user, manager_a, startup_a):
    response = api_for(admin_user).post(f"{API}/startups/", startup_body(gstin="29-aabct-1234-k1zb"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["gstin"] == KARNATAKA
    created = Startup.objects.get(gstin=KARNATAKA)
    patched = api_for(admin_user).patch(f"{API}/startups/{created.pk}/", {"gstin": ""}, format="json")
    assert patched.status_code == 200 and patched.json()["gstin"] == ""
    assert api_for(manager_a).get(f"{API}/startups/{startup_a.pk}/").json()["gstin"] == ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"gstin": "29AABCT1234K1ZC"}, "gstin", "check character does not match"),
        ({"gstin": ANOTHER_IN_MAHARASHTRA}, "state", "registered in Maharashtra, not Karnataka"),
        ({"gstin": MAHARASHTRA, "state": "27"}, "gstin", "Another startup is already registered"),
    ],
)
def test_the_api_refuses_a_wrong_gstin_with_a_field_error(admin_user, startup_a, changes, field, message):
    Startup.objects.filter(pk=startup_a.pk).update(gstin=MAHARASHTRA)
    response = api_for(admin_user).post(f"{API}/startups/", startup_body(**changes), format="json")
    assert response.status_code == 400
    body = response.json()
    assert message in " ".join(body["errors"][field]) and body["errors"][field] == body[field]
    assert Startup.objects.count() == 1


def test_the_api_checks_the_state_against_the_gstin_on_a_patch_too(admin_user, startup_a):
    Startup.objects.filter(pk=startup_a.pk).update(gstin=MAHARASHTRA)
    response = api_for(admin_user).patch(f"{API}/startups/{startup_a.pk}/", {"state": "29"}, format="json")
    assert response.status_code == 400 and "registered in Maharashtra" in response.json()["errors"]["state"][0]
    startup_a.refresh_from_db()
    assert startup_a.state == "27"


def test_the_schema_describes_the_gstin_for_reading_and_writing(client_for, manager_a):
    schema = client_for(manager_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert "gstin" in components["Startup"]["properties"]
    request = components["StartupRequest"]
    assert "gstin" in request["properties"] and "gstin" not in request.get("required", [])
    assert request["example"]["gstin"] == KARNATAKA
