"""Forms that show their errors: a summary at the top of every form page, counting the
problems and linking each to its field; long forms in titled sections."""

from __future__ import annotations

import re

from django.urls import reverse

from .test_exporter_pages import GOOD

SUMMARY = re.compile(r'<div class="alert alert-danger error-summary"[^>]*data-error-summary>(.*?)</div>', re.S)


def summary_of(response) -> str:
    found = SUMMARY.search(response.content.decode())
    assert found, "no error summary on the page"
    return found.group(1)


def test_a_bad_exporter_form_comes_back_with_a_summary_linking_each_field(client_for, officer):
    bad = {**GOOD, "gstin": "27AAPFU0939F1ZO", "pin_code": "012345", "target_markets": "Narnia"}
    response = client_for(officer).post(reverse("onboarding:exporter-create"), bad)
    summary = summary_of(response)
    assert "There are 3 problems" in summary
    for field in ("gstin", "pin_code", "target_markets"):
        assert f'href="#id_{field}"' in summary
    assert "check character" in summary


def test_one_problem_is_called_a_problem(client_for, officer):
    response = client_for(officer).post(reverse("onboarding:exporter-create"), {**GOOD, "pin_code": "1"})
    assert "There is a problem" in summary_of(response)


def test_a_form_seen_for_the_first_time_has_no_summary(client_for, officer):
    response = client_for(officer).get(reverse("onboarding:exporter-create"))
    assert "data-error-summary" not in response.content.decode()


def test_the_startup_form_summary_links_a_checkbox_list_to_its_first_box(client_for, admin_user):
    response = client_for(admin_user).post(reverse("onboarding:startup-create"), {"languages": ["xx"]})
    summary = summary_of(response)
    assert 'href="#id_languages_0"' in summary and 'href="#id_legal_name"' in summary


def test_the_work_log_form_shows_the_summary_to_an_agent(client_for, agent_a, exporter_a):
    response = client_for(agent_a).post(
        reverse("onboarding:exporter-log-work", args=[exporter_a.pk]), {"kind": "séance"}
    )
    assert response.status_code == 200
    assert 'href="#id_kind"' in summary_of(response)


def test_a_wrong_password_is_summarised_on_the_sign_in_page(client, manager_a):
    response = client.post(reverse("login"), {"username": manager_a.email, "password": "wrong"})
    assert "There is a problem" in summary_of(response)


def test_long_forms_are_in_titled_sections_two_fields_a_row(client_for, admin_user):
    for name in ("onboarding:startup-create", "onboarding:exporter-create"):
        html = client_for(admin_user).get(reverse(name)).content.decode()
        assert html.count("<legend") >= 5
        assert 'class="col-md-6' in html
