"""Existing claims get the startup of the assignment they were made under (or, without one,
the assignment open for that exporter at the time); claims still waiting whose startup no
longer holds the exporter are withdrawn, as a reassignment now does.

A migration of its own: PostgreSQL refuses the schema changes of 0007 (their deferred
index builds) in a transaction that has already updated rows of the same table."""

from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

MOVED_ON = "Withdrawn: the exporter had moved to another startup before this claim was reviewed."


def backfill_claim_owners(apps, schema_editor):
    StageEvent = apps.get_model("onboarding", "StageEvent")
    Assignment = apps.get_model("onboarding", "Assignment")
    StageEvent.objects.filter(startup__isnull=True, assignment__isnull=False).update(
        startup=Subquery(Assignment.objects.filter(pk=OuterRef("assignment")).values("startup")[:1])
    )
    open_then = (
        Assignment.objects.filter(exporter=OuterRef("exporter"), assigned_at__lte=OuterRef("submitted_at"))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef("submitted_at")))
        .order_by("-assigned_at")
        .values("startup")[:1]
    )
    StageEvent.objects.filter(startup__isnull=True).update(startup=Subquery(open_then))
    waiting = StageEvent.objects.filter(status="submitted").select_related("exporter")
    stale = [event.pk for event in waiting if event.startup_id != event.exporter.startup_id]
    StageEvent.objects.filter(pk__in=stale).update(
        status="withdrawn", review_note=MOVED_ON, reviewed_at=models.F("submitted_at")
    )


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0007_evidence_ownership")]

    operations = [migrations.RunPython(backfill_claim_owners, migrations.RunPython.noop)]
