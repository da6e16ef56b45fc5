"""Every page of every role, by name, for the browser tests that walk them all (no sideways
scroll at 360 px in test_browser_glance.py, no accessibility violation in
test_browser_accessibility.py): one list, so a page added for one check is checked by both."""

from __future__ import annotations

from django.urls import reverse


def pages_by_role(*, startup, waiting, paid) -> dict[str, dict[str, str]]:
    """`{role: {page name: URL}}` for the manager, agent, officer and admin, on the pages of
    test_browser_phone's busy startup (`waiting`: a claim waiting; `paid`: a commission)."""
    startup_pages = {
        "home": reverse("onboarding:home"),
        "exporters": reverse("onboarding:exporter-list"),
        "exporters, late": reverse("onboarding:exporter-list") + "?late=true",
        "exporter with a claim waiting": reverse("onboarding:exporter-detail", args=[waiting.pk]),
        "exporter with a commission": reverse("onboarding:exporter-detail", args=[paid.pk]),
        "log work": reverse("onboarding:exporter-log-work", args=[waiting.pk]),
        "submit evidence": reverse("onboarding:exporter-submit-stage", args=[paid.pk]),
        "work log": reverse("onboarding:activity-list"),
        "earnings": reverse("onboarding:commission-list"),
        "team": reverse("onboarding:team"),
        "preferences": reverse("onboarding:preferences"),
        "board": reverse("onboarding:board"),
        "our startup": reverse("onboarding:startup-detail", args=[startup.pk]),
    }
    staff_pages = {
        "dashboard": reverse("onboarding:home"),
        "exporters": reverse("onboarding:exporter-list"),
        "exporter": reverse("onboarding:exporter-detail", args=[paid.pk]),
        "reviews": reverse("onboarding:review-queue"),
        "reviews, filtered": reverse("onboarding:review-queue") + "?age=1&has_file=false",
        "board": reverse("onboarding:board"),
        "board of a startup": reverse("onboarding:board") + f"?startup={startup.pk}",
        "commissions": reverse("onboarding:commission-list"),
        "work log": reverse("onboarding:activity-list"),
        "startups": reverse("onboarding:startup-list"),
        "outbox": reverse("onboarding:outbox"),
    }
    return {
        "manager": startup_pages,
        "agent": {name: url for name, url in startup_pages.items() if name != "team"},  # managers' page
        "officer": staff_pages,
        "admin": {**staff_pages, "payouts": reverse("onboarding:payout-list")},
    }
