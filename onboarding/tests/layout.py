"""Measuring a page's layout in Chromium, once the page has loaded.

After a click that navigates, an `expect` on the new page passes as soon as its HTML is in,
which may be before its stylesheets apply and its scripts run: a browser that must revalidate
them first (a cached copy gone stale) waits a round trip. A measurement taken then races them,
so every one here waits for the page's load event first.
"""

from __future__ import annotations


def page_width(page) -> tuple[int, int]:
    """(the document's width, the screen's) in CSS pixels, once the page has loaded."""
    page.wait_for_load_state()
    width, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return width, screen


def assert_no_sideways_scroll(page, what: str = "") -> None:
    """The page (`what`, else its URL) is no wider than the screen."""
    width, screen = page_width(page)
    assert width <= screen, f"{what or page.url} is {width} px wide on a {screen} px screen"
