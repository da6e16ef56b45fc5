"""The REST API (DESIGN §5): token auth, the pages' scoping, writes through the forms and services."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from onboarding import demo
from onboarding.forms import ExporterForm
from onboarding.models import Activity, Assignment, Commission, Exporter, StageEvent, Startup
from onboarding.models.stages import StageEventStatus
from onboarding.services.progress import activity_log, stage_event_submit

from .conftest import PASSWORD
from .factories import ExporterFactory, StartupFactory, UserFactory, assign, commission_rule, stage

API = "/api/v1"


@pytest.fixture
def api_for():
    """`api_for(user)`: an API client sending that user's token, as an integration would."""

    def client(user) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return api

    return client


def exporter_body(n: int = 1, **overrides) -> dict:
    pan = demo.pan_for(90_000 + n, "F")
    body = {
        "legal_name": f"Kaveri Handlooms {n} LLP",
        "gstin": demo.gstin_for("33", pan),
        "district": "Salem",
        "pin_code": "636001",
        "contact_mobile": "98123 45678",
        "products": ["6109", "620342"],
        "target_markets": ["US", "ae"],
        "is_manufacturer": True,
    }
    return {**body, **overrides}


def startup_body(**overrides) -> dict:
    body = {
        "legal_name": "Gamma Growth Private Limited",
        "dpiit_number": "DIPP77123",
        "state": "29",
        "city": "Bengaluru",
        "contact_name": "Asha Rao",
        "contact_email": "asha@gamma.example.in",
        "contact_mobile": "9876501234",
        "languages": ["en", "kn"],
        "capacity": 30,
        "accepting_assignments": True,
        "status": "active",
    }
    return {**body, **overrides}


# --- Token authentication ---------------------------------------------------------


def test_token_is_issued_for_email_and_password_and_opens_the_api(manager_a, exporter_a):
    response = APIClient().post(f"{API}/auth/token/", {"username": manager_a.email, "password": PASSWORD})
    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=manager_a).key

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert [e["id"] for e in api.get(f"{API}/exporters/").json()["results"]] == [exporter_a.pk]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "manager@alpha.example", "password": "wrong"},
        {"username": "nobody@alpha.example", "password": PASSWORD},
        {"username": "manager@alpha.example"},
        {},
    ],
)
def test_bad_credentials_are_a_400_with_a_message(manager_a, body):
    response = APIClient().post(f"{API}/auth/token/", body, format="json")
    assert response.status_code == 400
    assert response.json()  # DRF's message, field or non-field
    assert not Token.objects.exists()


def test_repeated_failures_lock_the_login_out_through_axes(settings, manager_a):
    settings.AXES_ENABLED = True
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(f"{API}/auth/token/", {"username": manager_a.email, "password": "guess"})
    response = client.post(f"{API}/auth/token/", {"username": manager_a.email, "password": PASSWORD})
    assert response.status_code in (400, 403, 429)
    assert not Token.objects.filter(user=manager_a).exists()


def test_requests_without_a_token_or_with_a_bad_one_are_refused(db):
    assert APIClient().get(f"{API}/exporters/").status_code == 401
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert api.get(f"{API}/exporters/").status_code == 401


def test_a_user_without_a_role_is_refused_everything(api_for, db):
    nobody = UserFactory()
    for resource in ("startups", "exporters", "assignments", "stages", "stage-events", "activities", "commissions"):
        assert api_for(nobody).get(f"{API}/{resource}/").status_code == 403, resource


# --- Reading, scoped -----------------------------------------------------------------


@pytest.fixture
def world(agent_a, officer, exporter_a, exporter_b, manager_b):
    """Each startup has an exporter with logged work, evidence and a commission."""
    commission_rule("contacted", "500.00")
    objects = {}
    for exporter, actor in ((exporter_a, agent_a), (exporter_b, manager_b)):
        activity_log(actor=actor, exporter=exporter, kind="call", occurred_at=timezone.now(), note="First call")
        event = stage_event_submit(
            actor=actor, exporter=exporter, stage=stage("documents_collected"), evidence={"note": "GST, IEC"}
        )
        objects[exporter.startup_id] = {
            "startups": exporter.startup_id,
            "exporters": exporter.pk,
            "assignments": Assignment.objects.get(exporter=exporter).pk,
            "stage-events": event.pk,
            "activities": Activity.objects.filter(exporter=exporter).first().pk,
            "commissions": Commission.objects.get(exporter=exporter).pk,
        }
    return objects


RESOURCES = ["startups", "exporters", "assignments", "stage-events", "activities", "commissions"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_staff_list_and_retrieve_every_startups_objects(api_for, officer, world, startup_a, startup_b, resource):
    api = api_for(officer)
    listed = {row["id"] for row in api.get(f"{API}/{resource}/").json()["results"]}
    expected = {world[startup_a.pk][resource], world[startup_b.pk][resource]}
    assert expected <= listed
    for pk in expected:
        response = api.get(f"{API}/{resource}/{pk}/")
        assert response.status_code == 200 and response.json()["id"] == pk


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_startup_user_lists_and_retrieves_only_their_own(api_for, agent_a, world, startup_a, startup_b, resource):
    api = api_for(agent_a)
    own, other = world[startup_a.pk][resource], world[startup_b.pk][resource]
    listed = [row["id"] for row in api.get(f"{API}/{resource}/").json()["results"]]
    assert own in listed and other not in listed
    assert api.get(f"{API}/{resource}/{own}/").status_code == 200
    assert api.get(f"{API}/{resource}/{other}/").status_code == 404


def test_stages_are_listed_in_order_with_their_evidence(api_for, agent_a):
    stages = api_for(agent_a).get(f"{API}/stages/").json()
    assert [s["code"] for s in stages][:3] == ["assigned", "contacted", "documents_collected"]
    products = next(s for s in stages if s["code"] == "products_listed")
    assert products["evidence_fields"] == ["number", "url"]


def test_exporter_representation_carries_stage_startup_and_contact(api_for, manager_a, exporter_a):
    data = api_for(manager_a).get(f"{API}/exporters/{exporter_a.pk}/").json()
    assert data["gstin"] == exporter_a.gstin
    assert data["current_stage"]["code"] == "assigned"
    assert data["startup"] == {"id": exporter_a.startup_id, "name": "Alpha"}
    assert data["contact_mobile"] == "+919812345678"


def test_exporter_filters_narrow_the_list(api_for, officer, exporter_a, exporter_b, startup_a):
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


def test_filtering_by_another_startup_is_the_same_as_an_unknown_one(api_for, manager_b, startup_a):
    api = api_for(manager_b)
    other = api.get(f"{API}/exporters/", {"startup": startup_a.pk})
    unknown = api.get(f"{API}/exporters/", {"startup": 987654})
    assert other.status_code == unknown.status_code == 400
    assert other.json() == {"startup": unknown.json()["startup"]}


# --- Startup B's people get a 404 on startup A's objects, whatever the endpoint ---------

# (resource, suffix, method, body): every object endpoint and action of the API.
OBJECT_ENDPOINTS = [
    ("startups", "", "get", None),
    ("startups", "", "patch", {"city": "Nowhere"}),
    ("startups", "", "put", startup_body()),
    ("exporters", "", "get", None),
    ("exporters", "", "patch", {"legal_name": "Hijacked"}),
    ("exporters", "", "put", exporter_body(7)),
    ("assignments", "", "get", None),
    ("stage-events", "", "get", None),
    ("stage-events", "approve/", "post", {"note": "ok"}),
    ("stage-events", "reject/", "post", {"note": "no"}),
    ("activities", "", "get", None),
    ("commissions", "", "get", None),
]


def snapshot():
    return (
        list(Exporter.objects.order_by("pk").values_list("pk", "legal_name", "startup_id", "current_stage_id")),
        list(Startup.objects.order_by("pk").values_list("pk", "city", "status")),
        list(StageEvent.objects.order_by("pk").values_list("pk", "status")),
        Activity.objects.count(),
        Commission.objects.count(),
    )


@pytest.mark.parametrize(("resource", "suffix", "method", "body"), OBJECT_ENDPOINTS)
def test_startup_b_manager_gets_404_on_startup_a_objects_and_nothing_changes(
    api_for, manager_b, world, startup_a, startup_b, resource, suffix, method, body
):
    api = api_for(manager_b)
    before = snapshot()
    url = f"{API}/{resource}/{world[startup_a.pk][resource]}/{suffix}"
    response = getattr(api, method)(url, body, format="json")
    assert response.status_code == 404, (resource, suffix, method, response.content)
    assert snapshot() == before, "a refused request changed something"
    # The same request on B's own object is answered (or refused for the role), not hidden.
    own = getattr(api, method)(f"{API}/{resource}/{world[startup_b.pk][resource]}/{suffix}", body, format="json")
    assert own.status_code in (200, 403), (resource, suffix, method, own.content)


@pytest.mark.parametrize("resource", ["activities", "stage-events"])
def test_work_on_another_startups_exporter_is_refused_like_an_unknown_one(api_for, manager_b, exporter_a, resource):
    api = api_for(manager_b)
    body = {"kind": "call", "occurred_at": "2026-01-05T10:00", "note": "sneaky"}
    other = api.post(f"{API}/{resource}/", {**body, "exporter": exporter_a.pk}, format="json")
    unknown = api.post(f"{API}/{resource}/", {**body, "exporter": 987654}, format="json")
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()
    assert not Activity.objects.exists() and not StageEvent.objects.exists()


# --- Writes and who may make them ------------------------------------------------------


def test_agent_logs_work_on_their_exporter_and_a_call_marks_it_contacted(api_for, agent_a, exporter_a):
    response = api_for(agent_a).post(
        f"{API}/activities/",
        {"exporter": exporter_a.pk, "kind": "call", "occurred_at": "2026-01-05T10:30:00+05:30", "duration_minutes": 20},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"]["id"] == agent_a.pk
    activity = Activity.objects.get()
    assert activity.startup_id == exporter_a.startup_id and activity.duration_minutes == 20
    exporter_a.refresh_from_db()
    assert exporter_a.current_stage.code == "contacted"


def test_work_and_evidence_files_are_uploaded_as_multipart_and_checked(
    api_for, settings, tmp_path, agent_a, exporter_a
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    api = api_for(agent_a)
    body = {"exporter": exporter_a.pk, "kind": "documents", "occurred_at": "2026-01-05 10:30"}
    fake = api.post(f"{API}/activities/", {**body, "attachment": SimpleUploadedFile("gst.pdf", b"MZ not a pdf")})
    assert fake.status_code == 400 and "not a real .pdf" in fake.json()["attachment"][0]
    assert not Activity.objects.exists()

    pdf = SimpleUploadedFile("gst.pdf", b"%PDF-1.7\n1 0 obj\n")
    response = api.post(f"{API}/activities/", {**body, "attachment": pdf})
    assert response.status_code == 201, response.json()
    assert Activity.objects.get().attachment.name.endswith(".pdf")


def test_agent_submits_evidence_and_only_staff_review_it(api_for, agent_a, manager_a, officer, exporter_a):
    commission_rule("documents_collected", "1200.00")
    exporter_a.current_stage = stage("contacted")
    exporter_a.save()
    response = api_for(agent_a).post(
        f"{API}/stage-events/", {"exporter": exporter_a.pk, "note": "GST certificate and IEC received"}, format="json"
    )
    assert response.status_code == 201, response.json()
    event = response.json()
    assert event["stage"]["code"] == "documents_collected" and event["status"] == "submitted"

    approve = f"{API}/stage-events/{event['id']}/approve/"
    assert api_for(manager_a).post(approve, {}, format="json").status_code == 403
    assert StageEvent.objects.get().status == StageEventStatus.SUBMITTED

    response = api_for(officer).post(approve, {"note": "Looks right"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    exporter_a.refresh_from_db()
    assert exporter_a.current_stage.code == "documents_collected"
    assert Commission.objects.get(exporter=exporter_a).amount == 1200

    again = api_for(officer).post(f"{API}/stage-events/{event['id']}/reject/", {"note": "x"}, format="json")
    assert again.status_code == 409
    assert StageEvent.objects.get().status == StageEventStatus.APPROVED


def test_rejection_needs_a_note_and_the_startup_sees_it(api_for, agent_a, officer, exporter_a):
    exporter_a.current_stage = stage("contacted")
    exporter_a.save()
    event = stage_event_submit(
        actor=agent_a, exporter=exporter_a, stage=stage("documents_collected"), evidence={"note": "docs"}
    )
    url = f"{API}/stage-events/{event.pk}/reject/"
    missing = api_for(officer).post(url, {}, format="json")
    assert missing.status_code == 400 and "Say why" in missing.json()["non_field_errors"][0]
    response = api_for(officer).post(url, {"note": "The IEC is unreadable."}, format="json")
    assert response.status_code == 200
    seen = api_for(agent_a).get(f"{API}/stage-events/{event.pk}/").json()
    assert seen["status"] == "rejected" and seen["review_note"] == "The IEC is unreadable."


def test_evidence_is_checked_by_the_stage_form(api_for, agent_a, exporter_a):
    exporter_a.current_stage = stage("storefront_live")
    exporter_a.save()
    api = api_for(agent_a)
    missing = api.post(f"{API}/stage-events/", {"exporter": exporter_a.pk}, format="json")
    assert missing.status_code == 400 and "evidence_number" in missing.json()
    too_few = api.post(
        f"{API}/stage-events/",
        {"exporter": exporter_a.pk, "evidence_number": 3, "evidence_url": "https://shop.example/p/1"},
        format="json",
    )
    assert too_few.status_code == 400 and "at least 10" in too_few.json()["evidence_number"][0]
    assert not StageEvent.objects.exists()


def test_evidence_already_waiting_is_a_400_not_a_second_claim(api_for, agent_a, exporter_a):
    exporter_a.current_stage = stage("contacted")
    exporter_a.save()
    api = api_for(agent_a)
    body = {"exporter": exporter_a.pk, "note": "docs"}
    assert api.post(f"{API}/stage-events/", body, format="json").status_code == 201
    second = api.post(f"{API}/stage-events/", body, format="json")
    assert second.status_code == 400 and "already waiting" in second.json()["non_field_errors"][0]
    assert StageEvent.objects.count() == 1


def test_only_admins_register_and_edit_startups(api_for, admin_user, officer, manager_a, startup_a):
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


def test_startup_validation_is_the_forms(api_for, admin_user, startup_a):
    api = api_for(admin_user)
    response = api.post(
        f"{API}/startups/", startup_body(dpiit_number=startup_a.dpiit_number, state="99"), format="json"
    )
    assert response.status_code == 400
    assert "already registered" in response.json()["dpiit_number"][0]
    assert "state" in response.json()
    assert Startup.objects.count() == 1


def test_staff_register_and_edit_exporters_startups_cannot(api_for, officer, manager_a, exporter_a):
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


def test_exporter_errors_are_the_forms_field_level_messages(api_for, officer, exporter_a):
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


def test_dropping_an_exporter_needs_a_reason(api_for, officer, exporter_a):
    url = f"{API}/exporters/{exporter_a.pk}/"
    response = api_for(officer).patch(url, {"status": "dropped"}, format="json")
    assert response.status_code == 400 and response.json()["status_reason"] == ["Say why the exporter is dropped."]
    exporter_a.refresh_from_db()
    assert exporter_a.status == "active"


# --- Hostile input: always a 400 (or 404), never a 500, never a write ----------------------

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
def test_hostile_input_is_a_400_and_writes_nothing(api_for, admin_user, exporter_a, resource, body):
    if isinstance(body, dict):
        body = {k: exporter_a.pk if v == "EXPORTER" else v for k, v in body.items()}
    before = snapshot()
    response = api_for(admin_user).post(f"{API}/{resource}/", body, format="json")
    assert response.status_code == 400, response.content
    assert isinstance(response.json(), dict) and response.json()
    assert snapshot() == before


@pytest.mark.parametrize("pk", ["abc", "0", "99999999999999999999999", "-1"])
def test_odd_ids_in_the_url_are_404(api_for, officer, pk):
    for resource in ("exporters", "stage-events", "startups"):
        assert api_for(officer).get(f"{API}/{resource}/{pk}/").status_code == 404


def test_malformed_json_is_a_400(api_for, officer):
    response = api_for(officer).post(f"{API}/exporters/", "{not json", content_type="application/json")
    assert response.status_code == 400


# --- Query counts are constant with data size -------------------------------------------


def _grow(startup, agent, n):
    for _ in range(n):
        exporter = assign(ExporterFactory(), startup)
        stage_event_submit(actor=agent, exporter=exporter, stage=stage("contacted"), evidence={"note": "call"})
        activity_log(actor=agent, exporter=exporter, kind="training", occurred_at=timezone.now())


@pytest.mark.parametrize(
    "resource", ["exporters", "stage-events", "activities", "startups", "assignments", "commissions"]
)
@pytest.mark.parametrize("who", ["officer", "agent_a"])
def test_list_query_count_does_not_grow_with_data(
    api_for, django_assert_num_queries, request, startup_a, agent_a, resource, who
):
    user = request.getfixturevalue(who)
    api = api_for(user)
    commission_rule("contacted", "300.00")  # each approved contact accrues a ledger entry
    _grow(startup_a, agent_a, 2)
    for _ in range(3):
        StartupFactory()
    with CaptureQueriesContext(connection) as small:
        first = api.get(f"{API}/{resource}/")
    assert first.status_code == 200
    _grow(startup_a, agent_a, 8)
    for _ in range(5):
        StartupFactory()
    api = api_for(user)  # a new request, as a new call would be
    with django_assert_num_queries(len(small.captured_queries)):
        response = api.get(f"{API}/{resource}/")
    assert response.status_code == 200
    if not (resource == "startups" and who == "agent_a"):  # an agent sees one startup, however many exist
        assert response.json()["count"] > first.json()["count"]


# --- Schema and docs ---------------------------------------------------------------------------


def test_schema_is_a_valid_openapi_3_document_with_every_resource(client):
    from drf_spectacular.validation import validate_schema

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/startups/",
        "/api/v1/exporters/{id}/",
        "/api/v1/assignments/",
        "/api/v1/stages/",
        "/api/v1/stage-events/{id}/approve/",
        "/api/v1/stage-events/{id}/reject/",
        "/api/v1/activities/",
        "/api/v1/commissions/",
    ):
        assert path in schema["paths"], path
    exporter_body_schema = schema["components"]["schemas"]["ExporterRequest"]
    assert {"gstin", "legal_name", "products"} <= set(exporter_body_schema["properties"])


def test_docs_page_is_served_with_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "/api/schema/" in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page


def test_schema_generates_without_warnings(tmp_path):
    """Unnamed or colliding components would also fail `check --deploy` (drf-spectacular's checks)."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/stage-events/{id}/approve/" in (tmp_path / "schema.yaml").read_text()
