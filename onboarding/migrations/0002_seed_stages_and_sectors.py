"""Seed the HS sections and the default listing stages (docs/domain.md#the-listing-stages; editable data)."""

from django.db import migrations


def seed(apps, schema_editor):
    from ..reference import seed_reference_data

    seed_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
