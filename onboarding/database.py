"""What the database can do, asked by name: the one module that knows which database runs.

The portal runs on PostgreSQL; development and the tests may run on SQLite. Where PostgreSQL
offers a faster or cheaper way, the code asks one of these questions and does the portable
Django thing otherwise (`if database.can_copy(): … else: bulk_create`), rather than comparing
vendor strings. Both sides of every question are tested: the tests marked `both_databases`
run on PostgreSQL and again on SQLite (`scripts/test.sh`), and `tests/test_database.py`
checks which side each question took.
"""

from __future__ import annotations

from django.db import connection


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def can_copy() -> bool:
    """COPY … FROM STDIN: rows streamed into a table, ids drawn from its sequence first
    (bulk.py: seeds, imports, auto-assignment, history rows). Otherwise bulk_create. And
    COPY … TO STDOUT: `manage.py bench` times the CSV export against it."""
    return _postgresql()


def can_rebuild_indexes() -> bool:
    """Secondary indexes and foreign keys read from the catalogue, dropped for a load and
    rebuilt from their definitions afterwards (bulk.load_mode). Otherwise kept as they are."""
    return _postgresql()


def has_planner_statistics() -> bool:
    """The planner keeps a table's estimated row count (pg_class.reltuples): a huge list is
    counted from it, a filtered one only up to a cap (pagination), and a seed refreshes it
    with ANALYZE. Otherwise lists are counted exactly."""
    return _postgresql()


def has_advisory_locks() -> bool:
    """pg_advisory_xact_lock: concurrent reminder sweeps take turns
    (services/reminders.py). Otherwise a single process sweeps, or SQLite's one writer does."""
    return _postgresql()


def reads_jsonb() -> bool:
    """JSON columns are jsonb: an array unpacked by jsonb_array_elements and searched with @>
    off a GIN index (models/outbox.py: an outbox row's exporter ids, migration 0046).
    Otherwise SQLite's json_each reads each row's array."""
    return _postgresql()


def runs_triggers() -> bool:
    """The triggers the migrations install here only (0024: the commission totals kept per
    startup and status): what they keep is there to read. Otherwise those tables stay empty and
    the ledger is summed (views/commissions.py)."""
    return _postgresql()


def generates_series() -> bool:
    """INSERT … SELECT over generate_series, with PostgreSQL's random() and intervals: the
    seed's bulk made by the database (management/seed_sql.py). Otherwise rows made in Python."""
    return _postgresql()


def can_dump_a_snapshot() -> bool:
    """pg_dump on the snapshot a transaction exported, pg_restore back (backups.py): the dump,
    the row counts and the file list are of one moment. Otherwise SQLite's online backup API
    copies the database file."""
    return _postgresql()


def joins_laterally() -> bool:
    """LATERAL joins over an array parameter: for each of many values, its first rows off an
    index, in one query (reports/fraud_signals.py: the first claims of each link on a page of
    the review queue). Otherwise every matching row is read."""
    return _postgresql()


# Every question, for the tests that ask them all on each database.
QUESTIONS = (
    can_copy,
    can_rebuild_indexes,
    has_planner_statistics,
    has_advisory_locks,
    reads_jsonb,
    runs_triggers,
    generates_series,
    can_dump_a_snapshot,
    joins_laterally,
)
