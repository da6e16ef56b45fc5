"""The timeline says changes in words: stage names, product and country names, labels a
person uses; never ids, codes or Python lists."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from ..reports.timeline import exporter_timeline
from ..services.progress import activity_log
from ..views.exporters import TIMELINE_SHOWN
from .factories import ExporterFactory, assign, stage


def changed(exporter, **values):
    for name, value in values.items():
        setattr(exporter, name, value)
    exporter.save()


def changes_seen_by(exporter, viewer) -> list[tuple[str, str, str]]:
    return [change for entry in exporter_timeline(exporter, viewer) for change in entry.changes]


def test_a_stage_change_reads_as_stage_names(officer, startup_a):
    exporter = assign(ExporterFactory(), startup_a)
    changed(exporter, current_stage=stage("assigned"))
    changed(exporter, current_stage=stage("contacted"))
    assert ("Stage", "Assigned", "Contacted") in changes_seen_by(exporter, officer)


def test_products_and_markets_read_as_names_not_lists(officer):
    exporter = ExporterFactory(products=["5208", "630710"], target_markets=["AE"])
    changed(exporter, products=["5208"], target_markets=["AE", "US"])
    changes = changes_seen_by(exporter, officer)
    assert (
        "Products",
        "5208 (Textiles and textile articles), 630710 (Textiles and textile articles)",
        "5208 (Textiles and textile articles)",
    ) in changes
    assert ("Target markets", "United Arab Emirates", "United Arab Emirates, United States") in changes


def test_choices_and_yes_no_read_as_labels(officer):
    exporter = ExporterFactory(preferred_language="mr", is_manufacturer=True)
    changed(exporter, preferred_language="kn", is_manufacturer=False)
    changes = changes_seen_by(exporter, officer)
    assert ("Preferred language", "Marathi", "Kannada") in changes
    assert ("Manufacturer", "Yes", "No") in changes


def test_the_exporter_page_shows_no_ids_or_python_lists(client_for, officer, startup_a):
    exporter = assign(ExporterFactory(products=["5208", "630710"]), startup_a)
    changed(exporter, current_stage=stage("contacted"), products=["5208"])
    html = client_for(officer).get(reverse("onboarding:exporter-detail", args=[exporter.pk])).content.decode()
    assert "Stage: <del>Assigned</del> → Contacted" in html
    assert "[&#x27;5208" not in html and "['5208" not in html
    assert "Current stage:" not in html


def test_the_exporter_page_shows_the_newest_entries_and_links_to_the_whole_timeline(
    client_for, officer, agent_a, startup_a
):
    exporter = assign(ExporterFactory(), startup_a)
    now = timezone.now()
    for day in range(TIMELINE_SHOWN + 5):
        activity_log(
            actor=agent_a,
            exporter=exporter,
            kind="call",
            occurred_at=now - timedelta(days=day),
            note=f"n{day}",
            outcome="reached",
        )
    client = client_for(officer)
    page = client.get(exporter.get_absolute_url())
    whole = exporter_timeline(exporter, officer)
    assert page.context["timeline"] == whole[:TIMELINE_SHOWN]  # newest first
    earlier = len(whole) - TIMELINE_SHOWN
    assert earlier >= 5 and page.context["timeline_earlier"] == earlier
    assert f"Show the whole timeline ({earlier} earlier entries)" in page.content.decode()
    everything = client.get(exporter.get_absolute_url(), {"timeline": "all"})
    assert everything.context["timeline"] == whole and "Show the whole timeline" not in everything.content.decode()
