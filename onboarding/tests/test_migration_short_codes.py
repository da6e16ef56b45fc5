"""Migration 0043 gives every existing exporter link its own short code (a column default
would give them all one), so each link sent before the upgrade also has a short alias."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from ..models.exporter_link import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH
from .migrating import migrate_to

BEFORE = [("onboarding", "0042_import_reading")]
AFTER = [("onboarding", "0043_exporter_link_short_code")]


@pytest.mark.django_db(transaction=True)
def test_each_existing_link_gets_its_own_random_short_code_and_keeps_its_key():
    apps = migrate_to(BEFORE)
    try:
        Exporter = apps.get_model("onboarding", "Exporter")
        ExporterLink = apps.get_model("onboarding", "ExporterLink")
        keys = {}
        for n, gstin in enumerate(("27AAPFU0939F1ZV", "27AAPFU0940F1ZB", "27AAPFU0941F1Z9")):
            exporter = Exporter.objects.create(
                legal_name=f"Old Records {n} LLP", gstin=gstin, pan=gstin[2:12], state="27"
            )
            keys[exporter.pk] = ExporterLink.objects.create(exporter=exporter, key=f"old-key-{n}").key

        apps = migrate_to(AFTER)
        rows = list(
            apps.get_model("onboarding", "ExporterLink").objects.values_list("exporter_id", "key", "short_code")
        )
        assert {exporter_id: key for exporter_id, key, _code in rows} == keys
        codes = [code for _pk, _key, code in rows]
        assert len(set(codes)) == len(keys)
        assert all(len(code) == SHORT_CODE_LENGTH and set(code) <= set(SHORT_CODE_ALPHABET) for code in codes)
    finally:
        call_command("migrate", "onboarding", verbosity=0)
