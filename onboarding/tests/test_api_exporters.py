"""The REST API's exporters: what a row carries, the list filters, and registration and edits
by staff with the page form's field messages."""

from __future__ import annotations

from ..forms.exporters import ExporterForm
from ..models import Exporter
from .api_client import API, api_for, exporter_body, snapshot


def test_it_checks_ownership(manager_b, exporter_a, exporter_b):
    api = api_for(manager_b)
    before = snapshot()
    assert api.get(f"{API}/exporters/{exporter_a.pk}/").status_code == 404
    assert api.patch(f"{API}/exporters/{exporter_a.pk}/", {"legal_name": "Hijacked"}, format="json").status_code == 404
    assert api.put(f"{API}/exporters/{exporter_a.pk}/", exporter_body(7), format="json").status_code == 404
    assert snapshot() == before
    assert [row["id"] for row in api.get(f"{API}/exporters/").json()["results"]] == [exporter_b.pk]


def test_exporter_representation_carries_stage_startup_and_contact(manager_a, exporter_a):
    data = api_for(manager_a).get(f"{API}/exporters/{exporter_a.pk}/").json()
    assert data["gstin"] == exporter_a.gstin
    assert data["current_stage"]["code"] == "assigned"
    assert data["startup"] == {"id": exporter_a.startup_id, "name": "Alpha"}
    assert data["contact_mobile"] == "+919812345678"


def test_exporter_filters_narrow_the_list(officer, exporter_a, exporter_b, startup_a):
    api = api_for(officer)

    def ids(**params):
        response = api.get(f"{API}/exporters/", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(state="24") == {exporter_b.pk}
    assert ids(startup=startup_a.pk) == {exporter_a.pk}
    assert ids(q="Beta Gems") == {exporter_b.pk}
    assert ids(stage="assigned") == {exporter_a.pk, exporter_b.pk}
    assert ids(stage="first_order") == set()
    assert ids(status="dropped") == set()
    assert ids(stalled="true") == set()  # both entered their stage just now
    assert api.get(f"{API}/exporters/", {"stage": "no-such-stage"}).status_code == 400
    assert api.get(f"{API}/exporters/", {"status": "sleeping"}).status_code == 400


def test_filtering_by_another_startup_is_the_same_as_an_unknown_one(manager_b, startup_a):
    api = api_for(manager_b)
    other = api.get(f"{API}/exporters/", {"startup": startup_a.pk})
    unknown = api.get(f"{API}/exporters/", {"startup": 987654})
    # An id filter, as the API's others: it matches nothing, and says no more than an unknown id.
    assert other.status_code == unknown.status_code == 200
    assert other.json() == unknown.json() and other.json()["count"] == 0


def test_staff_register_and_edit_exporters_startups_cannot(officer, manager_a, exporter_a):
    assert api_for(manager_a).post(f"{API}/exporters/", exporter_body(), format="json").status_code == 403
    own = api_for(manager_a).patch(f"{API}/exporters/{exporter_a.pk}/", {"legal_name": "Mine now"}, format="json")
    assert own.status_code == 403

    response = api_for(officer).post(f"{API}/exporters/", exporter_body(), format="json")
    assert response.status_code == 201, response.json()
    created = Exporter.objects.get(pk=response.json()["id"])
    assert (created.state, created.pan, created.iec) == ("33", created.gstin[2:12], created.gstin[2:12])
    assert created.products == ["6109", "620342"] and created.target_markets == ["US", "AE"]
    assert created.contact_mobile == "+919812345678"

    patched = api_for(officer).patch(f"{API}/exporters/{created.pk}/", {"trade_name": "Kaveri"}, format="json")
    assert patched.status_code == 200, patched.json()
    created.refresh_from_db()
    assert created.trade_name == "Kaveri" and created.products == ["6109", "620342"] and created.is_manufacturer


def test_exporter_errors_are_the_forms_field_level_messages(officer, exporter_a):
    body = exporter_body(gstin=exporter_a.gstin[:-1] + ("A" if exporter_a.gstin[-1] != "A" else "B"))
    body["contact_email"] = "not-an-email"
    response = api_for(officer).post(f"{API}/exporters/", body, format="json")
    assert response.status_code == 400
    form = ExporterForm(body)
    assert not form.is_valid()
    assert response.json()["gstin"] == form.errors["gstin"]
    assert response.json()["contact_email"] == form.errors["contact_email"]
    duplicate = api_for(officer).post(f"{API}/exporters/", exporter_body(gstin=exporter_a.gstin), format="json")
    assert duplicate.json()["gstin"] == ["An exporter with this GSTIN is already registered."]
    assert Exporter.objects.count() == 1


def test_dropping_an_exporter_needs_a_reason(officer, exporter_a):
    url = f"{API}/exporters/{exporter_a.pk}/"
    response = api_for(officer).patch(url, {"status": "dropped"}, format="json")
    assert response.status_code == 400 and response.json()["status_reason"] == ["Say why the exporter is dropped."]
    exporter_a.refresh_from_db()
    assert exporter_a.status == "active"
