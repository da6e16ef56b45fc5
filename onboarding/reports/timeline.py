"""An exporter's story, newest first: assignments, work, evidence and reviews, reminders, field changes.

One query per source (bounded), merged in Python; history rows are compared pairwise
without a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..models import Activity, Assignment, StageEvent

IGNORED = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "id", "updated_at"}
PER_SOURCE = 50


@dataclass
class Entry:
    at: datetime
    icon: str
    title: str
    who: object = None
    detail: str = ""
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    tone: str = "secondary"


def field_changes(records: list) -> list[Entry]:
    """`records` newest first, as fetched; each compared with the one before it in time."""
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        if record.history_type == "+":
            entries.append(Entry(record.history_date, "plus-circle", "Registered the exporter", record.history_user))
            continue
        if previous is None:
            continue
        diff = []
        for model_field in record.instance_type._meta.fields:
            name = model_field.attname
            if name in IGNORED or not hasattr(record, name):
                continue
            before, after = getattr(previous, name), getattr(record, name)
            if before != after:
                diff.append((str(model_field.verbose_name), before, after))
        if diff:
            entries.append(
                Entry(record.history_date, "pencil", "Changed the record", record.history_user, changes=diff)
            )
    return entries


def exporter_timeline(exporter) -> list[Entry]:
    """Every source's latest entries (at most PER_SOURCE each), merged newest first."""
    records = list(exporter.history.select_related("history_user").order_by("-history_date")[: PER_SOURCE + 1])
    entries = [
        *_assignment_entries(exporter),
        *_work_entries(exporter),
        *_evidence_entries(exporter),
        *_reminder_entries(exporter),
        *field_changes(records),
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _assignment_entries(exporter) -> list[Entry]:
    entries = []
    assignments = Assignment.objects.filter(exporter=exporter).select_related("startup", "assigned_by", "ended_by")
    for a in assignments[:PER_SOURCE]:
        how = a.get_how_display().lower()
        entries.append(
            Entry(
                a.assigned_at, "person-check", f"Assigned to {a.startup} ({how})", a.assigned_by, a.why, tone="primary"
            )
        )
        if a.ended_at:
            title = f"Assignment to {a.startup} ended: {a.get_end_reason_display()}"
            entries.append(Entry(a.ended_at, "person-dash", title, a.ended_by, a.end_note))
    return entries


def _work_entries(exporter) -> list[Entry]:
    entries = []
    for act in Activity.objects.filter(exporter=exporter).select_related("user")[:PER_SOURCE]:
        minutes = f" · {act.duration_minutes} min" if act.duration_minutes else ""
        entries.append(Entry(act.occurred_at, "telephone", f"{act.get_kind_display()}{minutes}", act.user, act.note))
    return entries


def _evidence_entries(exporter) -> list[Entry]:
    entries = []
    events = StageEvent.objects.filter(exporter=exporter).select_related("stage", "submitted_by", "reviewed_by")
    for event in events[:PER_SOURCE]:
        title = f"Evidence for “{event.stage}” submitted"
        entries.append(Entry(event.submitted_at, "upload", title, event.submitted_by, event.note))
        if event.reviewed_at:
            approved = event.status == "approved"
            entries.append(
                Entry(
                    event.reviewed_at,
                    "check-circle" if approved else "x-circle",
                    f"“{event.stage}” {'approved' if approved else 'rejected'}",
                    event.reviewed_by,
                    event.review_note,
                    tone="success" if approved else "danger",
                )
            )
    return entries


def _reminder_entries(exporter) -> list[Entry]:
    reminders = exporter.reminders.filter(sent_at__isnull=False).select_related("recipient")[:PER_SOURCE]
    return [
        Entry(r.sent_at, "bell", f"{r.get_kind_display()} sent to {r.recipient}", detail=r.subject, tone="warning")
        for r in reminders
    ]
