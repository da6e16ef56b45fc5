"""Fast inserts for large volumes: PostgreSQL's COPY where available, bulk_create elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

BATCH = 5000


def copy_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in `fields` order) into `model`'s table; returns the count.

    COPY skips the per-object ORM work that dominates bulk_create at a million rows.
    No signals, no history rows: for seed data and append-only logs only.
    """
    if connection.vendor != "postgresql":
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
