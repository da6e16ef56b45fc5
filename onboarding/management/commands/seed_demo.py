"""Demo data: one login per role and a programme's worth of startups and exporters.

Deterministic for a given --seed. Bulk inserts keep programme scale (500 startups,
100,000 exporters, 1,000,000 activities) well under two minutes on PostgreSQL.
"""

from __future__ import annotations

import itertools
import random
import secrets
import time
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from ... import database
from ...bulk import copy_instances, copy_rows, instance_maker, load_mode, without_gc
from ...models import (
    Activity,
    Assignment,
    Commission,
    CommissionRule,
    Exporter,
    Sector,
    Stage,
    StageEvent,
    Startup,
    StartupMember,
    User,
)
from ...models.activities import OUTCOME_KINDS, ActivityKind
from ...models.assignments import AssignedHow
from ...models.stages import StageEventStatus
from ...models.startups import MemberRole, StartupStatus
from ...models.users import StaffRole
from ...reference import LANGUAGES, hs_section_for, state_name
from .. import demo, seed_sql

BATCH = 5000
COMMISSION_AMOUNTS = {
    "account_created": Decimal("1000"),
    "storefront_live": Decimal("2000"),
    "products_listed": Decimal("3000"),
    "trade_assurance": Decimal("2000"),
    "first_inquiry": Decimal("2500"),
    "first_order": Decimal("10000"),
}
DURATIONS = [10, 15, 30, 45, 60, 90]
EVENT_FIELDS = [
    *("exporter", "startup", "assignment", "stage", "submitted_at", "status", "reviewed_at", "evidence_url"),
    *("evidence_number", "evidence_reference", "evidence_country", "evidence_file", "note", "review_note"),
]
ACTIVITY_FIELDS = [
    "startup", "exporter", "kind", "outcome", "occurred_at", "duration_minutes", "note", "attachment", "created_at",
]  # fmt: skip
DEMO_LOGINS = settings.VAR_DIR / "demo_logins.txt"


def _event(a, stage, at, status, reviewed_at, url="", number=None, *, ref="", note="", review_note="") -> tuple:
    """A stage event row in EVENT_FIELDS order (references default to the stage's demo one)."""
    ref = ref or (f"PENDING-{a.exporter_id}" if number else f"REF-{a.exporter_id}-{stage.order}")
    return (
        a.exporter_id,
        a.startup_id,
        a.pk,
        stage.pk,
        at,
        status,
        reviewed_at,
        url,
        number,
        ref,
        "",
        "",
        note,
        review_note,
    )


class Command(BaseCommand):
    help = "Create demo logins and realistic startups, exporters, activities and stage events."

    def add_arguments(self, parser):
        parser.add_argument("--startups", type=int, default=20)
        parser.add_argument("--exporters", type=int, default=500)
        parser.add_argument("--activities", type=int, default=None, help="Default: 3 per assigned exporter")
        parser.add_argument("--stage-events", type=int, default=None, help="Default: as many as the stages imply")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--password", default=None, help="Password for the demo logins (default: random)")

    def handle(self, *args, **opts):
        if Startup.objects.exists():
            self.stdout.write("The database already has startups; seed_demo leaves it as it is.")
            if DEMO_LOGINS.exists():
                self.stdout.write(DEMO_LOGINS.read_text())
            return
        started = time.monotonic()
        rng = random.Random(opts["seed"])
        password = opts["password"] or secrets.token_urlsafe(9)
        now = timezone.now()
        phases: list[str] = []

        def timed(name, fn, *args):
            began = time.monotonic()
            result = fn(*args)
            phases.append(f"{name} {time.monotonic() - began:.1f} s")
            return result

        with transaction.atomic(), without_gc():
            stages = list(Stage.objects.ordered())
            sectors = {s.code: s for s in Sector.objects.all()}
            startups = timed("startups", self._startups, rng, opts["startups"], sectors)
            exporters = timed("making exporters", self._exporters, rng, opts["exporters"], sectors)
            assignments = timed("making assignments", self._assign, rng, exporters, startups, stages, now)
            with load_mode(Exporter, Assignment, StageEvent, Activity, Commission):
                timed("exporters", copy_instances, Exporter, exporters)  # COPY: bulk_create took most of the seed
                timed("assignments", copy_instances, Assignment, assignments)
                events = timed("stage events", self._stage_events, rng, assignments, stages, opts["stage_events"], now)
                activities = timed("activities", self._activities, rng, assignments, opts["activities"], now)
                timed("commissions", self._commissions)
                loaded = time.monotonic()
            phases.append(f"indexes and keys {time.monotonic() - loaded:.1f} s")
            logins = self._users(password, startups[0])
        if database.has_planner_statistics():
            # Fresh planner statistics and visibility maps, as autovacuum would leave them
            # (VACUUM cannot run inside a caller's transaction, such as a test's).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        summary = (
            f"Seeded {len(startups)} startups, {len(exporters)} exporters, {len(assignments)} assignments, "
            f"{events} stage events and {activities} activities in {elapsed:.1f} s ({', '.join(phases)})."
        )
        self.stdout.write(self.style.SUCCESS(summary))
        DEMO_LOGINS.write_text(logins)
        self.stdout.write(logins)

    def _commissions(self) -> None:
        """Default rules (configurable data), and the ledger the approved demo milestones earned."""
        rules = [
            CommissionRule(stage=s, amount=COMMISSION_AMOUNTS[s.code], active_from=date(2026, 1, 1))
            for s in Stage.objects.filter(code__in=COMMISSION_AMOUNTS)
        ]
        CommissionRule.objects.bulk_create(rules)
        # One accrual per exporter and stage, from the first approval; a third each approved and paid.
        t = {
            m: connection.ops.quote_name(m._meta.db_table) for m in (Commission, CommissionRule, StageEvent, Assignment)
        }
        with connection.cursor() as cursor:
            cursor.execute(f"""
                INSERT INTO {t[Commission]} (startup_id, exporter_id, stage_id, stage_event_id, rule_id, amount, status,
                                             created_at, payment_reference, note)
                SELECT a.startup_id, e.exporter_id, e.stage_id, e.id, r.id, r.amount,
                       CASE e.id % 3 WHEN 0 THEN 'paid' WHEN 1 THEN 'approved' ELSE 'accrued' END,
                       e.reviewed_at, CASE e.id % 3 WHEN 0 THEN 'UTR' || e.id ELSE '' END, ''
                FROM {t[StageEvent]} e
                JOIN {t[CommissionRule]} r ON r.stage_id = e.stage_id
                JOIN {t[Assignment]} a ON a.id = e.assignment_id
                WHERE e.id IN (
                    SELECT MIN(id) FROM {t[StageEvent]} WHERE status = 'approved' GROUP BY exporter_id, stage_id
                )
            """)

    def _users(self, password: str, startup: Startup) -> str:
        people = [
            ("admin@example.com", "Asha", "Rao", StaffRole.ADMIN, None),
            ("officer@example.com", "Vikram", "Menon", StaffRole.OFFICER, None),
            ("manager@example.com", "Priya", "Shah", StaffRole.NONE, MemberRole.MANAGER),
            ("agent@example.com", "Rohan", "Iyer", StaffRole.NONE, MemberRole.AGENT),
        ]
        lines = [f"Demo logins (password for all: {password})"]
        for email, first, last, staff_role, member_role in people:
            user = User.objects.create_user(
                email,
                password,
                first_name=first,
                last_name=last,
                staff_role=staff_role,
                is_staff=bool(staff_role),
                is_superuser=staff_role == StaffRole.ADMIN,
            )
            if member_role:
                StartupMember.objects.create(user=user, startup=startup, role=member_role)
                if member_role == MemberRole.AGENT:
                    Exporter.objects.filter(
                        startup=startup,
                        pk__in=list(Exporter.objects.filter(startup=startup).values_list("pk", flat=True)[:5]),
                    ).update(agent=user)
            role = (member_role or staff_role).label
            lines.append(f"  {role:<18} {email}" + (f"  ({startup})" if member_role else ""))
            if staff_role == StaffRole.ADMIN:
                lines += demo.two_factor_lines(user)
        return "\n".join(lines) + "\n"

    def _startups(self, rng: random.Random, count: int, sectors: dict[str, Sector]) -> list[Startup]:
        startups = []
        for i in range(count):
            state = demo.weighted_state(rng)
            first, last = demo.person(rng)
            word, suffix = rng.choice(demo.STARTUP_WORDS), rng.choice(demo.STARTUP_SUFFIXES)
            brand = f"{word}{rng.choice(['ly', 'ify', 'X', 'Kart', 'Mitra', 'Path', ''])} {suffix}".strip()
            status = StartupStatus.ACTIVE if i == 0 or rng.random() < 0.85 else rng.choice(list(StartupStatus))
            languages = sorted({"en", demo.LANGUAGE_OF_STATE.get(state, "hi"), rng.choice(list(LANGUAGES))})
            startups.append(
                Startup(
                    legal_name=f"{brand} Private Limited",
                    brand_name=f"{brand} #{i + 1}" if i >= 60 else brand,
                    dpiit_number=f"DIPP{100000 + i * 37}",
                    state=state,
                    city=rng.choice(demo.DISTRICTS[state]),
                    website=f"https://{word.lower()}{suffix.lower()}{i}.example.in",
                    contact_name=f"{first} {last}",
                    contact_email=f"hello{i}@{word.lower()}{suffix.lower()}.example.in",
                    contact_mobile=demo.mobile(rng),
                    languages=languages,
                    capacity=rng.choice([20, 40, 60, 100, 150, 250, 400]),
                    accepting_assignments=i == 0 or rng.random() > 0.08,
                    status=status,
                )
            )
        Startup.objects.bulk_create(startups, batch_size=BATCH)
        through = Startup.sectors.through
        codes = list(sectors)
        links = [
            through(startup_id=s.pk, sector_id=sectors[code].pk)
            for s in startups
            for code in rng.sample([*codes[9:16], "XI", "XIV", "VI", "II"], rng.randint(1, 3))
        ]
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        return startups

    def _exporters(self, rng: random.Random, count: int, sectors: dict[str, Sector]) -> list[Exporter]:
        exporters, make = [], instance_maker(Exporter)
        for i in range(count):
            state = demo.weighted_state(rng)
            products, words = rng.choice(demo.PRODUCT_LINES)
            suffix, holder = rng.choice(demo.ENTITY_SUFFIXES)
            pan = demo.pan_for(i, holder)
            name = f"{rng.choice(demo.NAME_PREFIXES)} {rng.choice(words)}"
            chosen = rng.sample(products, rng.randint(1, min(3, len(products))))
            first, last = demo.person(rng)
            exporters.append(
                make(
                    legal_name=f"{name} {suffix}",
                    trade_name=name if rng.random() < 0.4 else "",
                    gstin=demo.gstin_for(state, pan),
                    pan=pan,
                    iec=pan,
                    state=state,
                    district=(district := rng.choice(demo.DISTRICTS[state])),
                    pin_code=demo.pin_for(rng, district),
                    udyam_number=demo.udyam(rng, state) if rng.random() < 0.6 else "",
                    msme_category=rng.choice(["micro", "micro", "small", "medium", ""]),
                    contact_name=f"{first} {last}",
                    contact_email=f"{first.lower()}.{i}@firm.example.in",
                    contact_mobile=demo.mobile(rng),
                    products=chosen,
                    sector_id=sectors[hs_section_for(chosen[0])].pk,
                    target_markets=rng.sample(demo.MARKETS, rng.randint(1, 4)),
                    preferred_language=demo.LANGUAGE_OF_STATE.get(state, "hi") if rng.random() < 0.7 else "en",
                    is_manufacturer=rng.random() < 0.7,
                )
            )
        return exporters

    def _assign(self, rng, exporters, startups, stages, now) -> list[Assignment]:
        """Give ~70% of the (unsaved) exporters to active startups within capacity, spread over the stages."""
        open_startups = [s for s in startups if s.status == StartupStatus.ACTIVE]
        load = dict.fromkeys((s.pk for s in open_startups), 0)
        by_state: dict[str, list[Startup]] = {}
        for s in open_startups:
            if s.capacity > 0:
                by_state.setdefault(s.state, []).append(s)
        assignments = []
        weights = list(itertools.accumulate([30, 18, 12, 10, 8, 7, 6, 4, 3, 2][: len(stages)]))
        for exporter in exporters:
            if rng.random() > 0.7 or not open_startups:
                continue
            pool = by_state.get(exporter.state) or [  # by_state holds only startups with room
                s for s in rng.sample(open_startups, min(5, len(open_startups))) if load[s.pk] < s.capacity
            ]
            if not pool:
                continue
            startup = rng.choice(pool)
            load[startup.pk] += 1
            if load[startup.pk] == startup.capacity:
                by_state[startup.state].remove(startup)
            stage = rng.choices(stages, cum_weights=weights)[0]
            assigned_at = now - timedelta(
                days=rng.randint(stage.order * 4, stage.order * 12 + 20), hours=rng.randint(0, 23)
            )
            entered = min(now, now - timedelta(days=rng.uniform(0, stage.sla_days * 2.5)))
            entered = max(entered, assigned_at)
            exporter.startup, exporter.current_stage, exporter.stage_entered_at = startup, stage, entered
            assignments.append(
                Assignment(  # exporter_id is filled in when the exporters are inserted
                    exporter=exporter,
                    startup=startup,
                    assigned_at=assigned_at,
                    how=AssignedHow.AUTO,
                    why=f"same state ({state_name(exporter.state)}); demo data",
                )
            )
        return assignments

    def _stage_events(self, rng, assignments, stages, budget, now) -> int:
        """Approved events for every stage passed, ~6% waiting for review; older rejections fill up to `budget`."""
        if not assignments:
            return 0
        if database.generates_series():  # made by the database: minutes faster at national scale
            return seed_sql.stage_events(budget=budget, now=now, seed=rng.random())
        rows = self._event_rows(rng, assignments, stages, now)
        if budget is not None:
            rows = itertools.islice(
                itertools.chain(rows, self._rejected_event_rows(rng, assignments, stages, now)), budget
            )
        return copy_rows(StageEvent, EVENT_FIELDS, rows)

    def _event_rows(self, rng, assignments, stages, now):
        for a in assignments:
            exporter = a.exporter
            current = exporter.current_stage.order
            passed = [s for s in stages if 1 < s.order <= current]
            span = max((exporter.stage_entered_at - a.assigned_at).total_seconds(), 3600)
            for k, stage in enumerate(passed):
                at = a.assigned_at + timedelta(seconds=span * (k + 1) / (len(passed) + 1))
                yield _event(a, stage, at, StageEventStatus.APPROVED, at + timedelta(hours=6), note="Demo evidence")
            if current < len(stages) and rng.random() < 0.06:
                at = now - timedelta(hours=rng.randint(2, 24 * 6))
                url, number = "https://www.alibaba.com/", rng.randint(10, 40)
                yield _event(
                    a, stages[current], at, StageEventStatus.SUBMITTED, None, url, number, note="Please review."
                )

    def _rejected_event_rows(self, rng, assignments, stages, now):
        while True:
            a = rng.choice(assignments)
            at = min(a.assigned_at + timedelta(hours=rng.randint(1, 400)), now - timedelta(hours=2))
            yield _event(
                a,
                rng.choice(stages[1:]),
                at,
                StageEventStatus.REJECTED,
                at + timedelta(hours=1),
                ref="OLD",
                review_note="Evidence did not match the marketplace profile.",
            )

    def _activities(self, rng, assignments, budget, now) -> int:
        """Work log entries; each exporter's last_activity_at is the newest of its entries."""
        if not assignments:
            return 0
        budget = 3 * len(assignments) if budget is None else budget
        if database.generates_series():  # made by the database, as the stage events
            written = seed_sql.activities(count=budget, now=now, durations=DURATIONS)
        else:
            written = copy_rows(Activity, ACTIVITY_FIELDS, self._activity_rows(rng, assignments, budget, now))
        t = {m: connection.ops.quote_name(m._meta.db_table) for m in (Exporter, Activity)}
        with connection.cursor() as cursor:  # one pass over the log (a subquery per exporter needs its index)
            cursor.execute(f"""
                UPDATE {t[Exporter]} AS e SET last_activity_at = newest.at
                FROM (SELECT exporter_id, MAX(occurred_at) AS at FROM {t[Activity]} GROUP BY exporter_id) newest
                WHERE e.id = newest.exporter_id
            """)
        return written

    def _activity_rows(self, rng, assignments, budget, now):
        kinds = [k for k, _ in ActivityKind.choices]
        for n in range(budget):
            a = assignments[n] if n < len(assignments) else rng.choice(assignments)
            exporter = a.exporter
            # Half the entries fall after the exporter entered its stage; the others
            # before it, so exporters whose entries all fall before it may be stalled.
            if rng.random() < 0.5:
                low, high = exporter.stage_entered_at, now
            else:
                low, high = a.assigned_at, exporter.stage_entered_at
            at = low + timedelta(seconds=rng.uniform(0, max((high - low).total_seconds(), 60)))
            kind = rng.choice(kinds)
            yield (
                a.startup_id,
                exporter.pk,
                kind,
                rng.choice(seed_sql.DEMO_OUTCOMES) if kind in OUTCOME_KINDS else "",
                at,
                rng.choice(DURATIONS),
                "Demo work log entry",
                "",
                now,
            )
