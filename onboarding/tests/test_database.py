"""The questions app code asks the database (onboarding/database.py) and the side each one
took, read from the SQL sent. Marked `both_databases`: the test command runs these on
PostgreSQL and on SQLite, so each branch is seen taking both of its sides."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from .. import database
from ..bulk import copy_new, load_mode
from ..models import Activity, Exporter, OutboxMessage
from ..models.outbox import MessageKind
from ..pagination import make_paginator
from ..services.outbox import NewMessage, outbox_post
from ..services.reminders import reminders_sweep
from .factories import ExporterFactory

pytestmark = pytest.mark.both_databases


def sent(queries: CaptureQueriesContext, text: str) -> bool:
    return any(text in query["sql"] for query in queries.captured_queries)


def test_the_tests_run_on_the_database_the_command_named():
    """The test command's SQLite run must really be on SQLite (and the others on PostgreSQL)."""
    named = os.environ.get("DATABASE_URL", "") or "sqlite:"
    assert connection.vendor == ("postgresql" if named.startswith("postgres") else "sqlite")


@pytest.mark.parametrize("question", database.QUESTIONS, ids=lambda q: q.__name__)
def test_postgresql_answers_yes_and_sqlite_no(question):
    assert question() is (connection.vendor == "postgresql")


def test_bulk_rows_go_by_copy_or_by_insert(admin_user):
    exporters = [ExporterFactory.build() for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:  # COPY goes round Django's cursor: not captured
        copy_new(Exporter, exporters, actor=admin_user, reason="test", when=timezone.now())
    assert sent(queries, "INSERT INTO") is not database.can_copy()
    assert Exporter.objects.count() == Exporter.history.count() == 3


def test_a_load_drops_and_restores_indexes_only_where_it_can_rebuild_them(db):
    table = Activity._meta.db_table

    def constraints() -> dict:
        with connection.cursor() as cursor:
            return connection.introspection.get_constraints(cursor, table)

    before = constraints()
    with load_mode(Activity):
        during = constraints()
    assert (len(during) < len(before)) is database.can_rebuild_indexes()
    assert constraints().keys() == before.keys()


def test_a_long_list_is_counted_up_to_a_cap_only_with_planner_statistics(db):
    ExporterFactory.create_batch(3, state="27")
    with CaptureQueriesContext(connection) as queries:
        whole = make_paginator(Exporter.objects.all(), estimate=True)
        assert whole.count == 3
    assert sent(queries, "reltuples") is database.has_planner_statistics()
    filtered = make_paginator(Exporter.objects.filter(state="27"), estimate=True)
    filtered.exact_up_to = 2
    assert (filtered.count, filtered.capped) == ((2, True) if database.has_planner_statistics() else (3, False))


def test_the_reminder_sweep_takes_its_turn_by_an_advisory_lock_where_there_is_one(db):
    with CaptureQueriesContext(connection) as queries:
        reminders_sweep(now=timezone.now(), kinds=())
    assert sent(queries, "pg_advisory_xact_lock") is database.has_advisory_locks()


def test_an_outbox_messages_exporters_are_read_off_its_row_by_jsonb_or_json_each(officer):
    first, second, other = ExporterFactory.create_batch(3)
    gone = ExporterFactory()
    ids = (first.pk, second.pk, gone.pk)
    message = NewMessage(
        kind=MessageKind.STALLED_DIGEST, recipient_id=officer.pk, period_key="p", retry_until=None, exporter_ids=ids
    )
    [pk] = outbox_post([message]).ids
    gone.delete()
    row = OutboxMessage.objects.get(pk=pk)
    with CaptureQueriesContext(connection) as queries:
        assert set(row.exporters()) == {first, second}  # an id whose exporter is gone matches none
        assert list(OutboxMessage.objects.about(second.pk)) == [row]
        assert not OutboxMessage.objects.about(other.pk).exists()
        assert OutboxMessage.objects.with_exporter_count().get(pk=pk).exporter_count == 3
    assert sent(queries, "jsonb_array_elements_text") is database.reads_jsonb()
    assert sent(queries, "@>") is database.reads_jsonb()
    assert sent(queries, "json_each") is not database.reads_jsonb()


def test_the_statement_reads_the_kept_totals_where_triggers_keep_them(client_for, admin_user):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(admin_user).get(reverse("onboarding:commission-list"))
    assert response.status_code == 200
    assert sent(queries, "onboarding_commissiontotal") is database.runs_triggers()


def test_the_seed_makes_its_bulk_in_sql_where_the_database_generates_series(db):
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", startups=2, exporters=12, seed=3, password="demo-pass-123", verbosity=0)
    assert sent(queries, "generate_series") is database.generates_series()
    assert sent(queries, "ANALYZE") is database.has_planner_statistics()
