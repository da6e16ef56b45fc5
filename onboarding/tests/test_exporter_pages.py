"""Exporter pages: registration with derived identifiers and field messages, edits on the
timeline, the searchable list, its query counts, and the staff dashboard."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..models import Exporter
from .factories import ExporterFactory, StartupFactory, assign

GOOD = {
    "legal_name": "Shree Ganesh Handicrafts LLP",
    "trade_name": "Ganesh Crafts",
    "gstin": "27aapfu0939f1zv",
    "pan": "",
    "iec": "",
    "udyam_number": "udyam-mh-26-0123456",
    "msme_category": "micro",
    "state": "",
    "district": "Pune",
    "pin_code": "411 001",
    "contact_name": "Meera Kulkarni",
    "contact_email": "meera@ganesh.example.in",
    "contact_mobile": "09876543210",
    "products": "9403, 442090",
    "target_markets": "us, AE",
    "preferred_language": "mr",
    "is_manufacturer": "on",
    "marketplace": "",
    "marketplace_member_id": "",
    "storefront_url": "",
    "status": "active",
    "status_reason": "",
}


def test_staff_register_an_exporter_and_identifiers_are_derived(client_for, officer):
    response = client_for(officer).post(reverse("onboarding:exporter-create"), GOOD, follow=True)
    exporter = Exporter.objects.get()
    assert exporter.gstin == "27AAPFU0939F1ZV"
    assert (exporter.pan, exporter.iec, exporter.state) == ("AAPFU0939F", "AAPFU0939F", "27")
    assert exporter.udyam_number == "UDYAM-MH-26-0123456"
    assert exporter.contact_mobile == "+919876543210"
    assert exporter.products == ["9403", "442090"] and exporter.sector.code == "XX"
    assert exporter.target_markets == ["US", "AE"]
    assert exporter.marketplace == "Alibaba.com"
    assert "is registered" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gstin", "27AAPFU0939F1ZO", "check character"),
        ("gstin", "27AAPFU0939F1Z", "15 characters"),
        ("pan", "AAACR5055K", "must match the GSTIN"),
        ("state", "24", "registered in Maharashtra"),
        ("pin_code", "011001", "six digits"),
        ("contact_mobile", "12345", "mobile"),
        ("products", "6109, 77", "chapter 77"),
        ("target_markets", "US, XX1", "ISO country code"),
        ("udyam_number", "UDYAM-12", "UDYAM-MH-26-0123456"),
        ("contact_email", "not-an-email", "valid email"),
        ("status", "dropped", None),
    ],
)
def test_bad_exporter_input_gets_a_field_message_and_writes_nothing(client_for, officer, field, value, message):
    response = client_for(officer).post(reverse("onboarding:exporter-create"), {**GOOD, field: value})
    assert response.status_code == 200
    form = response.context["form"]
    error_field = "status_reason" if field == "status" else field
    assert form.errors[error_field], form.errors
    if message:
        assert message in " ".join(form.errors[error_field])
    assert not Exporter.objects.exists()


def test_it_checks_ownership(client_for, manager_b, exporter_a):
    client = client_for(manager_b)
    assert client.get(reverse("onboarding:exporter-detail", args=[exporter_a.pk])).status_code == 404
    assert client.get(reverse("onboarding:exporter-update", args=[exporter_a.pk])).status_code == 404
    url = reverse("onboarding:exporter-update", args=[exporter_a.pk])
    assert client.post(url, {**GOOD, "legal_name": "Hijacked LLP"}).status_code == 404
    exporter_a.refresh_from_db()
    assert exporter_a.legal_name == "Alpha Garments LLP"


def test_duplicate_gstin_is_refused(client_for, officer):
    ExporterFactory(gstin="27AAPFU0939F1ZV", pan="AAPFU0939F")
    response = client_for(officer).post(reverse("onboarding:exporter-create"), GOOD)
    assert "already registered" in response.context["form"].errors["gstin"][0]
    assert Exporter.objects.count() == 1


def test_edit_records_who_changed_what_on_the_timeline(client_for, officer):
    client = client_for(officer)
    client.post(reverse("onboarding:exporter-create"), GOOD)
    exporter = Exporter.objects.get()
    client.post(reverse("onboarding:exporter-update", args=[exporter.pk]), {**GOOD, "district": "Satara"})
    page = client.get(reverse("onboarding:exporter-detail", args=[exporter.pk])).content.decode()
    assert "Satara" in page and "Pune" in page and str(officer) in page


def test_exporter_list_search_by_name_and_gstin_and_filters(client_for, officer, startup_a):
    one = ExporterFactory(legal_name="Kaveri Spices LLP", state="33", products=["0904"])
    two = assign(ExporterFactory(legal_name="Indus Rugs LLP"), startup_a)
    client = client_for(officer)

    def names(**params):
        return [e.legal_name for e in client.get(reverse("onboarding:exporter-list"), params).context["page"]]

    assert names(q="kaveri") == [one.legal_name]
    assert names(q=two.gstin.lower()) == [two.legal_name]
    assert names(state="33") == [one.legal_name]
    assert names(startup=startup_a.pk) == [two.legal_name]
    assert names(unassigned="true") == [one.legal_name]
    assert names(stage=two.current_stage_id) == [two.legal_name]


def test_exporter_list_paginates(client_for, officer):
    ExporterFactory.create_batch(55)
    response = client_for(officer).get(reverse("onboarding:exporter-list"), {"page": 2})
    assert len(response.context["page"].object_list) == 5
    assert "Page 2 of 2" in response.content.decode()
    assert client_for(officer).get(reverse("onboarding:exporter-list"), {"page": "junk"}).status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_exporter_list_query_count_does_not_grow_with_rows(client_for, officer, django_assert_num_queries, rows):
    startup = StartupFactory(capacity=rows)  # room for every row: assignment checks capacity
    for exporter in ExporterFactory.create_batch(rows):
        assign(exporter, startup)
    client = client_for(officer)
    # session, user, count, page rows, the filter form's choices (stages, sectors), the review badge
    with django_assert_num_queries(8):  # + the bell's unread count
        response = client.get(reverse("onboarding:exporter-list"))
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_startup_list_query_count_does_not_grow_with_rows(client_for, officer, django_assert_num_queries, rows):
    StartupFactory.create_batch(rows)
    client = client_for(officer)
    # session, user, count, page rows with their load, the sector filter's choices, the review badge,
    # the page's confirmation rates, the bell's unread count
    with django_assert_num_queries(8):
        response = client.get(reverse("onboarding:startup-list"))
    assert len(response.context["page"].object_list) == rows


def test_dashboard_shows_the_funnel(client_for, officer, exporter_a, exporter_b):
    response = client_for(officer).get(reverse("onboarding:home"))
    funnel = {row["stage"].code: row for row in response.context["funnel"]}
    assert funnel["assigned"]["now"] == 2
    assert response.context["totals"]["assigned"] == 2


@pytest.mark.postgresql
@pytest.mark.parametrize("persona", ["admin_user", "manager_a"])
def test_the_exporter_page_reads_its_selects_choices_in_plain_queries(request, client_for, startup_a, persona):
    """The admin's stage select and a manager's team select: Django reads a model select's
    choices through a server-side cursor (DECLARE, FETCH, CLOSE), three round trips for a few rows."""
    exporter = assign(ExporterFactory(), startup_a)
    client = client_for(request.getfixturevalue(persona))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("onboarding:exporter-detail", args=[exporter.pk]))
    assert response.status_code == 200
    selects = {"admin_user": 'name="stage"', "manager_a": 'name="agent"'}[persona]
    assert selects in response.content.decode()
    assert not [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DECLARE")]
