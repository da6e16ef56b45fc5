"""History rows for bulk writes, through PostgreSQL's COPY (bulk_create elsewhere).

django-simple-history's own bulk helpers go through bulk_create, whose per-value SQL
compilation dominated the auto-assignment of 10,000 exporters. These rows are the
same rows simple-history writes: every tracked field, plus who, when, why and "~"/"+".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, models

from .bulk import copy_rows

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
    wrap_json = connection.vendor == "postgresql"
    if wrap_json:
        from psycopg.types.json import Jsonb
    fixed = {
        "history_date": when,
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": actor.pk if actor else None,
    }

    def row(instance) -> tuple:
        values = []
        for f in fields:
            value = fixed[f.attname] if f.attname in HISTORY_COLUMNS else getattr(instance, f.attname)
            if wrap_json and isinstance(f, models.JSONField) and value is not None:
                value = Jsonb(value)
            values.append(value)
        return tuple(values)

    return copy_rows(history_model, [f.name for f in fields], (row(i) for i in instances))
