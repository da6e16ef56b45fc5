"""A count on a home page is the count of the list it links to: same scope, same filter, in the
spelling the filter form shows; the list shows its active filters as chips that remove them."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ..models import Exporter, StageEvent
from ..services.progress import activity_log
from .factories import ExporterFactory, assign
from .test_reviews import claim

LIST = reverse("onboarding:exporter-list")
HOME = reverse("onboarding:home")
NOTICES = reverse("onboarding:notification-list")
COUNTER = re.compile(r'href="([^"]+)" data-counter="(\w+)"')


@pytest.fixture
def startup_exporters(startup_a, agent_a):
    """Five exporters of startup A: the agent holds one late and one stalled; the rest are
    nobody's (one late, one stalled, one on time)."""
    now, long_ago = timezone.now(), timezone.now() - timedelta(days=30)
    rows = [assign(ExporterFactory(), startup_a, stage_code="contacted", entered=long_ago) for _ in range(4)]
    rows.append(assign(ExporterFactory(), startup_a, stage_code="contacted"))
    for worked in (rows[0], rows[2]):
        activity_log(actor=agent_a, exporter=worked, kind="call", occurred_at=now, note="Called", outcome="reached")
    Exporter.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(agent=agent_a)
    return rows


def counters(response) -> dict[str, str]:
    return {name: html.unescape(href) for href, name in COUNTER.findall(response.content.decode())}


def list_count(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200
    return response.context["page"].paginator.count


@pytest.mark.parametrize("scope", ["true", "false"])
def test_every_count_on_an_agents_home_equals_the_list_it_links_to(client_for, agent_a, startup_exporters, scope):
    client = client_for(agent_a)
    home = client.get(HOME, {"mine": scope})
    links, counts = counters(home), home.context["counts"]
    assert set(links) == {"assigned", "late", "stalled"}
    for name, href in links.items():
        assert f"mine={scope}" in href
        assert list_count(client, href) == counts[name], name
    expected = (2, 2, 1) if scope == "true" else (5, 4, 2)
    assert (counts["assigned"], counts["late"], counts["stalled"]) == expected


def test_every_count_on_the_staff_dashboard_equals_the_list_it_links_to(client_for, officer, startup_exporters):
    ExporterFactory.create_batch(2)  # in the pool
    client = client_for(officer)
    dashboard = client.get(HOME)
    links, totals = counters(dashboard), dashboard.context["totals"]
    assert list_count(client, links["stalled"]) == totals["stalled"] == 2
    assert list_count(client, links["unassigned"]) == totals["unassigned"] == 2
    assert list_count(client, links["exporters"]) == totals["total"] == 7
    assert links["reviews"] == reverse("onboarding:review-queue")


def test_the_officers_dashboard_counts_the_evidence_waiting_for_review(client_for, officer, agent_a, startup_a):
    claim(startup_a, agent_a, name="Storefront LLP")
    client = client_for(officer)
    client.get(HOME)
    with CaptureQueriesContext(connection) as queries:
        dashboard = client.get(HOME)
    # The card shows the navbar's review badge, counted once for both.
    assert dashboard.context["nav_reviews_waiting"] == 1
    assert sum("onboarding_stageevent" in q["sql"] and "submitted" in q["sql"] for q in queries) == 1
    queue = client_for(officer).get(reverse("onboarding:review-queue"))
    assert queue.context["page"].paginator.count == 1
    assert "Waiting for review" in dashboard.content.decode()


def test_the_review_badge_counts_to_99_and_shows_more_as_99_plus_where_the_dashboard_gives_the_figure(
    client_for, officer, agent_a, startup_a
):
    first = claim(startup_a, agent_a, name="Storefront LLP")
    same = {f.attname: getattr(first, f.attname) for f in StageEvent._meta.concrete_fields if not f.primary_key}
    StageEvent.objects.bulk_create([StageEvent(**same) for _ in range(100)])  # 101 waiting
    client = client_for(officer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(NOTICES).content.decode()
    assert re.search(r"Reviews\s*<span[^>]*>99\+</span>", page)
    [counted] = [q["sql"] for q in queries if "onboarding_stageevent" in q["sql"] and "COUNT" in q["sql"]]
    assert "LIMIT 100" in counted  # never counts past what it shows
    dashboard = client.get(HOME)
    assert dashboard.context["nav_reviews_waiting"] == 101
    assert re.search(r"Reviews\s*<span[^>]*>99\+</span>", dashboard.content.decode())
    assert re.search(r'class="display-6">101</div>', dashboard.content.decode())
    StageEvent.objects.filter(
        pk__in=list(StageEvent.objects.exclude(pk=first.pk).values_list("pk", flat=True)[:2])
    ).delete()
    assert re.search(r"Reviews\s*<span[^>]*>99</span>", client.get(NOTICES).content.decode())  # 99 waiting


def test_a_yes_filter_reads_and_shows_1_and_true_alike(client_for, manager_a, startup_exporters):
    client = client_for(manager_a)
    for spelling in ("1", "true", "True"):
        response = client.get(LIST, {"late": spelling})
        assert response.context["page"].paginator.count == 4
        assert '<option value="true" selected>Past the SLA</option>' in response.content.decode()


def test_the_scope_chosen_on_the_home_page_is_the_lists_and_is_remembered(client_for, agent_a, startup_exporters):
    client = client_for(agent_a)
    assert list_count(client, LIST) == 2  # an agent starts on their own exporters
    client.get(HOME, {"mine": "false"})
    assert list_count(client, LIST) == 5
    assert client.get(HOME).context["mine"] is False
    client.get(LIST, {"mine": "true"})
    assert client.get(HOME).context["counts"]["assigned"] == 2


def test_a_manager_starts_on_the_whole_startup_with_one_scope_control(client_for, manager_a, startup_exporters):
    response = client_for(manager_a).get(LIST)
    page = response.content.decode()
    assert response.context["page"].paginator.count == 5
    assert page.count('id="scope-toggle"') == 1 and "Whose" not in page.replace('aria-label="Whose exporters"', "")
    assert re.search(r'<input type="hidden" name="mine"[^>]*value="false"', page)  # Apply keeps the scope


def test_active_filters_are_chips_that_remove_themselves(client_for, manager_a, agent_a, startup_exporters):
    response = client_for(manager_a).get(LIST, {"late": "1", "agent": agent_a.pk, "q": "Shree", "page": "1"})
    page = response.content.decode()
    chips = dict(re.findall(r'href="([^"]+)" data-filter-chip="(\w+)"', page))
    assert set(chips.values()) == {"late", "agent", "q"}
    late_chip = next(href for href, name in chips.items() if name == "late")
    assert "late=" not in late_chip and "page=" not in late_chip and "q=Shree" in late_chip
    assert "Late:</span> Past the SLA" in page and f"Agent:</span> {agent_a}" in page
    assert "Filters (2)" in page  # the search box is not folded away on a phone


def test_the_review_queue_activities_and_commissions_show_their_chips(client_for, officer, startup_a):
    client = client_for(officer)
    queue = client.get(reverse("onboarding:review-queue"), {"age": "3", "has_file": "true"})
    assert "Waiting:</span> Over 3 days" in queue.content.decode()
    assert "File:</span> With a file" in queue.content.decode()
    work = client.get(reverse("onboarding:activity-list"), {"kind": "call"})
    assert 'data-filter-chip="kind"' in work.content.decode()
    statement = client.get(reverse("onboarding:commission-list"), {"startup": startup_a.pk})
    assert f"Startup:</span> {startup_a}" in statement.content.decode()


def test_no_chip_and_no_count_without_filters(client_for, manager_a, startup_exporters):
    page = client_for(manager_a).get(LIST).content.decode()
    assert 'id="filter-chips"' not in page and "Filters (0)" in page


def test_another_startups_manager_never_counts_or_lists_startup_as_exporters(client_for, manager_b, startup_exporters):
    client = client_for(manager_b)
    home = client.get(HOME, {"mine": "false"})
    assert home.context["counts"]["assigned"] == 0
    assert list_count(client, LIST + "?mine=false&late=true") == 0
