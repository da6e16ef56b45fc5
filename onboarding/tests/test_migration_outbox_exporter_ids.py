"""Migration 0046 moves an outbox row's exporters from the link table onto the row (a JSON
array of ids, in order) and, on the way down, back into the link table. Its SQL is written
for each database, so it runs on both."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from .migrating import migrate_to

pytestmark = pytest.mark.both_databases

BEFORE = [("onboarding", "0045_stageevent_link_time_indexes")]
AFTER = [("onboarding", "0046_outbox_exporter_ids")]


def exporter(apps, gstin: str, pan: str):
    return apps.get_model("onboarding", "Exporter").objects.create(legal_name=pan, gstin=gstin, pan=pan, state="27")


@pytest.mark.django_db(transaction=True)
def test_the_links_move_onto_their_rows_and_back():
    apps = migrate_to(BEFORE)
    try:
        user = apps.get_model("onboarding", "User").objects.create(email="officer@example.in")
        first = exporter(apps, "27AAPFU0939F1ZV", "AAPFU0939F")
        second = exporter(apps, "27AAACR5055K1Z7", "AAACR5055K")
        OutboxMessage = apps.get_model("onboarding", "OutboxMessage")
        digest = OutboxMessage.objects.create(kind="stalled_digest", recipient=user, period_key="2026-12-04")
        digest.exporters.add(second, first)
        alone = OutboxMessage.objects.create(kind="escalation", recipient=user, period_key="2026-12-04")

        apps = migrate_to(AFTER)
        OutboxMessage = apps.get_model("onboarding", "OutboxMessage")
        assert OutboxMessage.objects.get(pk=digest.pk).exporter_ids == sorted([first.pk, second.pk])
        assert OutboxMessage.objects.get(pk=alone.pk).exporter_ids == []

        OutboxMessage.objects.filter(pk=alone.pk).update(exporter_ids=[second.pk, 999_999])  # 999999: gone
        apps = migrate_to(BEFORE)
        OutboxMessage = apps.get_model("onboarding", "OutboxMessage")
        ids = (digest.pk, alone.pk)
        links = {pk: set(OutboxMessage.objects.get(pk=pk).exporters.values_list("pk", flat=True)) for pk in ids}
        assert links == {digest.pk: {first.pk, second.pk}, alone.pk: {second.pk}}
    finally:
        call_command("migrate", "onboarding", verbosity=0)
