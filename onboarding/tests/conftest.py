"""Shared fixtures: the personas (an admin and an officer of the programme, the manager and
the agent of startup A, the manager of startup B), their objects, the browser and the live services."""

from __future__ import annotations

import hypothesis
import pytest
from celery.result import _set_task_join_will_block
from django.test import Client
from django.utils import timezone, translation

from portal.celery import app as celery_app

from ..management import demo
from ..models import Activity, Assignment, Commission
from ..models.startups import MemberRole
from ..models.users import StaffRole
from ..services.progress import activity_log, stage_event_submit
from .factories import (
    ExporterFactory,
    MemberFactory,
    StartupFactory,
    UserFactory,
    assign,
    checklist_files,
    commission_rule,
    stage,
)

# A real S3 server on loopback and a fresh bucket per test (object_storage.py).
from .object_storage import bucket, s3_server, use_bucket  # noqa: F401

# How the suite is organised: groups and their times, the `postgresql` and `clock` markers.
from .suite import pytest_collection_modifyitems, pytest_configure, pytest_runtest_setup  # noqa: F401

PASSWORD = "correct-horse-battery"

# No example database in the work tree (.hypothesis/): every run generates from scratch.
hypothesis.settings.register_profile("portal", database=None)
hypothesis.settings.load_profile("portal")


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Unit tests run tasks in-process; integration tests use the real worker instead."""
    eager = request.node.get_closest_marker("integration") is None
    celery_app.conf.task_always_eager = eager
    celery_app.conf.task_eager_propagates = eager
    # Celery marks "inside a task" in one process-wide flag, set and put back around every eager
    # apply_async. Two threads doing that at once (the race tests) can put it back in the wrong
    # order and leave it set, and every later `result.get()` then refuses to run.
    _set_task_join_will_block(False)
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _language():
    """Each test starts in English: the language a request activates stays on its thread after
    the response, and would otherwise carry into the next test's emails and forms."""
    translation.activate("en-in")
    yield
    translation.activate("en-in")


@pytest.fixture(autouse=True)
def _media_root(request, settings, tmp_path):
    """Uploads go to a fresh directory per test, never into var/media. Integration tests keep
    the configured MEDIA_ROOT: their Celery worker is another process and reads the files there."""
    if request.node.get_closest_marker("integration") is None:
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(db):
    """A programme admin, with the authenticator app that admins must use."""
    user = UserFactory(email="admin@programme.example", staff_role=StaffRole.ADMIN, is_staff=True)
    demo.authenticator_for(user)
    return user


@pytest.fixture
def officer(db):
    return UserFactory(email="officer@programme.example", staff_role=StaffRole.OFFICER, is_staff=True)


@pytest.fixture
def startup_a(db):
    return StartupFactory(legal_name="Alpha Exports Private Limited", brand_name="Alpha")


@pytest.fixture
def startup_b(db):
    return StartupFactory(legal_name="Beta Trade Private Limited", brand_name="Beta", state="24")


@pytest.fixture
def manager_a(startup_a):
    return MemberFactory(startup=startup_a, role=MemberRole.MANAGER, user__email="manager@alpha.example").user


@pytest.fixture
def agent_a(startup_a):
    return MemberFactory(startup=startup_a, role=MemberRole.AGENT, user__email="agent@alpha.example").user


@pytest.fixture
def manager_b(startup_b):
    return MemberFactory(startup=startup_b, role=MemberRole.MANAGER, user__email="manager@beta.example").user


@pytest.fixture
def exporter_a(startup_a):
    """An exporter assigned to startup A."""
    return assign(ExporterFactory(legal_name="Alpha Garments LLP"), startup_a)


@pytest.fixture
def exporter_b(startup_b):
    """An exporter assigned to startup B."""
    return assign(ExporterFactory(legal_name="Beta Gems LLP", state="24"), startup_b)


class PortalClient(Client):
    """Django's test client, where `force_login` stands for a whole sign-in: the password and,
    for someone with two-factor sign-in on, the code (the session records the authenticator
    as the verify page does). `force_login(user, verified=False)` stops after the password."""

    def force_login(self, user, backend=None, *, verified: bool = True):
        super().force_login(user, backend)
        if verified and user.two_factor_enabled:
            demo.verify_session(self, user)


@pytest.fixture
def client():
    return PortalClient()


@pytest.fixture
def client_for(client):
    """`client_for(user)`: the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def auto_contact(settings):
    """REQUIRE_CONFIRMED_CONTACT off: a reached call or visit approves "Contacted" at once, for
    tests that need an exporter past that stage (and its commission) from one logged call."""
    settings.REQUIRE_CONFIRMED_CONTACT = False


@pytest.fixture
def api_objects(auto_contact, agent_a, exporter_a, exporter_b, manager_b):
    """`{startup pk: {API resource: pk}}`: each startup's exporter with logged work, evidence
    and a commission, named as the REST API names them."""
    commission_rule("contacted", "500.00")
    objects = {}
    for exporter, actor in ((exporter_a, agent_a), (exporter_b, manager_b)):
        activity_log(
            actor=actor,
            exporter=exporter,
            kind="call",
            occurred_at=timezone.now(),
            note="First call",
            outcome="reached",
        )
        event = stage_event_submit(
            actor=actor,
            exporter=exporter,
            stage=stage("documents_collected"),
            evidence={"note": "GST, IEC"},
            checklist=checklist_files("documents_collected"),
        )
        objects[exporter.startup_id] = {
            "startups": exporter.startup_id,
            "exporters": exporter.pk,
            "assignments": Assignment.objects.get(exporter=exporter).pk,
            "stage-events": event.pk,
            "activities": Activity.objects.filter(exporter=exporter).first().pk,
            "commissions": Commission.objects.get(exporter=exporter).pk,
        }
    return objects


# --- Headless Chromium (Debian's package, driven by Playwright) -----------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    import os

    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: the test command installs Debian's chromium.")
    # Playwright's sync API runs an event loop in this thread; the tests' own ORM
    # calls are still synchronous, so Django's async-safety guard is lifted here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 412, "height": 915})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in_on(page, user, password: str = PASSWORD):
    """Fill the real sign-in form on `page` (any browser tab), with the second step when asked."""
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/account/two-factor/verify/" in page.url:
        page.get_by_label("Code").fill(demo.authenticator_code(demo.authenticator_for(user)))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(lambda url: "/account/two-factor/" not in url)
    return page


@pytest.fixture
def sign_in(page):
    """`sign_in(user)`: fill the real sign-in form in the browser."""
    return lambda user, password=PASSWORD: sign_in_on(page, user, password)


# --- Real services: Redis (started by the test command), a Celery worker and an SMTP sink ---


def _require(variable: str) -> str:
    import os

    value = os.environ.get(variable, "")
    if not value:
        message = f"{variable} is not set: integration tests need the services `make test` starts."
        if os.environ.get("PORTAL_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture(scope="session")
def redis_url():
    return _require("REDIS_URL")


@pytest.fixture(scope="session")
def smtp_sink():
    """An aiosmtpd server on loopback that keeps every message it receives."""
    from .live_services import SmtpSink

    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, redis_url, smtp_sink):
    """A real `celery worker` process on the test database, the Redis broker and the SMTP sink."""
    from django.db import connection

    from .live_services import CeleryWorker

    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    worker = CeleryWorker(database=database, redis_url=redis_url, smtp_port=smtp_sink.port)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def mailbox(smtp_sink):
    smtp_sink.clear()
    return smtp_sink


@pytest.fixture
def menu(page):
    """`menu()` opens the collapsed navbar on a phone-sized screen (no-op when it is open)."""

    def open_menu():
        toggler = page.locator(".navbar-toggler")
        if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
            page.locator("#nav.show").wait_for()
        return page

    return open_menu


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests truncate every table afterwards, data-migration rows included:
    the stages and HS sections are put back before any test that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None or {"db", "transactional_db", "live_server"} & set(request.fixturenames):
        from django.apps import apps

        from ..models import Stage
        from ..reference import seed_reference_data

        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            if not Stage.objects.exists():
                seed_reference_data(apps)


@pytest.fixture
def sign_out(page):
    """`sign_out()` through the account menu in the top bar (on a phone too: it is not inside
    the side menu, whose backdrop would cover it)."""

    def click():
        page.locator(".navbar .dropdown-toggle").click()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/accounts/login/**")

    return click
