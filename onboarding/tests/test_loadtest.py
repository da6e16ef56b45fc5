"""The load test's page list and its sign-in, checked with the test client so `make test`
stays fast: the real run (`make loadtest`) needs gunicorn, wrk and programme-scale data."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ..management import demo
from ..management.loadtest import BASELINE, FLOOR, Outcome, loadtest_pages, table, with_ratios
from .factories import ExporterFactory, assign


def test_every_page_of_the_load_test_answers_200_to_its_user(admin_user, manager_a, startup_a, exporter_b):
    assign(ExporterFactory(), startup_a)
    pages = loadtest_pages(manager_a)
    assert [p.name for p in pages[:2]] == [BASELINE, FLOOR]
    clients = {"staff": demo.signed_in_client(admin_user), "startup": demo.signed_in_client(manager_a)}
    for page in pages:
        response = clients[page.who].get(page.path)
        assert response.status_code == 200, page


def test_ratios_are_to_the_admin_changelist_and_the_floor_page_of_the_same_round():
    outcomes = [
        Outcome(BASELINE, "/admin/", "staff", 40.0, 1, 2, 0, 400, round=1),
        Outcome(FLOOR, "/notifications/", "staff", 160.0, 1, 2, 0, 1600, round=1),
        Outcome("dashboard", "/", "staff", 80.0, 1, 2, 0, 800, round=1),
        Outcome(BASELINE, "/admin/", "staff", 20.0, 1, 2, 0, 200, round=2),
        Outcome(FLOOR, "/notifications/", "staff", 100.0, 1, 2, 0, 1000, round=2),
        Outcome("dashboard", "/", "staff", 30.0, 1, 2, 0, 300, round=2),
    ]
    with_ratios(outcomes)
    assert [o.ratio for o in outcomes] == [1.0, 4.0, 2.0, 1.0, 5.0, 1.5]
    assert [o.floor_ratio for o in outcomes] == [0.25, 1.0, 0.5, 0.2, 1.0, 0.3]
    assert "× floor" in table(outcomes)[0] and table(outcomes)[3].split()[-2:] == ["2.00", "0.50"]


def test_the_floor_page_is_empty_for_the_load_tests_staff_person(admin_user):
    response = demo.signed_in_client(admin_user).get("/notifications/")
    assert response.status_code == 200 and not response.context["page"].object_list


@pytest.mark.parametrize("base", ["http://portal.example.in", "http://10.0.0.5:8000"])
def test_the_load_test_refuses_to_drive_anything_but_the_loopback(base, db):
    with pytest.raises(CommandError, match="loopback"):
        call_command("loadtest", "--base", base)


def test_the_load_test_refuses_unbounded_load(db):
    with pytest.raises(CommandError, match="bounded"):
        call_command("loadtest", "--connections", "500")
