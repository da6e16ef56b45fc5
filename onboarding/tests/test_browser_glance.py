"""Numbers people can trust at a glance, in headless Chromium: every home counter opens a list
of as many rows with its filters shown as chips; on a 390 × 844 phone the exporter list's first
row is on the first screen; no page of any role scrolls sideways at 360 px."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ..models import Exporter
from ..services.progress import activity_log
from ..services.summary import summary_refresh
from .browser_pages import pages_by_role
from .conftest import sign_in_on
from .factories import ExporterFactory, assign
from .layout import assert_no_sideways_scroll, page_width
from .test_browser_phone import busy_startup  # noqa: F401 (its busy startup, reused)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What sticks out on the right, for the failure message: the innermost such elements.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.children.length === 0)
  .slice(0, 3).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))"""


def sized(browser, live_server, width: int, height: int):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    screen = context.new_page()
    screen.set_default_timeout(15_000)
    return context, screen


@pytest.fixture
def page(browser, live_server):
    """An iPhone-sized screen, 390 × 844 (replaces the shared `page`)."""
    context, screen = sized(browser, live_server, 390, 844)
    yield screen
    context.close()


@pytest.fixture
def pipeline(startup_a, agent_a):
    """Startup A: 14 exporters late (half of them worked on), 3 on time; the agent holds 5."""
    long_ago = timezone.now() - timedelta(days=30)
    startup_a.capacity = 100
    startup_a.save(update_fields=["capacity"])
    late = [assign(ExporterFactory(), startup_a, stage_code="contacted", entered=long_ago) for _ in range(14)]
    for exporter in late[::2]:
        activity_log(
            actor=agent_a, exporter=exporter, kind="call", occurred_at=timezone.now(), note="Called", outcome="reached"
        )
    for _ in range(3):
        assign(ExporterFactory(), startup_a, stage_code="contacted")
    Exporter.objects.filter(pk__in=[e.pk for e in late[:5]]).update(agent=agent_a)


def figure(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def listed_count(page) -> int:
    return figure(re.search(r"\(([\d,]+)\)", page.locator("h1").inner_text()).group(1))


@pytest.mark.parametrize("who", ["agent_a", "manager_a"])
def test_every_home_counter_opens_a_list_of_as_many_with_its_filters_as_chips(page, sign_in, pipeline, request, who):
    user = request.getfixturevalue(who)
    sign_in(user)
    for scope in ("Mine", re.compile("^All of")):
        page.goto(reverse("onboarding:home"))
        page.locator("#scope-toggle").get_by_role("link", name=scope).click()
        for counter in ("assigned", "late", "stalled"):
            page.goto(reverse("onboarding:home"))
            link = page.locator(f'[data-counter="{counter}"]')
            shown = figure(link.locator("xpath=following-sibling::div[1]").inner_text())
            link.click()
            page.wait_for_url(re.compile(r"/exporters/"))
            assert listed_count(page) == shown, (who, scope, counter)
            if counter != "assigned":
                expect(page.locator(f'#filter-chips [data-filter-chip="{counter}"]')).to_be_visible()


def test_the_staff_dashboards_counters_open_lists_of_as_many(page, sign_in, officer, pipeline):
    ExporterFactory.create_batch(2)  # the pool
    summary_refresh()  # what the worker does after a change made through a service
    sign_in(officer)
    for counter, chip in (("stalled", "stalled"), ("unassigned", "unassigned")):
        page.goto(reverse("onboarding:home"))
        link = page.locator(f'[data-counter="{counter}"]')
        shown = figure(link.locator("xpath=preceding-sibling::div[1]").inner_text())
        link.click()
        page.wait_for_url(re.compile(r"/exporters/"))
        assert listed_count(page) == shown, counter
        expect(page.locator(f'#filter-chips [data-filter-chip="{chip}"]')).to_be_visible()


def test_on_a_390_pixel_phone_the_first_exporter_row_is_on_the_first_screen(page, sign_in, manager_a, pipeline):
    sign_in(manager_a)
    page.goto(reverse("onboarding:exporter-list"))
    row = page.locator("table tbody tr").first.bounding_box()
    assert row is not None and row["y"] + row["height"] <= 844, row
    # The other filters are folded behind one button, which unfolds them.
    expect(page.get_by_label("Stage")).to_be_hidden()
    page.get_by_role("button", name=re.compile(r"^Filters \(0\)")).click()
    expect(page.get_by_label("Stage")).to_be_visible()
    assert_no_sideways_scroll(page)


def test_no_page_of_any_role_scrolls_sideways_at_360_pixels(
    browser,
    live_server,
    officer,
    admin_user,
    manager_a,
    agent_a,
    busy_startup,  # noqa: F811
):
    pages = pages_by_role(startup=manager_a.startup, **busy_startup)
    too_wide = {}
    for user, role in ((manager_a, "manager"), (agent_a, "agent"), (officer, "officer"), (admin_user, "admin")):
        too_wide.update(_too_wide(browser, live_server, user, pages[role]))
    assert too_wide == {}


def _too_wide(browser, live_server, user, pages: dict[str, str]) -> dict[str, tuple]:
    context, screen = sized(browser, live_server, 360, 800)
    try:
        sign_in_on(screen, user)
        assert "/account/two-factor/" not in screen.url, f"{user.email} must set up two-factor first"
        wide = {}
        for name, url in pages.items():
            response = screen.goto(url)
            assert response.status == 200, (user.email, name, response.status)
            width, screen_width = page_width(screen)
            if width > screen_width:
                wide[f"{user.role}: {name}"] = (width, screen.evaluate(STICKING_OUT))
        return wide
    finally:
        context.close()
