"""The REST API's front door: token sign-in, lockout through axes, refusals without a token
or a role, and the OpenAPI schema and docs page."""

from __future__ import annotations

import pytest
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from ..models import Exporter
from .api_client import API, api_for
from .conftest import PASSWORD
from .factories import UserFactory


def test_token_is_issued_for_email_and_password_and_opens_the_api(manager_a, exporter_a):
    response = APIClient().post(f"{API}/auth/token/", {"username": manager_a.email, "password": PASSWORD})
    assert response.status_code == 200
    key = response.json()["token"]
    assert AuthToken.objects.get(user=manager_a).digest == hash_token(key)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert [e["id"] for e in api.get(f"{API}/exporters/").json()["results"]] == [exporter_a.pk]


def test_it_checks_ownership(manager_b, exporter_a, exporter_b):
    """A token opens only its own startup's objects: startup A's exporter is a 404 to B's."""
    response = APIClient().post(f"{API}/auth/token/", {"username": manager_b.email, "password": PASSWORD})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get(f"{API}/exporters/{exporter_a.pk}/").status_code == 404
    assert api.patch(f"{API}/exporters/{exporter_a.pk}/", {"legal_name": "Hijacked"}, format="json").status_code == 404
    assert Exporter.objects.get(pk=exporter_a.pk).legal_name == exporter_a.legal_name
    assert api.get(f"{API}/exporters/{exporter_b.pk}/").status_code == 200


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
    assert not AuthToken.objects.exists()


def test_repeated_failures_lock_the_login_out_through_axes(settings, manager_a):
    settings.AXES_ENABLED = True
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(f"{API}/auth/token/", {"username": manager_a.email, "password": "guess"})
    response = client.post(f"{API}/auth/token/", {"username": manager_a.email, "password": PASSWORD})
    assert response.status_code in (400, 403, 429)
    assert not AuthToken.objects.filter(user=manager_a).exists()


def test_requests_without_a_token_or_with_a_bad_one_are_refused(db):
    assert APIClient().get(f"{API}/exporters/").status_code == 401
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert api.get(f"{API}/exporters/").status_code == 401


def test_a_user_without_a_role_is_refused_everything(db):
    nobody = UserFactory()
    for resource in ("startups", "exporters", "assignments", "stages", "stage-events", "activities", "commissions"):
        assert api_for(nobody).get(f"{API}/{resource}/").status_code == 403, resource


# --- Schema and docs ---------------------------------------------------------------------------


def test_schema_is_a_valid_openapi_3_document_with_every_resource(client_for, agent_a):
    from drf_spectacular.validation import validate_schema

    response = client_for(agent_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
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


def test_docs_page_is_served_with_local_assets(client_for, agent_a):
    response = client_for(agent_a).get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "/api/schema/" in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page


def test_schema_generates_without_warnings(tmp_path):
    """Unnamed or colliding components would also fail `check --deploy` (drf-spectacular's checks)."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/stage-events/{id}/approve/" in (tmp_path / "schema.yaml").read_text()
