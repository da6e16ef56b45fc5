"""The startup filter of the lists (a typed `startup_name`, a hidden `startup` id from a link):
the commission statement's CommissionFilter, its downloads and "approve every match", the work
log's "Logged by", and the rule they share: the id holds while the box shows that startup."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import Commission
from ..models.commissions import CommissionStatus
from ..services.progress import activity_log
from .api_client import API, api_for
from .downloads import downloaded
from .factories import ExporterFactory, MemberFactory, StartupFactory, assign, stage
from .test_progress_pages import make_pipeline

STATEMENT = reverse("onboarding:commission-list")
APPROVE = reverse("onboarding:commission-approve-matching")
WORK_LOG = reverse("onboarding:activity-list")
EXPORTERS = reverse("onboarding:exporter-list")


def ledger(startup, *amounts: str, status: str = CommissionStatus.ACCRUED) -> list[Commission]:
    """One commission per amount, each on a new exporter of `startup`."""
    return [
        Commission.objects.create(
            startup=startup,
            exporter=assign(ExporterFactory(), startup),
            stage=stage("storefront_live"),
            amount=amount,
            status=status,
        )
        for amount in amounts
    ]


@pytest.fixture
def books(startup_a, startup_b):
    """Alpha: two accrued and one paid; Beta: one accrued and one approved."""
    return {
        "a": ledger(startup_a, "100.00", "200.00") + ledger(startup_a, "50.00", status=CommissionStatus.PAID),
        "b": ledger(startup_b, "300.00") + ledger(startup_b, "70.00", status=CommissionStatus.APPROVED),
    }


def shown(response) -> set[int]:
    return {c.pk for c in response.context["page"].object_list}


def pks(rows) -> set[int]:
    return {row.pk for row in rows}


def input_tag(html: str, name: str) -> str:
    """The <input> named `name` in the page ("" when there is none)."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    return found.group(0) if found else ""


def test_staff_filter_the_statement_by_typing_part_of_a_startups_name(client_for, admin_user, books):
    response = client_for(admin_user).get(STATEMENT, {"startup_name": "alph"})
    assert response.status_code == 200
    assert shown(response) == pks(books["a"]) and response.context["startup"] is None
    assert response.context["totals"]["accrued"] == 300 and response.context["totals"]["paid"] == 50
    assert 'value="alph"' in input_tag(response.content.decode(), "startup_name")


def test_a_link_with_a_startups_id_filters_and_the_box_shows_its_name(client_for, admin_user, startup_a, books):
    response = client_for(admin_user).get(STATEMENT, {"startup": startup_a.pk})
    html = response.content.decode()
    assert shown(response) == pks(books["a"]) and response.context["startup"] == startup_a
    assert "Commissions · Alpha</h1>" in html
    assert 'value="Alpha"' in input_tag(html, "startup_name")
    assert f'value="{startup_a.pk}"' in input_tag(html, "startup")


def test_the_id_holds_while_the_box_still_shows_that_startups_name(client_for, admin_user, startup_a, books):
    StartupFactory(legal_name="Alpha Two Private Limited", brand_name="Alpha Two")  # "Alpha" names two now
    response = client_for(admin_user).get(STATEMENT, {"startup": startup_a.pk, "startup_name": "Alpha"})
    assert shown(response) == pks(books["a"]) and response.context["startup"] == startup_a


def test_a_name_typed_over_the_linked_startup_replaces_it(client_for, admin_user, startup_a, books):
    client = client_for(admin_user)
    response = client.get(STATEMENT, {"startup": startup_a.pk, "startup_name": "beta"})
    html = response.content.decode()
    assert shown(response) == pks(books["b"]) and response.context["startup"] is None
    assert f'value="{startup_a.pk}"' not in input_tag(html, "startup")  # the stale id is not sent again
    assert 'value="beta"' in input_tag(html, "startup_name")
    # Emptying the box asks for every startup, as its placeholder says.
    emptied = client.get(STATEMENT, {"startup": startup_a.pk, "startup_name": ""})
    assert shown(emptied) == pks(books["a"] + books["b"]) and emptied.context["startup"] is None


def test_status_filters_the_rows_and_the_totals(client_for, admin_user, books):
    response = client_for(admin_user).get(STATEMENT, {"status": "accrued", "startup_name": "a"})
    accrued = [c for c in books["a"] + books["b"] if c.status == CommissionStatus.ACCRUED]
    assert shown(response) == pks(accrued)
    assert response.context["totals"]["accrued"] == 600 and response.context["totals"]["net"] == 600


def test_bad_status_or_startup_ids_are_field_errors_not_500s(client_for, admin_user, books):
    client = client_for(admin_user)
    client.raise_request_exception = True
    everything = pks(books["a"] + books["b"])
    bad_status = client.get(STATEMENT, {"status": "owed"})
    assert bad_status.status_code == 200 and shown(bad_status) == everything
    assert bad_status.context["filter"].errors["status"]
    assert "Approve every accrued commission shown" not in bad_status.content.decode()
    for value in ("999999999", "abc", str(10**30), "-1"):
        response = client.get(STATEMENT, {"startup": value})
        assert response.status_code == 200 and shown(response) == everything, value
        assert response.context["startup"] is None


def test_downloads_apply_the_same_rule(client_for, admin_user, startup_a, books):
    params = {"startup": startup_a.pk, "startup_name": "Beta", "format": "csv"}
    rows = list(csv.reader(io.StringIO(downloaded(client_for(admin_user).get(STATEMENT, params)).decode())))
    assert {row[1] for row in rows[1:]} == {"Beta"} and len(rows) == 1 + len(books["b"])
    old_spelling = {"startup": startup_a.pk, "export": "csv"}
    rows = list(csv.reader(io.StringIO(downloaded(client_for(admin_user).get(STATEMENT, old_spelling)).decode())))
    assert {row[1] for row in rows[1:]} == {"Alpha"} and len(rows) == 1 + len(books["a"])


@pytest.mark.parametrize(
    "params", [{"startup": "A"}, {"startup_name": "alpha"}, {"startup": "A", "startup_name": "Alpha"}]
)
def test_a_startup_user_sees_only_their_own_whatever_startup_they_ask_for(
    client_for, manager_b, startup_a, books, params
):
    params = {key: startup_a.pk if value == "A" else value for key, value in params.items()}
    client = client_for(manager_b)
    response = client.get(STATEMENT, params)
    html = response.content.decode()
    assert response.status_code == 200 and shown(response) == pks(books["b"])
    assert "Earnings · Beta</h1>" in html and not input_tag(html, "startup_name") and not input_tag(html, "startup")
    assert response.context["totals"]["net"] == 370
    exported = downloaded(client.get(STATEMENT, {**params, "format": "csv"})).decode()
    assert len(list(csv.reader(io.StringIO(exported)))) == 1 + len(books["b"])


@pytest.mark.parametrize(
    "params",
    [{"startup": "A"}, {"startup_name": "alp"}, {"startup": "A", "startup_name": "Beta"}, {"status": "accrued"}],
)
def test_approve_matching_approves_exactly_the_accruals_the_statement_shows(
    client_for, admin_user, startup_a, books, params
):
    params = {key: startup_a.pk if value == "A" else value for key, value in params.items()}
    client = client_for(admin_user)
    on_screen = client.get(STATEMENT, params).context["page"].object_list
    expected = {c.pk for c in on_screen if c.status == CommissionStatus.ACCRUED}
    assert expected  # each case shows some accruals to approve
    client.post(f"{APPROVE}?{'&'.join(f'{k}={v}' for k, v in params.items())}", {"next": STATEMENT})
    approved = set(
        Commission.objects.filter(status=CommissionStatus.APPROVED, approved_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert approved == expected


def test_approve_matching_with_a_filter_in_error_approves_nothing(client_for, admin_user, startup_a, books):
    response = client_for(admin_user).post(f"{APPROVE}?status=owed&startup={startup_a.pk}", follow=True)
    assert "nothing was approved" in response.content.decode()
    assert not Commission.objects.filter(status=CommissionStatus.APPROVED, approved_at__isnull=False).exists()


def test_other_lists_share_the_rule(client_for, officer, startup_a, exporter_a, exporter_b):
    client = client_for(officer)
    linked = client.get(EXPORTERS, {"startup": startup_a.pk})
    assert [e.pk for e in linked.context["page"].object_list] == [exporter_a.pk]
    assert 'value="Alpha"' in input_tag(linked.content.decode(), "startup_name")
    # Once both filters were applied together, and a name typed over a link found nothing.
    retyped = client.get(EXPORTERS, {"startup": startup_a.pk, "startup_name": "Beta"})
    assert [e.pk for e in retyped.context["page"].object_list] == [exporter_b.pk]


def test_the_api_still_applies_both_filters_together(officer, startup_a, exporter_a, exporter_b):
    api = api_for(officer)
    both = api.get(f"{API}/exporters/", {"startup": startup_a.pk, "startup_name": "Beta"})
    assert both.status_code == 200 and both.json()["results"] == []
    same = api.get(f"{API}/exporters/", {"startup": startup_a.pk, "startup_name": "alp"}).json()["results"]
    assert [row["id"] for row in same] == [exporter_a.pk]


@pytest.fixture
def work(agent_a, manager_a, manager_b, exporter_a, exporter_b):
    now = timezone.now()
    return {
        "agent_a": activity_log(
            actor=agent_a, exporter=exporter_a, kind="call", occurred_at=now, note="A call", outcome="reached"
        ),
        "manager_a": activity_log(
            actor=manager_a, exporter=exporter_a, kind="visit", occurred_at=now, note="A visit", outcome="reached"
        ),
        "manager_b": activity_log(
            actor=manager_b, exporter=exporter_b, kind="call", occurred_at=now, note="B call", outcome="reached"
        ),
    }


def logged_by(response) -> list[str] | None:
    """The emails the "Logged by" select offers, or None when the filter bar has none."""
    field = response.context["filter"].form.fields.get("user")
    return None if field is None else sorted(user.email for user in field.queryset)


def test_typing_a_name_that_matches_one_startup_offers_its_team_as_logged_by(client_for, officer, manager_a, work):
    client = client_for(officer)
    response = client.get(WORK_LOG, {"startup_name": "alph"})
    assert logged_by(response) == ["agent@alpha.example", "manager@alpha.example"]
    assert 'name="user"' in response.content.decode() and "Logged by" in response.content.decode()
    mine = client.get(WORK_LOG, {"startup_name": "alph", "user": manager_a.pk}).context["page"].object_list
    assert [a.pk for a in mine] == [work["manager_a"].pk]


def test_a_name_matching_two_startups_offers_no_logged_by(client_for, officer, work):
    response = client_for(officer).get(WORK_LOG, {"startup_name": "private limited"})  # Alpha's and Beta's
    assert logged_by(response) is None and 'name="user"' not in response.content.decode()
    assert len(response.context["page"].object_list) == 3


def test_logged_by_follows_the_rule_for_a_linked_startup(client_for, officer, startup_a, startup_b, work):
    StartupFactory(legal_name="Alpha Two Private Limited", brand_name="Alpha Two")  # "Alpha" names two
    MemberFactory(startup=startup_b, user__email="agent@beta.example")
    client = client_for(officer)
    team_a = ["agent@alpha.example", "manager@alpha.example"]
    assert logged_by(client.get(WORK_LOG, {"startup": startup_a.pk})) == team_a
    assert logged_by(client.get(WORK_LOG, {"startup": startup_a.pk, "startup_name": "Alpha"})) == team_a
    retyped = client.get(WORK_LOG, {"startup": startup_a.pk, "startup_name": "beta"})
    assert logged_by(retyped) == ["agent@beta.example", "manager@beta.example"]
    assert [a.pk for a in retyped.context["page"].object_list] == [work["manager_b"].pk]
    assert logged_by(client.get(WORK_LOG, {"startup": startup_a.pk, "startup_name": ""})) is None


@pytest.mark.parametrize("rows", [4, 30])
def test_the_work_log_filtered_by_a_typed_name_has_a_constant_query_count(
    client_for, officer, agent_a, startup_a, django_assert_num_queries, rows
):
    make_pipeline(startup_a, agent_a, rows)
    client = client_for(officer)
    # session, user, count, rows, (+ the bell's unread count and the review badge), the startups
    # the name matches (at most two), and the one startup's team for "Logged by"
    with django_assert_num_queries(8):
        response = client.get(WORK_LOG, {"startup_name": "alpha"})
    assert len(response.context["page"].object_list) == rows
