"""Turn django-simple-history rows into "who changed what" lines without a query per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

IGNORED = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "id"}


@dataclass
class Change:
    at: datetime
    who: object
    action: str
    fields: list[tuple[str, object, object]]


def field_changes(records: list) -> list[Change]:
    """`records` newest first, as fetched; each compared with the one before it in time."""
    changes = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        if record.history_type == "+" or previous is None:
            changes.append(
                Change(
                    record.history_date, record.history_user, "created" if record.history_type == "+" else "changed", []
                )
            )
            continue
        diff = []
        for field in record.instance_type._meta.fields:
            name = field.attname
            if name in IGNORED or not hasattr(record, name):
                continue
            before, after = getattr(previous, name), getattr(record, name)
            if before != after:
                diff.append((field.verbose_name, before, after))
        if diff:
            changes.append(Change(record.history_date, record.history_user, "changed", diff))
    return changes
