"""One error shape for every refusal, input checked before the database, and a schema that says so."""

from __future__ import annotations

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from ..filters import MAX_ID
from .api_client import API, api_for, exporter_body, snapshot

SHAPE = {"detail", "code", "errors"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= SHAPE, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"] == code
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)
    return body


def test_a_field_error_names_the_field_under_errors_and_keeps_the_top_level_messages(officer):
    response = api_for(officer).post(f"{API}/exporters/", exporter_body(gstin="not a gstin"), format="json")
    body = assert_error(response, 400, "invalid")
    assert body["errors"]["gstin"] == body["gstin"] and body["gstin"]
    assert body["detail"] == body["gstin"][0]


def test_every_other_refusal_has_the_same_shape(officer, manager_a, exporter_b, api_objects, startup_a):
    assert_error(Client().get(f"{API}/exporters/"), 401, "not_authenticated")
    assert_error(Client().get(f"{API}/exporters/", HTTP_AUTHORIZATION="Token nope"), 401, "authentication_failed")
    assert_error(api_for(manager_a).post(f"{API}/exporters/", exporter_body(), format="json"), 403, "permission_denied")
    assert_error(api_for(manager_a).get(f"{API}/exporters/{exporter_b.pk}/"), 404, "not_found")
    assert_error(api_for(officer).delete(f"{API}/exporters/{exporter_b.pk}/"), 405, "method_not_allowed")
    assert_error(api_for(officer).get(f"{API}/exporters/", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")
    plain = api_for(officer).post(f"{API}/exporters/", "x", content_type="text/plain")
    assert_error(plain, 415, "unsupported_media_type")
    assert_error(api_for(officer).post(f"{API}/exporters/", "{", content_type="application/json"), 400, "parse_error")


def test_deciding_a_claim_twice_is_a_409_in_the_error_shape(officer, api_objects, startup_a):
    event = api_objects[startup_a.pk]["stage-events"]
    api = api_for(officer)
    assert api.post(f"{API}/stage-events/{event}/approve/", {}, format="json").status_code == 200
    again = assert_error(api.post(f"{API}/stage-events/{event}/approve/", {}, format="json"), 409, "conflict")
    assert again["non_field_errors"] == again["errors"]["non_field_errors"] == [again["detail"]]


@pytest.mark.parametrize("path", ["exporters/1.5/", "exporters/9223372036854775808/", "exporters/1e3/", "nothing/"])
def test_a_path_the_api_does_not_have_is_a_json_404(officer, path):
    assert_error(api_for(officer).get(f"{API}/{path}"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"city": 5}, "city", "Expected a string."),
        ({"legal_name": 12.5}, "legal_name", "Expected a string."),
        ({"capacity": "many"}, "capacity", None),
        ({"capacity": True}, "capacity", "Expected a number."),
        ({"sectors": [2**64]}, "sectors", None),
        ({"sectors": ["²"]}, "sectors", None),
        ({"languages": "en"}, "languages", "Enter a list of values."),
        ({"nickname": "Gammy"}, "nickname", None),
        ({"id": 1}, "id", None),
    ],
)
def test_a_wrong_type_an_out_of_range_id_or_an_unknown_field_is_a_400_that_changes_nothing(
    admin_user, startup_a, body, field, message
):
    before = snapshot()
    response = api_for(admin_user).patch(f"{API}/startups/{startup_a.pk}/", body, format="json")
    errors = assert_error(response, 400, "invalid")["errors"]
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert snapshot() == before


def test_an_unknown_field_in_a_form_post_is_refused_too(officer):
    response = api_for(officer).post(f"{API}/exporters/", {**exporter_body(), "colour": "blue"})
    assert "Unknown field" in assert_error(response, 400, "invalid")["errors"]["colour"][0]


def test_a_huge_activity_exporter_id_is_a_field_error(agent_a, exporter_a):
    body = {"exporter": 2**70, "kind": "call", "outcome": "reached", "occurred_at": "2026-11-01T10:00"}
    errors = assert_error(api_for(agent_a).post(f"{API}/activities/", body, format="json"), 400, "invalid")["errors"]
    assert list(errors) == ["exporter"]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_declares_the_error_responses_of_every_operation(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"401", "403", "429"} <= declared, (method, path)
            if "{id}" in path or method != "get":
                assert {"400", "404"} & declared, (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "409", "415"} <= declared, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_schema_bounds_ids_and_pages_and_closes_request_bodies(schema):
    parameters = [p for ops in schema["paths"].values() for op in ops.values() for p in op.get("parameters", [])]
    for parameter in parameters:
        if parameter["name"] in ("id", "exporter", "startup", "page"):
            assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, MAX_ID), parameter
    bodies = {name: body for name, body in schema["components"]["schemas"].items() if name.endswith("Request")}
    assert {"ExporterRequest", "PatchedStartupRequest", "StageEvidenceRequest", "ActivityRequest"} <= set(bodies)
    assert all(body["additionalProperties"] is False for body in bodies.values())
    assert bodies["StageEvidenceRequest"]["required"] == ["exporter"]


def test_the_schema_marks_references_that_can_be_empty_as_nullable(schema):
    exporter = schema["components"]["schemas"]["Exporter"]["properties"]
    assert exporter["startup"]["nullable"] and exporter["agent"]["nullable"] and exporter["sector"]["nullable"]
    assert schema["components"]["schemas"]["Activity"]["properties"]["user"]["nullable"]


def test_the_schemas_example_bodies_are_accepted_as_they_stand(admin_user, schema):
    for resource, name in (("exporters", "ExporterRequest"), ("startups", "StartupRequest")):
        example = schema["components"]["schemas"][name]["example"]
        response = api_for(admin_user).post(f"{API}/{resource}/", example, format="json")
        assert response.status_code == 201, response.json()
