"""The pipeline board: card actions for staff, a compact view, scoped for startups."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ..models import Stage
from ..views.progress import BOARD_CARDS_PER_STAGE
from .factories import ExporterFactory, assign
from .layout import assert_no_sideways_scroll

BOARD = reverse("onboarding:board")


def test_staff_cards_open_the_exporter_by_its_name_and_offer_to_assign_it(client_for, officer, exporter_a, exporter_b):
    html = client_for(officer).get(BOARD).content.decode()
    for exporter in (exporter_a, exporter_b):
        assert f'href="{reverse("onboarding:exporter-assign", args=[exporter.pk])}"' in html
        assert f'href="{exporter.get_absolute_url()}">{exporter}</a>' in html
        assert f'aria-label="Assign {exporter} to another startup"' in html
    assert "Open {exporter_a}" not in html and " · </span>" not in html  # no second way in, no stray dot


def test_startup_cards_have_no_assign_action_and_only_their_own_exporters(client_for, agent_a, exporter_a, exporter_b):
    html = client_for(agent_a).get(BOARD).content.decode()
    assert exporter_a.legal_name in html and exporter_b.legal_name not in html
    assert reverse("onboarding:exporter-assign", args=[exporter_a.pk]) not in html


@pytest.mark.parametrize("stages", [2, 3])  # the startup holds 40 at most
def test_each_column_shows_its_longest_waiting_exporters_in_one_query_for_all_columns(
    client_for, officer, manager_a, startup_a, startup_b, django_assert_num_queries, stages
):
    codes = list(Stage.objects.ordered().values_list("code", flat=True)[1 : stages + 1])
    now = timezone.now()
    for i in range(BOARD_CARDS_PER_STAGE + 1):
        for code in codes:
            assign(ExporterFactory(), startup_a, stage_code=code, entered=now - timedelta(hours=7 * i + 1))
    assign(ExporterFactory(), startup_b, stage_code=codes[0], entered=now - timedelta(days=90))
    for user, url in ((manager_a, BOARD), (officer, f"{BOARD}?startup={startup_a.pk}")):
        client = client_for(user)
        client.get(url)
        # session, user, membership or the startup asked for, stages, counts, every column's
        # cards (one query), the agent filter's choices, the bell's unread count (staff: + the review badge)
        with django_assert_num_queries(8 if user == manager_a else 9):
            response = client.get(url)
        for column in response.context["columns"]:
            cards = column["cards"]
            if column["stage"].code not in codes:
                assert cards == [] and column["count"] == 0
                continue
            assert column["count"] == BOARD_CARDS_PER_STAGE + 1 and len(cards) == BOARD_CARDS_PER_STAGE
            assert all(card.startup_id == startup_a.pk and card.current_stage == column["stage"] for card in cards)
            entered = [card.stage_entered_at for card in cards]
            assert entered == sorted(entered) and entered[0] < now - timedelta(hours=7 * BOARD_CARDS_PER_STAGE)


def test_the_board_has_a_compact_toggle_run_by_its_script_without_inline_code(client_for, officer, exporter_a):
    html = client_for(officer).get(BOARD).content.decode()
    assert "data-board-compact" in html and 'aria-pressed="false"' in html and 'aria-controls="board"' in html
    assert '<script src="/static/js/board.js"></script>' in html
    assert not re.search(r"<script>(?!</script>)|\son[a-z]+=|\sstyle=", html)


def test_every_stage_has_a_column_with_a_head_that_stays_in_view(client_for, officer, exporter_a):
    html = client_for(officer).get(BOARD).content.decode()
    assert html.count('class="card-header board-head') == Stage.objects.count()


# --- In the browser, on a 1366 × 768 laptop -----------------------------------------------------


def inside(box: dict | None, left: float, right: float) -> bool:
    return box is not None and left <= box["x"] and box["x"] + box["width"] <= right


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_compact_board_shows_all_ten_stage_heads_on_a_1366_pixel_screen(page, sign_in, officer, startup_a):
    for code in Stage.objects.values_list("code", flat=True):  # a card with a long name in every column
        exporter = ExporterFactory(legal_name=f"Sri Venkateswara Handloom Weavers Society ({code}) LLP")
        assign(exporter, startup_a, stage_code=code)
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(officer)
    page.goto(BOARD)
    # The default view scrolls sideways inside the board, never the page; the legend sits above the columns.
    assert_no_sideways_scroll(page)
    legend, heads = page.locator("#sla-legend").bounding_box(), page.locator(".board-head")
    assert inside(legend, 0, 1366) and legend["y"] + legend["height"] <= heads.first.bounding_box()["y"]

    toggle = page.get_by_role("button", name="Compact view")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(heads).to_have_count(10)
    board = page.locator("#board").bounding_box()
    # Each head inside the screen, and inside the board's own box (not cut off by its scrolling edge).
    outside = {
        heads.nth(i).inner_text(): heads.nth(i).bounding_box()
        for i in range(10)
        if not inside(heads.nth(i).bounding_box(), 0, 1366)
        or not inside(heads.nth(i).bounding_box(), board["x"], board["x"] + board["width"])
    }
    assert outside == {}
    assert_no_sideways_scroll(page)
    # Staff keep their card actions in the compact view.
    expect(page.locator(".board-card").first.get_by_role("link", name=re.compile("^Assign "))).to_be_visible()
