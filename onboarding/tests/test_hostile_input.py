"""Every page and action, hit by every persona with junk: never a 500, never another startup's data."""

import pytest
from django.urls import NoReverseMatch, URLPattern, get_resolver, reverse

from ..filters import parse_id, parse_ids
from ..models import Activity, Assignment, Commission, Exporter, StageEvent, Startup
from ..models.stages import StageEventStatus
from ..services.progress import stage_event_submit
from .factories import ExporterFactory, assign, checklist_files, stage

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


# --- Ids in query strings and forms --------------------------------------------------

# Non-ASCII digits ("²" passes str.isdigit(), which int() then refuses; int() reads "١٢" as 12),
# numbers past the bigint range (an overflow in SQLite), zero, negatives and fractions.
HOSTILE_IDS = ["²", "١٢", "٣", str(2**63), str(10**30), "0", "-1", "1.5", "1e3", " 7", "+7", "7_0", ""]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (42, 42),
        (str(2**63 - 1), 2**63 - 1),
        ("0042", 42),
        *[(value, None) for value in HOSTILE_IDS],
        (2**63, None),
        (True, None),
        (None, None),
        (["1"], None),
        (1.0, None),
    ],
)
def test_parse_id_takes_only_ascii_digits_within_the_bigint_range(value, expected):
    assert parse_id(value) == expected


def test_parse_ids_leaves_out_junk_and_repeats():
    assert parse_ids(["3", "²", "3", str(10**30), "1", "abc"]) == [3, 1]


LIST_FILTERS = [
    ("onboarding:board", "startup"),
    ("onboarding:commission-list", "startup"),
    ("onboarding:activity-list", "startup"),
    ("onboarding:activity-list", "user"),
    ("onboarding:exporter-list", "startup"),
    ("onboarding:exporter-list", "stage"),
    ("onboarding:exporter-list", "sector"),
    ("onboarding:outbox", "startup"),
    ("onboarding:startup-list", "sector"),
]


@pytest.mark.parametrize("persona", ["admin_user", "officer", "manager_a", "agent_a"])
def test_hostile_ids_in_list_filters_are_ignored_never_a_500(client_for, request, persona, exporter_a, exporter_b):
    client = client_for(request.getfixturevalue(persona))
    client.raise_request_exception = True
    failures = []
    for name, parameter in LIST_FILTERS:
        for value in HOSTILE_IDS:
            response = client.get(reverse(name), {parameter: value})
            if response.status_code not in (200, 403):
                failures.append((name, parameter, value, response.status_code))
    assert failures == []


def test_a_hostile_startup_id_shows_every_startup_s_commissions(client_for, admin_user, exporter_a, exporter_b):
    client = client_for(admin_user)
    for value in ("²", str(10**30)):
        response = client.get(reverse("onboarding:commission-list"), {"startup": value})
        assert response.status_code == 200
        assert response.context["startup"] is None


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_hostile_event_ids_in_bulk_approve_approve_nothing(client_for, officer, startup_a, agent_a, value):
    exporter = assign(ExporterFactory(), startup_a, stage_code="contacted")
    documents = stage("documents_collected")
    event = stage_event_submit(
        actor=agent_a,
        exporter=exporter,
        stage=documents,
        evidence={"note": "GST"},
        checklist=checklist_files("documents_collected"),
    )
    client = client_for(officer)
    client.raise_request_exception = True
    response = client.post(reverse("onboarding:review-queue"), {"event": [value], "decision": "approve"}, follow=True)
    assert response.status_code == 200
    assert "Tick the submissions to approve first." in response.content.decode()
    event.refresh_from_db()
    assert event.status == StageEventStatus.SUBMITTED


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_hostile_exporter_ids_in_bulk_assign_are_left_out(client_for, admin_user, startup_a, value):
    pool = ExporterFactory()
    client = client_for(admin_user)
    client.raise_request_exception = True
    for data in ({"exporter": [value]}, {"exporter": [value, str(pool.pk)], "startup": startup_a.pk, "reason": "x"}):
        response = client.post(reverse("onboarding:exporter-bulk-assign"), data)
        assert response.status_code in (200, 302)
    assert Assignment.objects.count() == 1  # the valid id among junk is assigned; the junk is ignored


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_a_ledger_action_never_redirects_off_the_site(client_for, admin_user, api_objects, target):
    commission = Commission.objects.first()
    url = reverse("onboarding:commission-action", args=[commission.pk, "approve"])
    response = client_for(admin_user).post(url, {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:commission-list")


def test_a_ledger_action_returns_to_the_filtered_statement(client_for, admin_user, api_objects):
    commission = Commission.objects.first()
    url = reverse("onboarding:commission-action", args=[commission.pk, "approve"])
    back = f"{reverse('onboarding:commission-list')}?status=accrued&page=2"
    assert client_for(admin_user).post(url, {"next": back})["Location"] == back
