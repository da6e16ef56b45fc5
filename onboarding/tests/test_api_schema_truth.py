"""The published schema (/api/schema/) says what the API takes, and the API takes what it says: for
each place a held-out contract fuzz found them apart, a request the schema calls valid is accepted
and one it calls invalid is refused with a 400 naming the field."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from ..management import demo
from ..models import Sector
from .api_client import API, api_for, exporter_body, startup_body
from .factories import documents_claim

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def body_schema(schema: dict, name: str) -> dict:
    """One request body's schema, its references resolvable."""
    return {**schema["components"]["schemas"][name], "components": schema["components"]}


def says_valid(schema: dict, name: str, body: dict) -> bool:
    return jsonschema.Draft4Validator(body_schema(schema, name)).is_valid(body)


def field_pattern(schema: dict, name: str, field: str) -> str:
    prop = schema["components"]["schemas"][name]["properties"][field]
    return prop.get("pattern") or prop["items"]["pattern"]


GSTIN = demo.gstin_for("33", demo.pan_for(90_500, "F"))


@pytest.mark.parametrize(
    ("field", "valid", "invalid"),
    [
        ("contact_mobile", ["98123 45678", "+91 98123-45678", "09812345678"], ["0", "12345 67890", "j"]),
        ("iec", ["AAPFU0939F", "0123456789"], ["j", "AAPXU0939F", "AAPFU0000F"]),
        ("gstin", [GSTIN, GSTIN.lower()], ["00AAAAA0000A1Z0", "33AAAXA0001A1Z0", "33AAAFA0000A1Z0"]),
        ("products", ["6109", "62.03.42"], ["7700", "00", "\x006109"]),
    ],
)
def test_an_exporter_identifier_the_schema_calls_valid_is_taken_and_one_it_refuses_is_a_400(
    schema, admin_user, exporter_a, field, valid, invalid
):
    pattern = field_pattern(schema, "PatchedExporterRequest", field)
    url = f"{API}/exporters/{exporter_a.pk}/"
    api = api_for(admin_user)
    for value in valid:
        assert re.search(pattern, value), value
        body = {field: [value] if field == "products" else value}
        if field == "gstin":
            body.update(state=value[:2], pan=value[2:12].upper())
        response = api.patch(url, body, format="json")
        assert response.status_code == 200, (value, response.json())
    for value in invalid:
        assert not re.search(pattern, value), value
        response = api.patch(url, {field: [value] if field == "products" else value}, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], value


def test_the_schema_publishes_a_gstins_check_character_as_its_format(schema):
    assert schema["components"]["schemas"]["ExporterRequest"]["properties"]["gstin"]["format"] == "gstin"
    assert schema["components"]["schemas"]["StartupRequest"]["properties"]["gstin"]["format"] == "gstin"


def test_a_startups_mobile_number_is_published_as_the_form_takes_it(schema, admin_user):
    api = api_for(admin_user)
    pattern = field_pattern(schema, "StartupRequest", "contact_mobile")
    assert not re.search(pattern, "0")
    assert api.post(f"{API}/startups/", startup_body(contact_mobile="0"), format="json").status_code == 400
    assert re.search(pattern, "+91 98765 01234")
    assert (
        api.post(f"{API}/startups/", startup_body(contact_mobile="+91 98765 01234"), format="json").status_code == 201
    )


def test_work_minutes_and_a_calls_outcome_are_in_the_schema_as_the_form_checks_them(schema, agent_a, exporter_a):
    api = api_for(agent_a)
    call = {"exporter": exporter_a.pk, "kind": "call", "occurred_at": "2026-01-05T10:00:00Z"}
    for body in (call, {**call, "outcome": "reached", "duration_minutes": 0}):
        assert not says_valid(schema, "ActivityRequest", body)
        response = api.post(f"{API}/activities/", body, format="json")
        assert response.status_code == 400, body
    assert "outcome" in api.post(f"{API}/activities/", call, format="json").json()["errors"]
    for body in ({**call, "outcome": "reached", "duration_minutes": 1440}, {**call, "kind": "training"}):
        assert says_valid(schema, "ActivityRequest", body)
        assert api.post(f"{API}/activities/", body, format="json").status_code == 201, body


def test_work_names_its_exporter_by_id_or_by_search_as_the_schema_says(schema, agent_a, exporter_a):
    api = api_for(agent_a)
    work = {"kind": "training", "occurred_at": "2026-01-05T10:00:00Z"}
    assert not says_valid(schema, "ActivityRequest", work)
    assert api.post(f"{API}/activities/", work, format="json").status_code == 400
    for named in ({"exporter": exporter_a.pk}, {"exporter_search": exporter_a.gstin}):
        assert says_valid(schema, "ActivityRequest", {**work, **named})
        assert api.post(f"{API}/activities/", {**work, **named}, format="json").status_code == 201, named


def test_a_rejection_without_a_note_is_refused_as_the_schema_says(schema, agent_a, officer, exporter_a):
    event = documents_claim(exporter_a, agent_a)
    for blank in ({}, {"note": ""}, {"note": "\x1d "}):
        assert not says_valid(schema, "RejectRequest", blank)
    url = f"{API}/stage-events/{event.pk}/reject/"
    for blank in ("", "\x1d "):
        assert api_for(officer).post(url, {"note": blank}, format="json").json()["errors"]["note"]
    assert says_valid(schema, "RejectRequest", {"note": "Unreadable"})
    assert api_for(officer).post(url, {"note": "Unreadable"}, format="json").status_code == 200


def test_a_blank_username_or_password_is_refused_by_the_schema_as_by_the_api(schema, client):
    assert not says_valid(schema, "TokenRequest", {"username": "", "password": ""})
    response = client.post(f"{API}/auth/token/", {"username": "", "password": ""}, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(("query", "status"), [("late=113", 400), ("unassigned=maybe", 400), ("stalled=2", 400)])
def test_a_yes_no_filter_takes_true_or_false_only(officer, query, status):
    response = api_for(officer).get(f"{API}/exporters/?{query}")
    assert response.status_code == status and query.split("=")[0] in response.json()["errors"]


@pytest.mark.parametrize("query", ["late=true", "late=false", "unassigned=true", "stalled=0", "late="])
def test_a_yes_no_filter_the_schema_allows_is_taken(officer, query):
    assert api_for(officer).get(f"{API}/exporters/?{query}").status_code == 200


def test_a_stage_filter_takes_any_well_formed_code_and_refuses_junk(schema, officer, exporter_a):
    pattern = next(
        p["schema"]["pattern"]
        for p in schema["paths"]["/api/v1/exporters/"]["get"]["parameters"]
        if p["name"] == "stage"
    )
    api = api_for(officer)
    for resource in ("exporters", "stage-events"):
        assert re.search(pattern, "no_such_stage")
        assert api.get(f"{API}/{resource}/?stage=no_such_stage").json()["count"] == 0
        assert not re.search(pattern, "Inf")
        assert api.get(f"{API}/{resource}/?stage=Inf").status_code == 400
    stage_code = exporter_a.current_stage.code
    assert api.get(f"{API}/exporters/?stage={stage_code}").json()["count"] == 1


def test_an_exporter_bodys_example_still_keeps_the_schema(schema):
    assert says_valid(schema, "ExporterRequest", exporter_body())


def test_a_file_is_published_for_multipart_bodies_only_as_the_api_takes_it(schema, agent_a, exporter_a):
    post = schema["paths"]["/api/v1/activities/"]["post"]["requestBody"]["content"]
    json_body = post["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    multipart = post["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "attachment" not in schema["components"]["schemas"][json_body]["properties"]
    assert "attachment" in schema["components"]["schemas"][multipart]["properties"]
    work = {"exporter": exporter_a.pk, "kind": "documents", "occurred_at": "2026-01-05T10:00:00Z"}
    sent = api_for(agent_a).post(f"{API}/activities/", {**work, "attachment": "https://a.example/x.pdf"}, format="json")
    assert sent.status_code == 400 and "attachment" in sent.json()["errors"]


def test_work_before_2000_is_refused_as_the_schema_says(schema, agent_a, exporter_a):
    work = {"exporter": exporter_a.pk, "kind": "training"}
    for when, status in (
        ("0495-07-20T04:23:55-11:50", 400),
        ("1999-12-31T23:00:00Z", 400),
        ("2001-01-01T00:00:00Z", 201),
    ):
        assert says_valid(schema, "ActivityRequest", {**work, "occurred_at": when}) is (status == 201)
        assert (
            api_for(agent_a).post(f"{API}/activities/", {**work, "occurred_at": when}, format="json").status_code
            == status
        )


def test_a_form_encoded_list_of_one_sector_is_a_list_as_the_schema_says(admin_user, startup_a):
    sector = Sector.objects.order_by("pk").first()
    url = f"{API}/startups/{startup_a.pk}/"
    response = api_for(admin_user).patch(url, f"sectors={sector.pk}", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.json()
    assert list(startup_a.sectors.values_list("pk", flat=True)) == [sector.pk]


@pytest.mark.parametrize(
    ("field", "text", "taken"),
    [
        ("legal_name", "Shree\tGanesh Exports", True),
        ("district", "Tiruppur\x0c", False),  # at the end too, where the form would strip it
        ("district", "\x1fTiruppur", False),
        ("legal_name", "Shree\x00Ganesh", False),
        ("pin_code", "641\x0b604", False),
        ("pin_code", "641\u00a0604", True),
    ],
)
def test_text_with_a_control_character_is_refused_as_the_schema_says(
    schema, admin_user, exporter_a, field, text, taken
):
    assert (re.search(field_pattern(schema, "PatchedExporterRequest", field), text) is not None) is taken
    response = api_for(admin_user).patch(f"{API}/exporters/{exporter_a.pk}/", {field: text}, format="json")
    assert (response.status_code == 200) is taken, response.json()


def test_a_text_filter_publishes_the_same_rule(schema, officer):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/exporters/"]["get"]["parameters"]}
    pattern = params["district"]["schema"]["pattern"]
    assert re.search(pattern, "Tiruppur") and not re.search(pattern, "Tiru\x0fppur")
    assert api_for(officer).get(f"{API}/exporters/", {"district": "Tiru\x0fppur"}).status_code == 400
