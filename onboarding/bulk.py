"""Fast inserts for large volumes, history rows included: PostgreSQL's COPY where available,
bulk_create elsewhere."""

from __future__ import annotations

import gc
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone
from psycopg.types.json import Jsonb

from . import database

BATCH = 5000


def copy_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in `fields` order) into `model`'s table; returns the count.

    COPY skips the per-object ORM work that dominates bulk_create at a million rows.
    No signals, no history rows: for seed data and append-only logs only.
    """
    if not database.can_copy():
        return _bulk_create(model, fields, rows)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _bulk_create(model, fields, rows) -> int:
    attnames = [model._meta.get_field(f).attname for f in fields]
    batch, count = [], 0
    for row in rows:
        batch.append(model(**dict(zip(attnames, row, strict=True))))
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    model.objects.bulk_create(batch)
    return count + len(batch)


# --- History rows for bulk writes -------------------------------------------------
# django-simple-history's own bulk helpers go through bulk_create, whose per-value SQL
# compilation dominated the auto-assignment of 10,000 exporters. These rows are the
# same rows simple-history writes: every tracked field, plus who, when, why and "~"/"+".

HISTORY_COLUMNS = {"history_date", "history_change_reason", "history_type", "history_user_id"}


def write_history(
    model: type[models.Model],
    instances: Iterable[models.Model],
    *,
    actor,
    reason: str,
    when: datetime,
    history_type: str,
) -> int:
    """One history row per instance, as simple-history would write it for a save by `actor`."""
    history_model = model.history.model
    fields = [f for f in history_model._meta.concrete_fields if f.attname != "history_id"]
    wrap_json = database.can_copy()  # COPY takes JSON as Jsonb
    fixed = {
        "history_date": when,
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": actor.pk if actor else None,
    }

    # The tracked fields as the instance holds them, then who, when, why and how.
    tracked = [f for f in fields if f.attname not in HISTORY_COLUMNS]
    stamps = [f for f in fields if f.attname in HISTORY_COLUMNS]
    values = row_values(tracked, wrap_json=wrap_json)
    after = [fixed[f.attname] for f in stamps]
    names = [f.name for f in tracked + stamps]
    return copy_rows(history_model, names, (values(instance) + after for instance in instances))


def row_values(fields: Sequence[models.Field], *, wrap_json: bool = True) -> Callable[[models.Model], list]:
    """A function giving an instance's values of `fields`, in order, as COPY takes them: read by
    one C call per instance, not one per field; JSON as Jsonb (when `wrap_json`)."""
    values = operator.attrgetter(*(f.attname for f in fields))
    json_at = [i for i, f in enumerate(fields) if wrap_json and isinstance(f, models.JSONField)]

    def row(instance: models.Model) -> list:
        row = list(values(instance)) if len(fields) > 1 else [values(instance)]
        for i in json_at:
            if row[i] is not None:
                row[i] = Jsonb(row[i])
        return row

    return row


@contextmanager
def without_gc() -> Iterator[None]:
    """Python's cycle collector off while loading: a million new objects, none of them in a
    cycle, and the collector's passes over them were a quarter of the time spent making them."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextmanager
def fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Python's cycle collector run once every `threshold` new objects rather than every 700,
    for work that holds a whole file's rows. It still runs, so the cycles a run leaves (a form
    that refused a value keeps the error, and the error its traceback) go as before, in fewer,
    larger passes. An import of 100,000 rows spent a quarter of its time in the collector's
    passes over what it held (end to end 30 s, and 24 s with this)."""
    before = gc.get_threshold()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def instance_maker(model: type[models.Model]) -> Callable[..., models.Model]:
    """A constructor of unsaved `model` instances from attnames (`sector_id`, not `sector`), for
    loading millions: Model.__init__ looks up every field's default for every instance, a third
    of the seed's time in Python. Defaults are taken once; callable ones are called each time."""
    fields = model._meta.concrete_fields
    called = {f.attname: f.default for f in fields if f.has_default() and callable(f.default)}
    fixed = {f.attname: f.get_default() for f in fields if f.attname not in called}

    def make(**values) -> models.Model:
        instance = model.__new__(model)
        instance.__dict__.update(fixed)
        instance.__dict__.update((attname, default()) for attname, default in called.items())
        instance.__dict__.update(values)
        instance._state = ModelState()
        return instance

    return make


def copy_instances(model: type[models.Model], instances: list[models.Model], *, when: datetime | None = None) -> int:
    """Insert unsaved `instances` by COPY on PostgreSQL (bulk_create elsewhere), no history
    rows: ids are drawn from the table's sequence first (COPY returns none) and set on the
    instances, auto_now fields get `when`, a related object saved before gives its id.
    A unique clash raises Django's IntegrityError."""
    if not database.can_copy():
        model.objects.bulk_create(instances, batch_size=BATCH)
        return len(instances)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, len(instances)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    when = when or timezone.now()
    fields = list(model._meta.concrete_fields)
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
        for attname in stamped:
            setattr(instance, attname, when)
        instance._state.adding = False

    related = [f for f in fields if f.is_relation]
    for instance in instances:  # as bulk_create does: the id of a related object saved since
        if not instance._state.__dict__.get("fields_cache"):  # none held (made by ids): nothing to do
            continue
        for f in related:
            if f.is_cached(instance) and (target := getattr(instance, f.name)) is not None:
                setattr(instance, f.attname, target.pk)
                f.set_cached_value(instance, target)  # setting the id dropped it; reading it again would query

    values = row_values(fields)
    with connection.wrap_database_errors:
        return copy_rows(model, [f.name for f in fields], (values(i) for i in instances))


def copy_new(model: type[models.Model], instances: list[models.Model], *, actor, reason: str, when: datetime) -> int:
    """`copy_instances` with a "+" history row per instance, as bulk_create_with_history writes."""
    count = copy_instances(model, instances, when=when)
    with connection.wrap_database_errors:
        write_history(model, instances, actor=actor, reason=reason, when=when, history_type="+")
    return count


# --- Loading millions of rows ----------------------------------------------------

_DEFERRABLE = """
    SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indrelid::regclass::text
    FROM pg_index i
    WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    UNION ALL
    SELECT 'foreign key', quote_ident(c.conname), pg_get_constraintdef(c.oid), c.conrelid::regclass::text
    FROM pg_constraint c
    WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype = 'f'
"""


@contextmanager
def load_mode(*models_: type[models.Model]) -> Iterator[None]:
    """Load `models_`' tables without their secondary indexes and foreign keys, then put them
    back exactly as they were (PostgreSQL; elsewhere nothing changes).

    Building an index once over ten million rows is several times cheaper than keeping it
    current row by row, and a foreign key added afterwards is checked by one join instead of
    a queued trigger per row. Putting them back checks every row, so a bad load still fails.
    For seeding empty tables inside one transaction: other sessions wait on the tables' locks.
    """
    if not database.can_rebuild_indexes():
        yield
        return
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(_DEFERRABLE, {"tables": tables})
        deferred = cursor.fetchall()
        for kind, name, _definition, table in deferred:
            cursor.execute(f"DROP INDEX {name}" if kind == "index" else f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for kind, name, definition, table in deferred:
            cursor.execute(definition if kind == "index" else f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
