"""The bulk of `seed_demo` on PostgreSQL: stage events and the work log made by the database.

At national scale (5,000,000 stage events, 10,000,000 work-log entries) making each row in
Python and sending it by COPY took minutes; INSERT … SELECT over generate_series makes the
same rows in seconds. The rows follow the same rules as seed_demo's Python generators (used
on other databases): approved evidence for every stage an exporter passed, ~6% of exporters
waiting for review at their next stage, older rejections up to the budget; work spread
before and after each exporter entered its stage. `setseed` keeps a run repeatable.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from ..models import Activity, Assignment, Exporter, Stage, StageEvent
from ..models.activities import OUTCOME_KINDS, ActivityKind, ContactOutcome

EVENT_COLUMNS = """exporter_id, startup_id, assignment_id, stage_id, submitted_at, status, reviewed_at,
    evidence_url, evidence_number, evidence_reference, evidence_country, evidence_file, note, review_note"""

# Approved evidence for every stage passed (evenly spaced between assignment and the current
# stage), and ~6% of exporters waiting for review of their next stage.
PASSED_AND_WAITING = """
WITH a AS (
    SELECT a.id, a.startup_id, a.exporter_id, a.assigned_at, e.stage_entered_at, s."order" AS reached
    FROM {assignment} a JOIN {exporter} e ON e.id = a.exporter_id JOIN {stage} s ON s.id = e.current_stage_id
)
INSERT INTO {stage_event} ({columns})
SELECT * FROM (
    SELECT a.exporter_id, a.startup_id, a.id, s.id, at, 'approved', at + interval '6 hours',
           '', NULL::integer, 'REF-' || a.exporter_id || '-' || s."order", '', '', 'Demo evidence', ''
    FROM a JOIN {stage} s ON s."order" > 1 AND s."order" <= a.reached
    CROSS JOIN LATERAL (
        SELECT a.assigned_at + GREATEST(a.stage_entered_at - a.assigned_at, interval '1 hour')
                               * ((s."order" - 1)::float8 / a.reached) AS at
    ) spaced
    UNION ALL
    SELECT a.exporter_id, a.startup_id, a.id, s.id, %(now)s - (2 + floor(random() * 143)) * interval '1 hour',
           'submitted', NULL, 'https://www.alibaba.com/', 10 + floor(random() * 31)::integer,
           'PENDING-' || a.exporter_id, '', '', 'Please review.', ''
    FROM a JOIN {stage} s ON s."order" = a.reached + 1
    WHERE random() < 0.06
) made
LIMIT %(budget)s
"""

# Older rejections of a random exporter's claim, up to the budget.
REJECTED = """
WITH a AS (SELECT row_number() OVER (ORDER BY id) AS n, id, startup_id, exporter_id, assigned_at FROM {assignment}),
     st AS (SELECT row_number() OVER (ORDER BY "order") AS n, id FROM {stage} WHERE "order" > 1),
     sizes AS (SELECT (SELECT count(*) FROM a) AS assignments, (SELECT count(*) FROM st) AS stages)
INSERT INTO {stage_event} ({columns})
SELECT a.exporter_id, a.startup_id, a.id, st.id, at, 'rejected', at + interval '1 hour',
       '', NULL, 'OLD', '', '', '', 'Evidence did not match the marketplace profile.'
FROM (
    SELECT 1 + floor(random() * assignments)::bigint AS an, 1 + floor(random() * stages)::bigint AS sn,
           1 + floor(random() * 400) AS hours
    FROM sizes, generate_series(1, %(count)s)
) pick
JOIN a ON a.n = pick.an JOIN st ON st.n = pick.sn
CROSS JOIN LATERAL (SELECT LEAST(a.assigned_at + pick.hours * interval '1 hour', %(now)s - interval '2 hours') AS at) t
"""

# Every assignment gets one entry first, then random ones; half fall after the exporter
# entered its stage, half before (so exporters whose entries all fall before may be stalled).
ACTIVITIES = """
WITH a AS (
    SELECT row_number() OVER (ORDER BY a.id) AS n, a.startup_id, a.exporter_id, a.assigned_at, e.stage_entered_at
    FROM {assignment} a JOIN {exporter} e ON e.id = a.exporter_id
), sizes AS (SELECT count(*) AS assignments FROM a)
INSERT INTO {activity}
    (startup_id, exporter_id, kind, outcome, occurred_at, duration_minutes, note, attachment, created_at)
SELECT startup_id, exporter_id, kind,
       CASE WHEN kind = ANY(%(outcome_kinds)s::text[])
            THEN (%(outcomes)s::text[])[1 + floor(random() * %(outcome_count)s)::integer] ELSE '' END,
       occurred_at, duration_minutes, note, attachment, created_at
FROM (  -- not flattened (random() in its output): each entry's outcome follows its own kind
    SELECT a.startup_id, a.exporter_id, (%(kinds)s::text[])[1 + floor(random() * %(kind_count)s)::integer] AS kind,
           CASE WHEN random() < 0.5
                THEN a.stage_entered_at + random() * GREATEST(%(now)s - a.stage_entered_at, interval '1 minute')
                ELSE a.assigned_at + random() * GREATEST(a.stage_entered_at - a.assigned_at, interval '1 minute')
           END AS occurred_at,
           (%(durations)s::integer[])[1 + floor(random() * %(duration_count)s)::integer] AS duration_minutes,
           'Demo work log entry' AS note, '' AS attachment, %(now)s AS created_at
    FROM (
        SELECT CASE WHEN g <= assignments THEN g ELSE 1 + floor(random() * assignments)::bigint END AS n
        FROM sizes, generate_series(1, %(count)s) g
    ) pick
    JOIN a USING (n)
) entry
"""

# How demo calls and visits went: most reached the exporter, the rest a spread of misses.
DEMO_OUTCOMES = [ContactOutcome.REACHED.value] * 6 + [o.value for o in ContactOutcome if o != ContactOutcome.REACHED]


TABLES = {
    "assignment": Assignment,
    "exporter": Exporter,
    "stage": Stage,
    "stage_event": StageEvent,
    "activity": Activity,
}


def _tables() -> dict[str, str]:
    """The SQL's placeholders: each table's quoted name, and the stage events' columns."""
    names = {key: connection.ops.quote_name(model._meta.db_table) for key, model in TABLES.items()}
    return {**names, "columns": EVENT_COLUMNS}


def stage_events(*, budget: int | None, now: datetime, seed: float) -> int:
    """Insert the stage events (at most `budget`); `seed` in [-1, 1] makes the run repeatable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(PASSED_AND_WAITING.format(**_tables()), {"now": now, "budget": budget})
        made = cursor.rowcount
        if budget is not None and budget > made:
            cursor.execute(REJECTED.format(**_tables()), {"now": now, "count": budget - made})
            made += cursor.rowcount
    return made


def activities(*, count: int, now: datetime, durations: list[int]) -> int:
    """Insert `count` work-log entries (random() continues from stage_events' seed)."""
    kinds = [k for k, _label in ActivityKind.choices]
    with connection.cursor() as cursor:
        cursor.execute(
            ACTIVITIES.format(**_tables()),
            {
                "now": now,
                "count": count,
                "kinds": kinds,
                "kind_count": len(kinds),
                "durations": durations,
                "duration_count": len(durations),
                "outcome_kinds": [str(k) for k in OUTCOME_KINDS],
                "outcomes": DEMO_OUTCOMES,
                "outcome_count": len(DEMO_OUTCOMES),
            },
        )
        return cursor.rowcount
