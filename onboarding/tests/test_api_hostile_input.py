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
    ("activities", {"exporter": 10**30, "kind": "call", "outcome": "reached", "occurred_at": "2026-01-01T10:00"}),
    ("activities", {"exporter": "EXPORTER", "kind": "call", "outcome": "reached", "occurred_at": "2999-01-01T10:00"}),
    ("activities", {"exporter": "EXPORTER", "kind": "call", "outcome": "reached", "occurred_at": "0001-01-01T00:00"}),
    (
        "activities",
        {
            "exporter": "EXPORTER",
            "kind": "call",
            "outcome": "reached",
            "occurred_at": "2026-01-01T10:00",
            "duration_minutes": -1,
        },
    ),
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


# Non-ASCII digits, numbers past the bigint range (an overflow error in SQLite), zero, negatives, fractions.
HOSTILE_IDS = ["²", "١٢", "٣", str(2**63), str(10**30), "0", "-1", "1.5", "1e3", "abc"]
ID_FILTERS = [
    ("commissions", "startup"),
    ("commissions", "exporter"),
    ("assignments", "startup"),
    ("assignments", "exporter"),
    ("activities", "exporter"),
    ("stage-events", "exporter"),
    ("exporters", "startup"),
    ("exporters", "sector"),
]


@pytest.mark.parametrize(("resource", "parameter"), ID_FILTERS)
@pytest.mark.parametrize("persona", ["officer", "manager_a"])
def test_hostile_ids_in_list_filters_are_a_400_naming_the_parameter(request, api_objects, persona, resource, parameter):
    api = api_for(request.getfixturevalue(persona))
    api.raise_request_exception = True
    for value in HOSTILE_IDS:
        response = api.get(f"{API}/{resource}/", {parameter: value})
        assert response.status_code == 400, (value, response.content)
        assert parameter in response.json(), (value, response.json())


@pytest.mark.parametrize(("resource", "parameter"), [f for f in ID_FILTERS if f[1] == "exporter"])
def test_another_startups_exporter_id_in_a_list_filter_matches_nothing(
    manager_a, exporter_b, api_objects, resource, parameter
):
    response = api_for(manager_a).get(f"{API}/{resource}/", {parameter: exporter_b.pk})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("value", ["²", "١٢", str(2**63), "0", 1.0, True])
def test_a_hostile_exporter_id_in_a_body_is_refused_like_an_unknown_one(agent_a, exporter_a, value):
    before = snapshot()
    response = api_for(agent_a).post(f"{API}/stage-events/", {"exporter": value, "note": "GST"}, format="json")
    assert response.status_code == 400
    assert "unknown id" in response.json()["exporter"][0]
    assert snapshot() == before
