"""A large import uploaded while the broker was down is kept, waiting: the import recovery
queues its check once the broker is back."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0030_undelivered_includes_unconfirmed"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="waiting_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
