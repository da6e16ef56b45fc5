"""Reference data for transactional tests: a transactional test's flush empties the
seeded stages and sectors, so tests that run after one put them back first."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps


@pytest.fixture
def reference_data(transactional_db):
    seeding = importlib.import_module("onboarding.migrations.0002_seed_stages_and_sectors")
    seeding.seed(apps, None)
