"""Reading PostgreSQL's timestamps with psycopg's compiled loader.

Django reads every `timestamptz` through a loader of its own, a subclass of psycopg's pure
Python one, so that each value gets the connection's time zone (Django ticket #36960): with
psycopg's binary package installed, a value still took 7.5 µs to read instead of 1.3. A
page of 25 review cards reads some 400: 2.5 ms of the page. The connection's time zone is UTC
whenever the portal runs on PostgreSQL (USE_TZ, and no TIME_ZONE of the database's own), and
there psycopg's compiled loader gives the very values Django's does: the same instant, with
`datetime.timezone.utc`. So each new connection in UTC reads timestamps with it; any other
connection keeps Django's loader.
"""

from __future__ import annotations

import datetime

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format


class CompiledTimestamptzLoader(Loader):
    """psycopg's own timestamptz loader (compiled, where the binary package is installed) for a
    connection in UTC. `timezone` is what Django compares before it puts its own loader back on
    a cursor (DatabaseWrapper.create_cursor): equal, it leaves this one."""

    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        # psycopg's global map, which Django leaves alone, holds its best loader for the type.
        best = psycopg.adapters.get_loader(oid, Format.TEXT)
        self.load = best(oid, context).load  # called for every value: no Python frame of ours

    def load(self, data):  # replaced on each instance in __init__; the class must define it
        raise NotImplementedError


def compiled_timestamps_for(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: psycopg's compiled loader on a new psycopg (PostgreSQL)
    connection whose time zone is UTC (the only one Django sets under USE_TZ unless told otherwise)."""
    raw = connection.connection
    if isinstance(raw, psycopg.Connection) and connection.timezone is CompiledTimestamptzLoader.timezone:
        raw.adapters.register_loader("timestamptz", CompiledTimestamptzLoader)
