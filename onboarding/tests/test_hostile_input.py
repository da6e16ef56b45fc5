"""Every page and action, hit by every persona with junk: never a 500, never another startup's data."""

import pytest
from django.urls import NoReverseMatch, URLPattern, get_resolver, reverse

from ..models import Activity, Assignment, Commission, Exporter, StageEvent, Startup

JUNK = {
    "kind": "nonsense",
    "occurred_at": "31/02/2026",
    "stage": "abc",
    "startup": "-1",
    "exporter": "'; DROP TABLE x; --",
    "email": "not-an-email",
    "reason": "x" * 5000,
    "note": "<script>alert(1)</script>",
    "evidence_url": "javascript:alert(1)",
    "evidence_number": "1e9",
    "amount": "NaN",
    "exporters": ["abc", "-5"],
    "event": ["1", "x"],
    "status": "paid",
    "page": "999999",
    "file": "not a file",
}


def onboarding_routes() -> list[tuple[str, list[tuple[str, bool]]]]:
    """(url name, [(argument, is it an integer)]) for every named route of the app."""
    namespace = get_resolver().namespace_dict["onboarding"][1]
    routes = {}
    for pattern in namespace.url_patterns:
        if isinstance(pattern, URLPattern) and pattern.name and pattern.name not in routes:
            converters = pattern.pattern.converters
            routes[pattern.name] = [(key, type(c).__name__ == "IntConverter") for key, c in converters.items()]
    return sorted(routes.items())


def url_for(name, arguments, pk):
    try:
        word = "csv" if "template" in name else "approve"  # the str arguments: a file kind, a ledger action
        return reverse(f"onboarding:{name}", kwargs={key: pk if is_int else word for key, is_int in arguments})
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("persona", ["admin_user", "officer", "manager_a", "agent_a", "manager_b"])
def test_no_page_or_action_answers_junk_with_a_500(client_for, request, persona, exporter_a, exporter_b):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    client.raise_request_exception = True
    failures = []
    routes = onboarding_routes()
    assert len(routes) >= 40  # every page and action of the app, not a sample
    for name, arguments in routes:
        for pk in (exporter_a.pk, 999_999):
            url = url_for(name, arguments, pk)
            if url is None:
                continue
            for method in ("get", "post"):
                try:
                    response = getattr(client, method)(url, JUNK)
                except Exception as exc:  # an unhandled exception is a 500
                    failures.append(f"{method.upper()} {url}: {exc!r}")
                    continue
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {url}: {response.status_code}")
    assert failures == []


def test_junk_from_another_startup_changes_nothing(client_for, manager_b, exporter_a):
    before = [m.objects.count() for m in (Activity, Assignment, Commission, Exporter, StageEvent, Startup)]
    exporter_a_state = Exporter.objects.filter(pk=exporter_a.pk).values().get()
    client = client_for(manager_b)
    for name, arguments in onboarding_routes():
        url = url_for(name, arguments, exporter_a.pk)
        if url:
            client.post(url, JUNK)
    assert [m.objects.count() for m in (Activity, Assignment, Commission, Exporter, StageEvent, Startup)] == before
    assert Exporter.objects.filter(pk=exporter_a.pk).values().get() == exporter_a_state
