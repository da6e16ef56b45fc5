"""The REST API's read-only records: assignment history and the commission ledger, scoped
like every resource and written only by the services behind the pages."""

from __future__ import annotations

import pytest

from ..models import Assignment, Commission
from .api_client import API, api_for

READ_ONLY = ["assignments", "commissions"]


@pytest.mark.parametrize("resource", READ_ONLY)
def test_it_checks_ownership(manager_b, api_objects, startup_a, startup_b, exporter_a, resource):
    api = api_for(manager_b)
    assert api.get(f"{API}/{resource}/{api_objects[startup_a.pk][resource]}/").status_code == 404
    # Filtering by startup A's exporter or startup id matches nothing, as an unknown id would.
    assert api.get(f"{API}/{resource}/", {"exporter": exporter_a.pk}).json()["results"] == []
    assert api.get(f"{API}/{resource}/", {"startup": startup_a.pk}).json()["results"] == []
    assert api.get(f"{API}/{resource}/{api_objects[startup_b.pk][resource]}/").status_code == 200


@pytest.mark.parametrize("resource", READ_ONLY)
def test_they_cannot_be_written_through_the_api_even_by_an_admin(admin_user, api_objects, startup_a, resource):
    def rows():
        return (
            list(Assignment.objects.order_by("pk").values_list("pk", "startup_id", "why", "ended_at")),
            list(Commission.objects.order_by("pk").values_list("pk", "amount", "status")),
        )

    api = api_for(admin_user)
    pk = api_objects[startup_a.pk][resource]
    before = rows()
    assert api.post(f"{API}/{resource}/", {"exporter": pk}, format="json").status_code == 405
    assert api.patch(f"{API}/{resource}/{pk}/", {"why": "x", "status": "paid"}, format="json").status_code == 405
    assert api.delete(f"{API}/{resource}/{pk}/").status_code == 405
    assert rows() == before
