"""Every page of every role, by name, for the browser tests that walk them all (no sideways
scroll at 360 px in test_browser_glance.py, no accessibility violation in
test_browser_accessibility.py, no English left in Hindi in test_translation_coverage.py): one
list, so a page added for one check is checked by all."""

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


def more_pages(role: str, *, paid) -> dict[str, str]:
    """The forms and account pages a role also has, beyond the pages every browser walk checks."""
    pages = {
        "notifications": reverse("onboarding:notification-list"),
        "API access": reverse("onboarding:account-api"),
        "two-factor sign-in": reverse("onboarding:two-factor"),
    }
    if role == "manager":
        pages["payouts"] = reverse("onboarding:payout-list")
    if role in ("officer", "admin"):
        pages |= {
            "new exporter": reverse("onboarding:exporter-create"),
            "edit exporter": reverse("onboarding:exporter-update", args=[paid.pk]),
            "import exporters": reverse("onboarding:exporter-import"),
            "auto-assign": reverse("onboarding:assignment-auto"),
            "review signals": reverse("onboarding:review-signals"),
            "disputes": reverse("onboarding:dispute-list"),
            "distribution report": reverse("onboarding:reports"),
            "milestones": reverse("onboarding:analytics-milestones"),
            "trends": reverse("onboarding:analytics-trends"),
            "scorecards": reverse("onboarding:analytics-scorecards"),
            "outcomes": reverse("onboarding:analytics-outcomes"),
            "monthly reports": reverse("onboarding:analytics-monthly"),
        }
    if role == "admin":
        pages |= {
            "commission rules": reverse("onboarding:commission-rules"),
            "new startup": reverse("onboarding:startup-create"),
        }
    return pages
