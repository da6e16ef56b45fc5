"""Demo data: one login per role and a programme's worth of startups and exporters.

Deterministic for a given --seed. Bulk inserts keep programme scale (500 startups,
100,000 exporters, 1,000,000 activities) well under two minutes on PostgreSQL.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from onboarding import demo
from onboarding.choices import LANGUAGES, STATES, hs_section_for
from onboarding.models import Activity, Assignment, Exporter, Sector, Stage, StageEvent, Startup, StartupMember, User
from onboarding.models.activities import ActivityKind
from onboarding.models.assignments import AssignedHow
from onboarding.models.stages import StageEventStatus
from onboarding.models.startups import MemberRole, StartupStatus
from onboarding.models.users import StaffRole

BATCH = 5000
DEMO_LOGINS = settings.VAR_DIR / "demo_logins.txt"


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
        with transaction.atomic():
            stages = list(Stage.objects.ordered())
            sectors = {s.code: s for s in Sector.objects.all()}
            startups = self._startups(rng, opts["startups"], sectors)
            exporters = self._exporters(rng, opts["exporters"], sectors)
            assignments = self._assign(rng, exporters, startups, stages, now)
            events = self._stage_events(rng, assignments, stages, opts["stage_events"], now)
            activities = self._activities(rng, assignments, opts["activities"], now)
            logins = self._users(password, startups[0])
        elapsed = time.monotonic() - started
        summary = (
            f"Seeded {len(startups)} startups, {len(exporters)} exporters, {len(assignments)} assignments, "
            f"{events} stage events and {activities} activities in {elapsed:.1f} s."
        )
        self.stdout.write(self.style.SUCCESS(summary))
        DEMO_LOGINS.write_text(logins)
        self.stdout.write(logins)

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
        exporters = []
        for i in range(count):
            state = demo.weighted_state(rng)
            products, words = rng.choice(demo.PRODUCT_LINES)
            suffix, holder = rng.choice(demo.ENTITY_SUFFIXES)
            pan = demo.pan_for(i, holder)
            name = f"{rng.choice(demo.NAME_PREFIXES)} {rng.choice(words)}"
            chosen = rng.sample(products, rng.randint(1, min(3, len(products))))
            first, last = demo.person(rng)
            exporters.append(
                Exporter(
                    legal_name=f"{name} {suffix}",
                    trade_name=name if rng.random() < 0.4 else "",
                    gstin=demo.gstin_for(state, pan),
                    pan=pan,
                    iec=pan,
                    state=state,
                    district=rng.choice(demo.DISTRICTS[state]),
                    pin_code=f"{rng.randint(110001, 855999)}",
                    udyam_number=demo.udyam(rng, state) if rng.random() < 0.6 else "",
                    msme_category=rng.choice(["micro", "micro", "small", "medium", ""]),
                    contact_name=f"{first} {last}",
                    contact_email=f"{first.lower()}.{i}@firm.example.in",
                    contact_mobile=demo.mobile(rng),
                    products=chosen,
                    sector=sectors[hs_section_for(chosen[0])],
                    target_markets=rng.sample(demo.MARKETS, rng.randint(1, 4)),
                    preferred_language=demo.LANGUAGE_OF_STATE.get(state, "hi") if rng.random() < 0.7 else "en",
                    is_manufacturer=rng.random() < 0.7,
                )
            )
        Exporter.objects.bulk_create(exporters, batch_size=BATCH)
        return exporters

    def _assign(self, rng, exporters, startups, stages, now) -> list[Assignment]:
        """Give ~70% of exporters to active startups within capacity, spread over the stages."""
        open_startups = [s for s in startups if s.status == StartupStatus.ACTIVE]
        load = dict.fromkeys((s.pk for s in open_startups), 0)
        by_state: dict[str, list[Startup]] = {}
        for s in open_startups:
            by_state.setdefault(s.state, []).append(s)
        assignments, updated = [], []
        weights = [30, 18, 12, 10, 8, 7, 6, 4, 3, 2][: len(stages)]
        for exporter in exporters:
            if rng.random() > 0.7 or not open_startups:
                continue
            pool = [s for s in by_state.get(exporter.state, []) if load[s.pk] < s.capacity] or [
                s for s in rng.sample(open_startups, min(5, len(open_startups))) if load[s.pk] < s.capacity
            ]
            if not pool:
                continue
            startup = rng.choice(pool)
            load[startup.pk] += 1
            stage = rng.choices(stages, weights=weights)[0]
            assigned_at = now - timedelta(
                days=rng.randint(stage.order * 4, stage.order * 12 + 20), hours=rng.randint(0, 23)
            )
            entered = min(now, now - timedelta(days=rng.uniform(0, stage.sla_days * 2.5)))
            entered = max(entered, assigned_at)
            exporter.startup, exporter.current_stage, exporter.stage_entered_at = startup, stage, entered
            assignments.append(
                Assignment(
                    exporter=exporter,
                    startup=startup,
                    assigned_at=assigned_at,
                    how=AssignedHow.AUTO,
                    why=f"same state ({STATES.get(exporter.state, exporter.state)}); demo data",
                )
            )
            updated.append(exporter)
        Assignment.objects.bulk_create(assignments, batch_size=BATCH)
        Exporter.objects.bulk_update(updated, ["startup", "current_stage", "stage_entered_at"], batch_size=BATCH)
        return assignments

    def _stage_events(self, rng, assignments, stages, budget, now) -> int:
        """Approved events for every stage passed, and ~6% waiting for review on the next stage."""
        events = []
        officer = None
        for a in assignments:
            exporter = a.exporter
            passed = [s for s in stages if 1 < s.order <= exporter.current_stage.order]
            span = max((exporter.stage_entered_at - a.assigned_at).total_seconds(), 3600)
            for k, stage in enumerate(passed):
                at = a.assigned_at + timedelta(seconds=span * (k + 1) / (len(passed) + 1))
                events.append(
                    StageEvent(
                        exporter=exporter,
                        assignment=a,
                        stage=stage,
                        submitted_at=at,
                        status=StageEventStatus.APPROVED,
                        reviewed_by=officer,
                        reviewed_at=at + timedelta(hours=6),
                        evidence_reference=f"REF-{exporter.pk}-{stage.order}",
                        note="Demo evidence",
                    )
                )
            following = [s for s in stages if s.order == exporter.current_stage.order + 1]
            if following and rng.random() < 0.06:
                events.append(
                    StageEvent(
                        exporter=exporter,
                        assignment=a,
                        stage=following[0],
                        status=StageEventStatus.SUBMITTED,
                        submitted_at=now - timedelta(hours=rng.randint(2, 24 * 6)),
                        evidence_url="https://www.alibaba.com/",
                        evidence_reference=f"PENDING-{exporter.pk}",
                        evidence_number=rng.randint(10, 40),
                        note="Please review.",
                    )
                )
            if budget is not None and len(events) >= budget:
                break
        if budget is not None and len(events) < budget:
            events += self._filler_events(rng, assignments, stages, budget - len(events), now)
        StageEvent.objects.bulk_create(events[:budget] if budget is not None else events, batch_size=BATCH)
        return min(len(events), budget) if budget is not None else len(events)

    def _filler_events(self, rng, assignments, stages, count, now) -> list[StageEvent]:
        """Older rejected submissions, to reach a requested programme-scale volume."""
        return (
            [
                StageEvent(
                    exporter=a.exporter,
                    assignment=a,
                    stage=rng.choice(stages[1:]),
                    status=StageEventStatus.REJECTED,
                    submitted_at=a.assigned_at + timedelta(hours=rng.randint(1, 200)),
                    reviewed_at=now - timedelta(days=1),
                    review_note="Evidence did not match the marketplace profile.",
                    evidence_reference="OLD",
                )
                for a in (rng.choice(assignments) for _ in range(count))
            ]
            if assignments
            else []
        )

    def _activities(self, rng, assignments, budget, now) -> int:
        """Work log entries; each exporter's last_activity_at is the newest of its entries."""
        if not assignments:
            return 0
        budget = 3 * len(assignments) if budget is None else budget
        kinds = [k for k, _ in ActivityKind.choices]
        last_at: dict[int, object] = {}
        batch, written = [], 0
        for n in range(budget):
            a = assignments[n % len(assignments)] if n < len(assignments) else rng.choice(assignments)
            exporter = a.exporter
            # Half of the exporters have worked since entering their stage; the rest may be stalled.
            low = exporter.stage_entered_at if rng.random() < 0.5 else a.assigned_at
            high = exporter.stage_entered_at if low == a.assigned_at else now
            seconds = max((high - low).total_seconds(), 60)
            at = low + timedelta(seconds=rng.uniform(0, seconds))
            batch.append(
                Activity(
                    startup_id=a.startup_id,
                    exporter_id=exporter.pk,
                    kind=rng.choice(kinds),
                    occurred_at=at,
                    duration_minutes=rng.choice([10, 15, 30, 45, 60, 90]),
                    note="Demo work log entry",
                )
            )
            if exporter.pk not in last_at or last_at[exporter.pk] < at:
                last_at[exporter.pk] = at
            if len(batch) >= BATCH:
                Activity.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        Activity.objects.bulk_create(batch)
        written += len(batch)
        updates = [Exporter(pk=pk, last_activity_at=at) for pk, at in last_at.items()]
        Exporter.objects.bulk_update(updates, ["last_activity_at"], batch_size=BATCH)
        return written
