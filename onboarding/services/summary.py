"""Keeping the programme summary current (the dashboard's and distribution report's figures).

Services that move exporters (assign, unassign, stage changes, imports, new or edited
exporters, logged work) call `summary_changed()`: once their transaction commits, one task
recounts, however many changes the transaction made. Beat recounts every minute too, since
"stalled" changes with the clock alone. A recount that began after a change was queued
already counts it, so a burst of transactions costs one or two recounts, not one each. The
stored figures are named and carry SUMMARY_VERSION (`models/summary.py`): a row of another
version is recounted before it is read. Rebuilding a cache is no change of record: it is
not audited.

This summary is one of several stored figures computed from other rows (outcome figures,
commission totals, the import memo, an exporter's stage and last activity, …).
docs/derived-figures.md lists every one of them in one table: what it is computed from,
which service, task or command refreshes it and when, and how a stale one is known (a
version, an "as of" time, a recount, or the same transaction). Add a row there when you add
a figure, and keep the row true when you change what refreshes one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import database
from ..models import ProgrammeSummary
from ..models.summary import SUMMARY_VERSION
from ..reports.dashboard import summary_figures
from ..tasks import refresh_summary_task

KEY = "programme"
# Older than this, a page recounts itself (beat is down or no worker runs, as under
# `make run` without Celery or in tests): figures are never far behind.
MAX_AGE = timedelta(minutes=5)
# An arbitrary constant: the key of the PostgreSQL advisory lock held by a page's recount.
RECOUNT_LOCK = 7_020_611


def summary_refresh(*, now: datetime | None = None, unless_since: datetime | None = None) -> ProgrammeSummary:
    """Recount every exporter and store the figures, unless a recount that began at or
    after `unless_since` is stored already (it saw every change committed before) and is
    of this SUMMARY_VERSION."""
    current = ProgrammeSummary.objects.filter(key=KEY).first()
    if current is not None and unless_since is not None and current.as_of >= unless_since and _fresh(current):
        return current
    as_of = now or timezone.now()
    figures = summary_figures(as_of).as_json()
    # A slower recount that began earlier must not overwrite a newer one; a stale row (of
    # another version) is overwritten whenever it was counted.
    replaceable = Q(as_of__lte=as_of)
    if current is not None and not _fresh(current):
        replaceable |= Q(pk=current.pk)
    if ProgrammeSummary.objects.filter(replaceable, key=KEY).update(as_of=as_of, figures=figures):
        return ProgrammeSummary(key=KEY, as_of=as_of, figures=figures)
    try:
        with transaction.atomic():
            return ProgrammeSummary.objects.create(key=KEY, as_of=as_of, figures=figures)
    except IntegrityError:  # a concurrent recount stored a newer row first
        return ProgrammeSummary.objects.get(key=KEY)


def summary_current(*, now: datetime | None = None) -> ProgrammeSummary:
    """The stored figures, recounted first when missing or stale (stored by code of another
    SUMMARY_VERSION), and when older than MAX_AGE unless another request is recounting them
    already (`_recount_in_turn`): `.counts` is never None on what this returns."""
    now = now or timezone.now()
    current = ProgrammeSummary.objects.filter(key=KEY).first()
    if current is None or not _fresh(current):
        current = summary_refresh(now=now)
    elif current.as_of < now - MAX_AGE:
        current = _recount_in_turn(current, now)
    if not _fresh(current):  # a newer row of another version won the race: count for this request
        current = ProgrammeSummary(key=KEY, as_of=now, figures=summary_figures(now).as_json())
    return current


def _recount_in_turn(current: ProgrammeSummary, now: datetime) -> ProgrammeSummary:
    """Recount figures older than MAX_AGE, or show them as they are (with their "as of" time)
    while another request recounts them. A recount took 0.95 s at national scale, and with no
    worker running every dashboard request that found the figures old recounted them too: under
    load, a p95 of 960 ms. One that gets its turn after another's recount reads that one's."""
    if not database.has_advisory_locks():  # SQLite: one process, one writer
        return summary_refresh(now=now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [RECOUNT_LOCK])
        (turn,) = cursor.fetchone()
        return summary_refresh(now=now, unless_since=now - MAX_AGE) if turn else current


def _fresh(summary: ProgrammeSummary) -> bool:
    return summary.figures.get("version") == SUMMARY_VERSION if isinstance(summary.figures, dict) else False


def _publish_refresh() -> None:
    # The time is taken at commit: a recount that began later sees the change.
    refresh_summary_task.publish([[timezone.now().isoformat()]])


class _Recount:
    """A transaction's recount: published by the first of its callbacks to run, at commit."""

    def __init__(self) -> None:
        self.published = False


def _recount_callback(recount: _Recount):
    def publish_once() -> None:
        if not recount.published:
            recount.published = True
            _publish_refresh()

    publish_once.recount = recount
    return publish_once


def _pending_recount() -> _Recount | None:
    """The recount the current transaction has registered and not yet published, if any.

    Looked up among the transaction's commit callbacks rather than remembered aside: Django
    drops the callbacks of a savepoint that rolls back, so a recount registered only inside
    one is gone with it, and the next change registers a new one."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    for _ids, callback, _robust in connection.run_on_commit:
        recount = getattr(callback, "recount", None)
        if isinstance(recount, _Recount) and not recount.published:
            return recount
    return None


def summary_changed() -> None:
    """Have the figures recounted once the caller's transaction commits (a down broker is
    logged, never raised): one recount task per transaction however many changes call this
    (a bulk review of 50 claims queues one, not 50). Outside a transaction each call queues
    one at once.

    Each call registers a callback (each savepoint keeps its own, so a rolled-back one loses
    nothing the others registered), and all of a transaction's share one `_Recount`: the
    first to run publishes, the others find it published."""
    transaction.on_commit(_recount_callback(_pending_recount() or _Recount()))
