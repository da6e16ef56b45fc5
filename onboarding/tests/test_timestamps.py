"""PostgreSQL's timestamps read with psycopg's compiled loader (onboarding/timestamps.py): the
same values, time zone included, as Django's own loader gives, on every cursor Django makes."""

from __future__ import annotations

import datetime
from types import FunctionType, SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import postgres
from psycopg.pq import Format

from ..models import Exporter
from ..timestamps import CompiledTimestamptzLoader, compiled_timestamps_for
from .factories import ExporterFactory

TIMESTAMPTZ = postgres.types["timestamptz"].oid
VALUES = """SELECT v::timestamptz FROM (VALUES
    ('2026-12-04 10:15:30.123456+00'), ('2026-12-04 10:15:30+05:30'), ('2026-03-29 01:30:00 Europe/London'),
    ('0001-01-01 00:00:00+00'), ('9999-12-31 23:59:59.999999+00'), ('1970-01-01 00:00:00+00'), (NULL)
) AS t(v)"""

pytestmark = pytest.mark.django_db


def loader_of(cursor):
    return cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


def test_django_cursors_read_timestamps_with_the_compiled_loader():
    with connection.cursor() as cursor:
        assert issubclass(loader_of(cursor), CompiledTimestamptzLoader)
        # psycopg's binary package (requirements.txt): each value is read by compiled code alone.
        assert psycopg.pq.__impl__ == "binary"
        load = loader_of(cursor)(TIMESTAMPTZ, cursor.cursor).load
        assert type(load.__self__).__module__.startswith("psycopg_binary")
        assert not isinstance(getattr(load, "__func__", load), FunctionType)  # compiled, not Python


def test_the_compiled_loader_reads_what_djangos_reads():
    with connection.cursor() as cursor:
        cursor.execute(VALUES)
        compiled = [row[0] for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own, on this cursor only
        assert not issubclass(loader_of(cursor), CompiledTimestamptzLoader)
        cursor.execute(VALUES)
        djangos = [row[0] for row in cursor.fetchall()]
    assert compiled == djangos
    assert [value.tzinfo for value in compiled[:-1]] == [datetime.UTC] * 6 == [v.tzinfo for v in djangos[:-1]]
    assert compiled[1] == datetime.datetime(2026, 12, 4, 4, 45, 30, tzinfo=datetime.UTC)
    assert compiled[-1] is None


def test_a_saved_time_reads_back_as_the_same_instant():
    at = datetime.datetime(2026, 12, 4, 16, 45, 30, 250000, tzinfo=ZoneInfo("Asia/Kolkata"))
    exporter = ExporterFactory()
    Exporter.objects.filter(pk=exporter.pk).update(stage_entered_at=at)
    read = Exporter.objects.get(pk=exporter.pk).stage_entered_at
    assert read == at and read.tzinfo is datetime.UTC


def test_only_a_psycopg_connection_in_utc_takes_the_compiled_loader():
    raw = mock.Mock(spec=psycopg.Connection)
    for zone in (ZoneInfo("Asia/Kolkata"), ZoneInfo("UTC"), None):  # None: USE_TZ off
        compiled_timestamps_for(None, SimpleNamespace(timezone=zone, connection=raw))
    raw.adapters.register_loader.assert_not_called()
    sqlite = mock.Mock(adapters=raw.adapters)  # not a psycopg connection
    compiled_timestamps_for(None, SimpleNamespace(timezone=datetime.UTC, connection=sqlite))
    raw.adapters.register_loader.assert_not_called()
    compiled_timestamps_for(None, SimpleNamespace(timezone=datetime.UTC, connection=raw))
    raw.adapters.register_loader.assert_called_once_with("timestamptz", CompiledTimestamptzLoader)
