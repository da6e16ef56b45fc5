"""A model's STR_FIELDS are every column its text reads: the narrowed reads of the pages take
those columns (`Model.shown_as(relation)`) and a column missing here would cost a query a row."""

from __future__ import annotations

import pytest

from ..models import Exporter, Stage, Startup, User
from .factories import ExporterFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_models_text_reads_only_its_str_fields(django_assert_num_queries):
    named = UserFactory(first_name="Asha", last_name="Rao")
    unnamed = UserFactory(first_name="", last_name="")
    rows = [
        named,
        unnamed,
        StartupFactory(brand_name="Alpha"),
        StartupFactory(brand_name=""),
        ExporterFactory(trade_name="Shree Spices"),
        ExporterFactory(trade_name=""),
        Stage.objects.order_by("order").first(),
    ]
    for row in rows:
        model = type(row)
        assert model in (User, Startup, Exporter, Stage) and model.STR_FIELDS
        narrowed = model.objects.only(*model.STR_FIELDS).get(pk=row.pk)
        with django_assert_num_queries(0):
            assert str(narrowed) == str(row)
    assert str(unnamed) == unnamed.email and str(named) == "Asha Rao"


def test_shown_as_names_the_relation_and_its_columns():
    assert User.shown_as("reviewed_by") == (
        "reviewed_by",
        "reviewed_by__first_name",
        "reviewed_by__last_name",
        "reviewed_by__email",
    )
