"""`bulk.copy_new`, the import's writer of new exporters: the rows and their history rows
as simple-history would write them, and a GSTIN clash refused as Django's IntegrityError; and
`bulk.fewer_collections`, under which the import's steps run."""

import gc

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..bulk import copy_new, fewer_collections
from ..models import Exporter
from .factories import ExporterFactory

pytestmark = pytest.mark.both_databases  # COPY on PostgreSQL, bulk_create elsewhere


def unsaved(count: int) -> list[Exporter]:
    return [ExporterFactory.build() for _ in range(count)]


def test_new_exporters_are_written_with_ids_timestamps_and_one_history_row_each(admin_user):
    now = timezone.now()
    exporters = unsaved(3)
    copy_new(Exporter, exporters, actor=admin_user, reason="Imported from x.csv", when=now)
    stored = Exporter.objects.filter(pk__in=[e.pk for e in exporters])
    assert sorted(stored.values_list("gstin", flat=True)) == sorted(e.gstin for e in exporters)
    assert all(created >= now for created in stored.values_list("created_at", flat=True))
    history = Exporter.history.filter(id__in=[e.pk for e in exporters])
    assert history.count() == 3
    assert set(history.values_list("history_type", "history_user", "history_change_reason")) == {
        ("+", admin_user.pk, "Imported from x.csv")
    }
    assert Exporter.objects.create(**{f: getattr(unsaved(1)[0], f) for f in ("legal_name", "gstin", "pan")}).pk > max(
        e.pk for e in exporters
    )


def test_a_gstin_already_registered_is_refused_and_nothing_is_written(admin_user):
    taken = ExporterFactory()
    clash = unsaved(2)
    clash[1].gstin = taken.gstin
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_new(Exporter, clash, actor=admin_user, reason="import", when=timezone.now())
    assert Exporter.objects.count() == 1
    assert Exporter.history.count() == 1


def test_fewer_collections_raises_the_threshold_and_puts_it_back_even_on_an_error():
    before = gc.get_threshold()
    with pytest.raises(ZeroDivisionError), fewer_collections(12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.isenabled()  # still collecting, only less often
        1 / 0  # noqa: B018
    assert gc.get_threshold() == before
