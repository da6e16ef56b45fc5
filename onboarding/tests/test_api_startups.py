"""The REST API's startups: only admins register and edit them, with the page form's validation."""

from __future__ import annotations

from ..models import Startup
from .api_client import API, api_for, snapshot, startup_body


def test_it_checks_ownership(manager_b, startup_a, startup_b):
    api = api_for(manager_b)
    before = snapshot()
    assert api.get(f"{API}/startups/{startup_a.pk}/").status_code == 404
    assert api.patch(f"{API}/startups/{startup_a.pk}/", {"city": "Nowhere"}, format="json").status_code == 404
    assert api.put(f"{API}/startups/{startup_a.pk}/", startup_body(), format="json").status_code == 404
    assert snapshot() == before
    assert startup_a.pk not in [row["id"] for row in api.get(f"{API}/startups/").json()["results"]]
    assert api.get(f"{API}/startups/{startup_b.pk}/").status_code == 200


def test_only_admins_register_and_edit_startups(admin_user, officer, manager_a, startup_a):
    for user in (officer, manager_a):
        assert api_for(user).post(f"{API}/startups/", startup_body(), format="json").status_code == 403
    assert api_for(manager_a).patch(f"{API}/startups/{startup_a.pk}/", {"city": "X"}, format="json").status_code == 403
    assert not Startup.objects.filter(dpiit_number="DIPP77123").exists()

    response = api_for(admin_user).post(f"{API}/startups/", startup_body(), format="json")
    assert response.status_code == 201, response.json()
    created = Startup.objects.get(dpiit_number="DIPP77123")
    assert created.contact_mobile == "+919876501234" and created.history.first().history_user == admin_user

    patched = api_for(admin_user).patch(f"{API}/startups/{created.pk}/", {"capacity": 12}, format="json")
    assert patched.status_code == 200, patched.json()
    created.refresh_from_db()
    assert created.capacity == 12 and created.city == "Bengaluru" and created.languages == ["en", "kn"]


def test_startup_validation_is_the_forms(admin_user, startup_a):
    api = api_for(admin_user)
    response = api.post(
        f"{API}/startups/", startup_body(dpiit_number=startup_a.dpiit_number, state="99"), format="json"
    )
    assert response.status_code == 400
    assert "already registered" in response.json()["dpiit_number"][0]
    assert "state" in response.json()
    assert Startup.objects.count() == 1
