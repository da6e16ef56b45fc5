"""Auto-assignment by parts, to the end: only the ticked rows, a confirmation with their count,
a startup changed in a row, the summary following the filter, the page of what changed and
an undo within its window that refuses once anything moved on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ..models import Activity, Assignment, Exporter
from ..services.auto_assign import UNDO_WINDOW, auto_assign_undo, auto_assignment_apply, propose
from .factories import ExporterFactory, MemberFactory, StartupFactory

AUTO = reverse("onboarding:assignment-auto")


@pytest.fixture
def pool(db):
    """Two startups in Maharashtra, three exporters there, two in Tamil Nadu (matched by nobody else)."""
    west = StartupFactory(state="27", brand_name="West", capacity=10)
    deccan = StartupFactory(state="27", brand_name="Deccan", capacity=10)
    south = StartupFactory(state="33", brand_name="South", capacity=10)
    pune = ExporterFactory.create_batch(3, state="27")
    chennai = ExporterFactory.create_batch(2, state="33")
    return {"west": west, "deccan": deccan, "south": south, "pune": pune, "chennai": chennai}


def _post(client, data, url=AUTO, **kwargs):
    return client.post(url, {"fingerprint": client.get(AUTO).context["plan"].fingerprint, **data}, **kwargs)


def _apply(client, ids, **extra):
    return _post(client, {"apply": "selected", "exporter": ids, "confirm": "yes", **extra}, follow=True)


def test_apply_first_asks_for_confirmation_with_the_count_and_writes_nothing(client_for, admin_user, pool):
    ticked = [pool["pune"][0].pk, pool["chennai"][0].pk]
    response = _post(client_for(admin_user), {"apply": "selected", "exporter": ticked})
    body = response.content.decode()
    assert "Assign 2 exporters to 2 startups?" in body and 'name="confirm" value="yes"' in body
    assert not Assignment.objects.exists()


def test_only_the_ticked_proposals_are_applied_never_the_rest(client_for, admin_user, pool):
    ticked = [pool["pune"][1].pk]
    response = _apply(client_for(admin_user), ticked)
    assert "Assigned 1 exporters." in response.content.decode()
    assert list(Exporter.objects.filter(startup__isnull=False).values_list("pk", flat=True)) == ticked


def test_a_post_without_ticks_assigns_nothing_even_asking_for_all(client_for, admin_user, pool):
    response = _post(client_for(admin_user), {"apply": "all", "confirm": "yes"})
    assert "Tick the proposals to apply first." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_proposals_startup_can_be_changed_in_its_row(client_for, admin_user, pool):
    client = client_for(admin_user)
    exporter = pool["pune"][0]
    proposal = next(p for p in client.get(AUTO).context["proposals"] if p.exporter.pk == exporter.pk)
    other = next(s for s in (pool["west"], pool["deccan"]) if s.pk != proposal.startup.pk)
    assert other.pk in [s.pk for s in proposal.alternatives]
    assert f'name="startup-{exporter.pk}"' in client.get(AUTO).content.decode()
    _apply(client, [exporter.pk], **{f"startup-{exporter.pk}": other.pk})
    assignment = Assignment.objects.get(exporter=exporter)
    assert assignment.startup_id == other.pk and assignment.why.startswith("chosen by hand")


def test_the_summary_follows_the_filter(client_for, officer, pool):
    response = client_for(officer).get(AUTO, {"state": "33"})
    rows = response.context["shown_by_startup"]
    assert [(r["startup"].pk, r["count"]) for r in rows] == [(pool["south"].pk, 2)]


def test_after_applying_the_page_of_what_changed_lists_it_with_an_undo(client_for, admin_user, pool):
    ids = [e.pk for e in pool["chennai"]]
    response = _apply(client_for(admin_user), ids)
    body = response.content.decode()
    assert "Undo this auto-assignment" in body
    assert all(e.legal_name in body for e in pool["chennai"])
    assert f"?startup={pool['south'].pk}" in body  # the startup's exporters, in the list


def test_undo_returns_the_batch_to_the_pool_with_history(client_for, admin_user, pool):
    client = client_for(admin_user)
    ids = [e.pk for e in pool["pune"]]
    batch = _apply(client, ids).redirect_chain[-1][0].rstrip("/").split("/")[-1]
    response = client.post(reverse("onboarding:assignment-auto-undo", args=[batch]), follow=True)
    assert "Undone: 3 exporters are back in the pool" in response.content.decode()
    assert not Assignment.objects.exists()
    assert set(Exporter.objects.pool().values_list("pk", flat=True)) >= set(ids)
    undone = Exporter.history.filter(history_change_reason="auto-assignment undone")
    assert sorted(undone.values_list("id", flat=True)) == sorted(ids)
    assert set(undone.values_list("history_user", flat=True)) == {admin_user.pk}
    gone = Assignment.history.filter(history_type="-", history_change_reason="auto-assignment undone")
    assert gone.count() == 3
    # The exporters are proposed again, to the same startups as before (nobody "had" them).
    assert {p.exporter.pk for p in propose().proposals} >= set(ids)


def test_undo_is_refused_once_an_exporter_was_worked_on(admin_user, pool):
    plan = propose()
    result = auto_assignment_apply(actor=admin_user, plan=plan.only({pool["chennai"][0].pk}))
    exporter = Exporter.objects.get(pk=pool["chennai"][0].pk)
    agent = MemberFactory(startup=exporter.startup, role="agent").user
    Activity.objects.create(
        exporter=exporter, startup=exporter.startup, user=agent, kind="other", occurred_at=timezone.now()
    )
    with pytest.raises(ValidationError, match="changed since they were assigned"):
        auto_assign_undo(actor=admin_user, batch=result.batch)
    assert Assignment.objects.filter(exporter=exporter).exists()


def test_undo_is_refused_after_its_window(admin_user, pool):
    result = auto_assignment_apply(actor=admin_user, plan=propose().only({pool["pune"][0].pk}))
    later = timezone.now() + UNDO_WINDOW + timedelta(minutes=1)
    with pytest.raises(ValidationError, match="can be undone for 30 minutes"):
        auto_assign_undo(actor=admin_user, batch=result.batch, now=later)
    assert Assignment.objects.count() == 1


def test_an_unknown_batch_is_a_404_and_cannot_be_undone(client_for, officer, pool):
    client = client_for(officer)
    assert client.get(reverse("onboarding:assignment-auto-batch", args=["123"])).status_code == 404
    assert client.get(reverse("onboarding:assignment-auto-batch", args=["x" * 300])).status_code == 404
    response = client.post(reverse("onboarding:assignment-auto-undo", args=["123"]), follow=True)
    assert "no such auto-assignment" in response.content.decode()


def test_a_startup_manager_never_sees_or_undoes_a_batch_even_of_their_own_startup(client_for, admin_user, pool):
    result = auto_assignment_apply(actor=admin_user, plan=propose().only({pool["chennai"][0].pk}))
    manager = MemberFactory(startup=pool["south"]).user
    client = client_for(manager)
    assert client.get(reverse("onboarding:assignment-auto-batch", args=[result.batch])).status_code == 403
    assert client.post(reverse("onboarding:assignment-auto-undo", args=[result.batch])).status_code == 403
    assert Assignment.objects.count() == 1
    with pytest.raises(Exception, match="Only programme staff"):
        auto_assign_undo(actor=manager, batch=result.batch)
