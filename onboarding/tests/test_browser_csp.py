"""The pages' scripts still work in headless Chromium under the Content-Security-Policy, and
the browser reports no violation of it."""

import pytest
from playwright.sync_api import expect

from ..management import demo
from ..models import ImportBatch
from ..models.imports import ImportStatus
from ..models.users import StaffRole
from .factories import ExporterFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_errors(page):
    """Every console error and CSP violation the pages report (Chromium logs a violation as an error)."""
    errors = []

    def record(message):
        # The browser's own request for /favicon.ico (the portal has none) is no page's doing.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return errors


def test_dashboard_charts_draw_under_the_policy(page, sign_in, admin_user, startup_a, console_errors):
    for n in range(3):
        assign(ExporterFactory(legal_name=f"Kaveri Spices {n} LLP"), startup_a)
    sign_in(admin_user)
    # goto() returns after the load event: by then the page's scripts have run. (No
    # wait_for_function here: its polling evaluates strings, which the policy forbids.)
    page.goto("/")
    for canvas in ("funnel", "states"):
        drawn = f"window.Chart && Chart.getChart(document.getElementById('{canvas}'))?.data.datasets[0].data.length"
        assert page.evaluate(drawn), f"no chart in #{canvas}"
    page.goto("/reports/")
    series = "window.Chart && Chart.getChart(document.getElementById('state-chart'))?.data.datasets.length"
    assert page.evaluate(series) == 3
    # The load bars take their width from data-width, set by static/js/portal.js.
    bar = page.locator("#startup-load .progress-bar").first
    assert page.evaluate("el => el.getBoundingClientRect().width", bar.element_handle()) > 0
    assert console_errors == []


def test_exporter_list_select_all_works_under_the_policy(page, sign_in, officer, console_errors):
    for n in range(3):
        ExporterFactory(legal_name=f"Shree Textiles {n} LLP")
    sign_in(officer)
    page.goto("/exporters/")
    page.locator("#select-all").check()
    expect(page.locator('#bulk-form input[name="exporter"]:checked')).to_have_count(3)
    page.locator("#select-all").uncheck()
    expect(page.locator('#bulk-form input[name="exporter"]:checked')).to_have_count(0)
    assert console_errors == []


def test_board_startups_and_import_pages_show_no_violation(page, sign_in, admin_user, startup_a, console_errors):
    assign(ExporterFactory(), startup_a)
    batch = ImportBatch.objects.create(file_name="big.csv", status=ImportStatus.VALIDATING, total_rows=10)
    ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=5)
    sign_in(admin_user)
    for path in ("/board/", "/startups/", f"/startups/{startup_a.pk}/", f"/exporters/import/{batch.pk}/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert console_errors == []


def test_django_admin_and_the_api_docs_work_under_the_policy(page, sign_in, console_errors):
    superuser = UserFactory(email="root@programme.example", staff_role=StaffRole.ADMIN, is_staff=True)
    superuser.is_superuser = True
    superuser.save()
    demo.authenticator_for(superuser)  # admins sign in with a second factor
    sign_in(superuser)
    page.goto("/admin/onboarding/exporter/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Export Onboarding Portal API")
    assert console_errors == []
