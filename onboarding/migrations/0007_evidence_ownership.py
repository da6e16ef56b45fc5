"""Claims carry the startup that made them; uploaded files get private names.

Existing claims are given the startup of the assignment they were made under (or, without
one, the assignment open for that exporter at the time); claims still waiting whose
startup no longer holds the exporter are withdrawn, as a reassignment now does."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

import onboarding.models.files

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
    dependencies = [
        ("onboarding", "0006_board_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="attachment_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="file name"),
        ),
        migrations.AddField(
            model_name="stageevent",
            name="evidence_file_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="file name"),
        ),
        migrations.AddField(
            model_name="stageevent",
            name="startup",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="stage_events",
                to="onboarding.startup",
            ),
        ),
        migrations.AlterField(
            model_name="activity",
            name="attachment",
            field=models.FileField(blank=True, upload_to=onboarding.models.files.PrivateUploadPath("activities")),
        ),
        migrations.AlterField(
            model_name="stageevent",
            name="evidence_file",
            field=models.FileField(blank=True, upload_to=onboarding.models.files.PrivateUploadPath("evidence")),
        ),
        migrations.AlterField(
            model_name="stageevent",
            name="status",
            field=models.CharField(
                choices=[
                    ("submitted", "Waiting for review"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="submitted",
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="stageevent",
            index=models.Index(fields=["startup", "submitted_at"], name="onboarding__startup_ba0dd4_idx"),
        ),
        migrations.RunPython(backfill_claim_owners, migrations.RunPython.noop),
    ]
