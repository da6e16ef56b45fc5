"""Claims carry the startup that made them (filled in by 0008); uploaded files get private names."""

import django.db.models.deletion
from django.db import migrations, models

import onboarding.models.files


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0006_board_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="attachment_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=255, verbose_name="file name"),
        ),
        migrations.AddField(
            model_name="stageevent",
            name="evidence_file_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=255, verbose_name="file name"),
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
    ]
