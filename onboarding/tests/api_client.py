"""Helpers for the REST API tests: a token-authenticated client, valid request bodies and a
snapshot of the rows a refused request must leave alone."""

from __future__ import annotations

from knox.models import AuthToken
from rest_framework.test import APIClient

from ..management import demo
from ..models import Activity, Commission, Exporter, StageEvent, Startup

API = "/api/v1"


def api_for(user) -> APIClient:
    """An API client sending a new token of that user's, as an integration would."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return api


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


def snapshot():
    """The rows an API write could touch, to compare before and after a refused request."""
    return (
        list(Exporter.objects.order_by("pk").values_list("pk", "legal_name", "startup_id", "current_stage_id")),
        list(Startup.objects.order_by("pk").values_list("pk", "city", "status")),
        list(StageEvent.objects.order_by("pk").values_list("pk", "status")),
        Activity.objects.count(),
        Commission.objects.count(),
    )
