"""The pipeline board: card actions for staff, a compact view, scoped for startups."""

from __future__ import annotations

import re

from django.urls import reverse

from ..models import Stage

BOARD = reverse("onboarding:board")


def test_staff_cards_open_the_exporter_and_offer_to_assign_it(client_for, officer, exporter_a, exporter_b):
    html = client_for(officer).get(BOARD).content.decode()
    for exporter in (exporter_a, exporter_b):
        assert f'href="{reverse("onboarding:exporter-assign", args=[exporter.pk])}"' in html
        assert f'aria-label="Open {exporter}"' in html and f'aria-label="Assign {exporter} to another startup"' in html


def test_startup_cards_have_no_assign_action_and_only_their_own_exporters(client_for, agent_a, exporter_a, exporter_b):
    html = client_for(agent_a).get(BOARD).content.decode()
    assert exporter_a.legal_name in html and exporter_b.legal_name not in html
    assert reverse("onboarding:exporter-assign", args=[exporter_a.pk]) not in html


def test_the_board_has_a_compact_toggle_run_by_its_script_without_inline_code(client_for, officer, exporter_a):
    html = client_for(officer).get(BOARD).content.decode()
    assert "data-board-compact" in html and 'aria-pressed="false"' in html and 'aria-controls="board"' in html
    assert '<script src="/static/js/board.js"></script>' in html
    assert not re.search(r"<script>(?!</script>)|\son[a-z]+=|\sstyle=", html)


def test_every_stage_has_a_column_with_a_head_that_stays_in_view(client_for, officer, exporter_a):
    html = client_for(officer).get(BOARD).content.decode()
    assert html.count('class="card-header board-head') == Stage.objects.count()
