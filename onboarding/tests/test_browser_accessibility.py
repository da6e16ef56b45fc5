"""WCAG 2.1 AA (which GIGW 3.0 builds on), in headless Chromium: axe-core finds no serious or
critical violation on any page of any role, in English and in Hindi, on a 390 px phone and a
1366 px desktop, nor on the
sign-in pages or the exporter's status page (English and Hindi); a keyboard reaches the skip
link first, the skip link moves focus to the page's content, and focus is always visible; a form
with errors announces them and ties each field to its message."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from ..services.exporter_link import exporter_link_get
from .browser_pages import more_pages, pages_by_role
from .conftest import sign_in_on
from .test_browser_phone import busy_startup  # noqa: F401 (its busy startup, reused)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# axe-core from node_modules (pinned in package.json, never served by the portal). It goes in as
# an init script: the browser adds those outside the page's Content-Security-Policy, so the pages
# are checked as people get them, with the policy on (an injected <script> tag would be refused).
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"390 px": (390, 844), "1366 px": (1366, 768)}
# The WCAG 2.0 and 2.1 rules of levels A and AA; axe's best practices are not part of the standard.
# A contrast failure names its colours and ratio: "#6c757d on #f6f7f9, 4.28:1".
RUN_AXE = """async () => {
  const contrast = node => {
    const data = (node.any[0] || {}).data || {};
    return data.contrastRatio ? ` (${data.fgColor} on ${data.bgColor}, ${data.contrastRatio}:1)` : '';
  };
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations'],
  });
  return result.violations
    .filter(rule => rule.impact === 'serious' || rule.impact === 'critical')
    .map(rule => ({
      rule: rule.id, impact: rule.impact, count: rule.nodes.length,
      targets: rule.nodes.slice(0, 3).map(node => node.target.join(' ') + contrast(node)),
    }));
}"""


def listed(found: dict[str, list[dict]]) -> str:
    """One line per violation, for the failure message: where, the rule, how bad, what."""
    return "\n".join(
        f"{where}: {v['rule']} ({v['impact']}, {v['count']}×) at {'; '.join(v['targets'])}"
        for where, violations in found.items()
        for v in violations
    )


def checked_context(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(path=AXE)
    screen = context.new_page()
    screen.set_default_timeout(15_000)
    return context, screen


def violations_on(screen, pages: dict[str, str], who: str) -> dict[str, list[dict]]:
    """`{"who, size: page": [serious or critical violations]}` for each page at each size."""
    found = {}
    for size, (width, height) in SIZES.items():
        screen.set_viewport_size({"width": width, "height": height})
        for name, url in pages.items():
            response = screen.goto(url)
            assert response.status == 200, (who, name, response.status)
            if violations := screen.evaluate(RUN_AXE):
                found[f"{who}, {size}: {name} ({url})"] = violations
    return found


@pytest.mark.parametrize("language", ["en-in", "hi"])
@pytest.mark.parametrize("role", ["admin", "officer", "manager", "agent"])
def test_no_page_of_any_role_has_a_serious_accessibility_violation_on_a_phone_or_a_desktop(
    browser, live_server, request, role, language, busy_startup  # noqa: F811
):  # fmt: skip
    user = request.getfixturevalue({"admin": "admin_user", "manager": "manager_a", "agent": "agent_a"}.get(role, role))
    startup = busy_startup["paid"].startup
    pages = pages_by_role(startup=startup, **busy_startup)[role] | more_pages(role, paid=busy_startup["paid"])
    context, screen = checked_context(browser, live_server)
    try:
        sign_in_on(screen, user)
        assert "/account/two-factor/" not in screen.url, f"{user.email} must set up two-factor first"
        user.language = language  # every page from now on in that language (the account's)
        user.save(update_fields=["language"])
        found = violations_on(screen, pages, f"{role} ({language})")
        assert not found, listed(found)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en-in", "hi"])
def test_the_sign_in_pages_have_no_serious_accessibility_violation(browser, live_server, agent_a, language):
    context, screen = checked_context(browser, live_server)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    try:
        pages = {"sign in": "/accounts/login/", "password reset": reverse("password_reset")}
        found = violations_on(screen, pages, f"signed out ({language})")
        # The sign-in form refused, with its error shown.
        screen.goto("/accounts/login/")
        screen.locator("input[name=username]").fill(agent_a.email)
        screen.locator("input[name=password]").fill("not the password")
        # Checked once the refusal's page has loaded: axe run mid-navigation found no document.
        with screen.expect_navigation():
            screen.locator("main button[type=submit]").click()
        if violations := screen.evaluate(RUN_AXE):
            found[f"sign in, refused ({language})"] = violations
        assert not found, listed(found)
    finally:
        context.close()


# The status page has its own template, texts and style sheet (templates/exporter_status/,
# static/css/exporter-status.css), and its own choice of language (?lang=).
def test_the_exporters_status_page_has_no_serious_accessibility_violation_in_english_or_hindi(
    browser, live_server, busy_startup  # noqa: F811
):  # fmt: skip
    url = reverse("onboarding:exporter-status", args=[exporter_link_get(exporter=busy_startup["waiting"]).token()])
    context, screen = checked_context(browser, live_server)
    try:
        pages = {"English": url + "?lang=en", "Hindi": url + "?lang=hi"}
        found = violations_on(screen, pages, "exporter")
        assert not found, listed(found)
    finally:
        context.close()


def test_a_form_with_errors_is_announced_and_ties_each_field_to_its_message(
    browser, live_server, agent_a, busy_startup  # noqa: F811
):  # fmt: skip
    context, screen = checked_context(browser, live_server)
    try:
        screen.set_viewport_size({"width": 390, "height": 844})
        sign_in_on(screen, agent_a)
        screen.goto(reverse("onboarding:exporter-log-work", args=[busy_startup["waiting"].pk]))
        screen.get_by_label("How did it go?").select_option("reached")
        screen.get_by_label("Minutes").fill("-5")
        screen.get_by_role("button", name="Save").click()
        # The summary is an alert: a screen reader reads it out when the page comes back.
        expect(screen.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
        minutes = screen.get_by_label("Minutes")
        expect(minutes).to_have_attribute("aria-invalid", "true")
        described = minutes.get_attribute("aria-describedby").split()
        messages = " ".join(screen.locator(f"#{id}").inner_text() for id in described)
        assert "Minutes must be between 1 and 1,440" in messages, messages
        found = {"log work, refused": screen.evaluate(RUN_AXE)}
        assert not found["log work, refused"], listed(found)
    finally:
        context.close()


# Focus shows as an outline or a ring (box-shadow), as the theme draws it.
FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
}"""


def test_a_keyboard_reaches_the_skip_link_first_then_the_menu_and_sees_where_focus_is(
    browser, live_server, manager_a, busy_startup  # noqa: F811
):  # fmt: skip
    context, screen = checked_context(browser, live_server)
    try:
        screen.set_viewport_size({"width": 1366, "height": 768})
        sign_in_on(screen, manager_a)
        screen.goto(reverse("onboarding:exporter-list"))
        screen.keyboard.press("Tab")
        skip = screen.get_by_role("link", name="Skip to main content")
        expect(skip).to_be_focused()
        expect(skip).to_be_visible()
        assert screen.evaluate(FOCUS_SHOWN), "the skip link shows no focus"
        # Then the top bar's brand, and on into the menu.
        screen.keyboard.press("Tab")
        expect(screen.get_by_role("link", name="Export Onboarding")).to_be_focused()
        assert screen.evaluate(FOCUS_SHOWN), "a link shows no focus"
        for _ in range(10):
            screen.keyboard.press("Tab")
            if screen.evaluate("document.activeElement.closest('#nav') !== null"):
                break
        else:
            pytest.fail("ten tabs never reached the menu")
        assert screen.evaluate(FOCUS_SHOWN), "a menu link shows no focus"

        # The skip link takes focus past the menu, to the page's content.
        screen.goto(reverse("onboarding:exporter-list"))
        screen.keyboard.press("Tab")
        screen.keyboard.press("Enter")
        assert screen.evaluate("document.activeElement.id") == "main"
        # On through the page: the first link, button and text box each show where focus is.
        unseen = {"A", "BUTTON", "INPUT"}
        for _ in range(40):
            screen.keyboard.press("Tab")
            kind = screen.evaluate("document.activeElement.tagName")
            if kind in unseen:
                assert screen.evaluate("document.activeElement.closest('#main') !== null")
                assert screen.evaluate(FOCUS_SHOWN), f"a focused {kind} shows no focus"
                unseen.discard(kind)
            if not unseen:
                break
        assert not unseen, f"forty tabs reached no {unseen} on the exporter list"
    finally:
        context.close()
