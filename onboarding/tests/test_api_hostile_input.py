"""The REST API under hostile input: always a 400 (or 404), never a 500, never a write."""

from __future__ import annotations

import pytest

from .api_client import API, api_for, snapshot

HOSTILE = [
    ("exporters", ["a", "list", "body"]),
    ("exporters", {"legal_name": {"nested": "object"}, "gstin": "27AAAAA0000A1Z5"}),
    ("exporters", {"legal_name": "x" * 100_000, "gstin": "y" * 100_000}),
    ("exporters", {"legal_name": "Nul\x00 byte", "gstin": 12345, "products": [["6109"]]}),
    ("exporters", {"legal_name": "A", "gstin": None, "is_manufacturer": "maybe", "products": "abc"}),
    ("startups", {"capacity": -5, "languages": "xx", "sectors": [999999]}),
    ("startups", {"capacity": 10**30, "sectors": "not-a-list", "website": "javascript:alert(1)"}),
    ("activities", {}),
    ("activities", {"exporter": "abc", "kind": ["call"], "occurred_at": "yesterday"}),
    ("activities", {"exporter": 10**30, "kind": "call", "occurred_at": "2026-01-01T10:00"}),
    ("activities", {"exporter": "EXPORTER", "kind": "call", "occurred_at": "2999-01-01T10:00"}),
    ("activities", {"exporter": "EXPORTER", "kind": "call", "occurred_at": "0001-01-01T00:00"}),
    ("activities", {"exporter": "EXPORTER", "kind": "call", "occurred_at": "2026-01-01T10:00", "duration_minutes": -1}),
    ("activities", {"exporter": "EXPORTER", "kind": "nap", "occurred_at": "2026-01-01T10:00", "note": "n" * 5000}),
    ("stage-events", {"exporter": None}),
    ("stage-events", {"exporter": {"id": 1}}),
    ("stage-events", {"exporter": "EXPORTER", "note": ["not", "text"]}),
    ("stage-events", {"exporter": "EXPORTER", "note": ""}),
]


@pytest.mark.parametrize(("resource", "body"), HOSTILE)
def test_hostile_input_is_a_400_and_writes_nothing(admin_user, exporter_a, resource, body):
    if isinstance(body, dict):
        body = {k: exporter_a.pk if v == "EXPORTER" else v for k, v in body.items()}
    before = snapshot()
    response = api_for(admin_user).post(f"{API}/{resource}/", body, format="json")
    assert response.status_code == 400, response.content
    assert isinstance(response.json(), dict) and response.json()
    assert snapshot() == before


@pytest.mark.parametrize("body", [body for resource, body in HOSTILE if resource == "exporters"])
def test_it_checks_ownership(manager_b, exporter_a, body):
    """Junk sent to another startup's exporter is a 404 before it is validated: a 400 would
    confirm the exporter exists."""
    before = snapshot()
    response = api_for(manager_b).patch(f"{API}/exporters/{exporter_a.pk}/", body, format="json")
    assert response.status_code == 404, response.content
    assert snapshot() == before


@pytest.mark.parametrize("pk", ["abc", "0", "99999999999999999999999", "-1"])
def test_odd_ids_in_the_url_are_404(officer, pk):
    for resource in ("exporters", "stage-events", "startups"):
        assert api_for(officer).get(f"{API}/{resource}/{pk}/").status_code == 404


def test_malformed_json_is_a_400(officer):
    response = api_for(officer).post(f"{API}/exporters/", "{not json", content_type="application/json")
    assert response.status_code == 400
