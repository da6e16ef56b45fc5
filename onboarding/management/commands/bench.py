"""Median server time and query count of the main pages, beside Django admin's
Exporter changelist on the same data, the import of a 10,000-row file (docs/benchmarks.md#budgets), a
100,000-row workbook through the page's path (upload, validation, commit; seconds,
progress and memory per phase), and the importer's peak memory on a 100,000-row file and
on a hostile one. Run it on a seeded database."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ...models import Exporter, OutboxMessage, Role, Startup, StartupMember, User
from ...models.outbox import MessageKind
from ...models.startups import MemberRole
from ...services.imports import (
    import_batch_commit,
    import_batch_create,
    import_batch_files_delete,
    import_batch_validate,
)
from ...services.reminders import reminders_sweep
from .. import demo
from ..bench_assign import bench_auto_assign
from ..bench_export import bench_exports
from ..bench_import import bench_import_large, bench_import_memory
from ..bench_reports import bench_reports

BASELINE = "admin exporter changelist"


@dataclass
class Result:
    name: str
    url: str
    median_ms: float
    queries: int
    status: int
    ratio: float = 0.0


class Command(BaseCommand):
    help = "Benchmark the main pages against Django admin's exporter changelist."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=7, help="Timed requests per page (after one warm-up)")
        parser.add_argument("--json", dest="json_path", default=None, help="Also write the results here as JSON")
        parser.add_argument("--import-rows", type=int, default=10_000, help="Rows in the import measurement (0: skip)")
        parser.add_argument(
            "--memory-rows", type=int, default=None, help="Rows in the import memory run (default: 10 × import rows)"
        )
        parser.add_argument(
            "--import-large-rows",
            type=int,
            default=None,
            help="Rows in the workbook taken through the page's import path (default: 10 × import rows; 0: skip)",
        )
        parser.add_argument("--no-pages", action="store_true", help="Skip the pages and analytics pages")
        parser.add_argument("--no-exports", action="store_true", help="Skip the CSV/XLSX export measurement")
        parser.add_argument(
            "--auto-assign-pool", type=int, default=10_000, help="Exporters in the pool for the auto-assign run"
        )
        parser.add_argument("--only-sweep", action="store_true", help="Time the reminder sweep alone")
        parser.add_argument("--only-exports", action="store_true", help="Time the CSV and XLSX downloads alone")

    def handle(self, *args, repeat: int, json_path: str | None, import_rows: int, memory_rows: int | None, **opts):
        staff = User.objects.filter(staff_role=Role.ADMIN, is_active=True).order_by("pk").first()
        if staff is None or not Exporter.objects.exists():
            raise CommandError("Seed the database first: manage.py seed_demo --startups 500 --exporters 100000")
        if opts["only_sweep"]:
            self.measure_sweep()
            return
        if opts["only_exports"]:
            bench_exports(self, staff)
            return
        startup_user = (
            User.objects.filter(memberships__removed_at__isnull=True, memberships__startup__exporters__isnull=False)
            .order_by("pk")
            .first()
        )
        results = [] if opts["no_pages"] else self.measure_pages(staff, startup_user, repeat)
        exports = None if opts["no_exports"] else bench_exports(self, staff)
        imported = self.measure_import(staff, import_rows) if import_rows else None
        large = 10 * import_rows if opts["import_large_rows"] is None else opts["import_large_rows"]
        import_large = bench_import_large(self, staff, large) if large else None
        import_memory = bench_import_memory(self, staff, 10 * import_rows if memory_rows is None else memory_rows)
        auto_assign = bench_auto_assign(self, staff, opts["auto_assign_pool"])
        sweep = self.measure_sweep()
        if json_path:
            with open(json_path, "w") as fh:
                json.dump(
                    {
                        "exporters": Exporter.objects.count(),
                        "results": [asdict(r) for r in results],
                        "exports": exports,
                        "import": imported,
                        "import_large": import_large,
                        "import_memory": import_memory,
                        "auto_assign": auto_assign,
                        "sweep": sweep,
                    },
                    fh,
                    indent=2,
                )

    def measure_pages(self, staff: User, startup_user: User | None, repeat: int) -> list[Result]:
        results = [self.measure(name, url, user, repeat) for name, url, user in self.pages(staff, startup_user)]
        results += bench_reports(self, staff, startup_user, repeat)
        baseline = next(r for r in results if r.name == BASELINE)
        for r in results:
            r.ratio = round(r.median_ms / baseline.median_ms, 2) if baseline.median_ms else 0.0
        self.print_table(results)
        return results

    def pages(self, staff: User, startup_user: User | None) -> list[tuple[str, str, User]]:
        exporter = Exporter.objects.filter(startup__isnull=False).order_by("pk").first() or Exporter.objects.first()
        pages = [
            (BASELINE, "/admin/onboarding/exporter/", staff),
            ("dashboard", "/", staff),
            ("exporter list (staff)", "/exporters/", staff),
            ("exporter list, filtered (staff)", "/exporters/?state=27&status=active", staff),
            ("exporter search (staff)", "/exporters/?q=shree", staff),
            ("exporter list by name (staff)", "/exporters/?sort=name", staff),
            ("exporter list by startup, desc (staff)", "/exporters/?sort=-startup", staff),
            ("exporter list by stage (staff)", "/exporters/?sort=stage", staff),
            ("startup list by load (staff)", "/startups/?sort=-load", staff),
            ("exporter detail (staff)", f"/exporters/{exporter.pk}/", staff),
            ("startup list (staff)", "/startups/", staff),
            ("distribution report (staff)", "/reports/", staff),
        ]
        pages += [
            ("review queue (staff)", "/reviews/", staff),
            ("pipeline board (staff)", "/board/", staff),
            ("work log (staff)", "/activities/", staff),
            ("commission statement (staff)", "/commissions/", staff),
            ("commissions by amount (staff)", "/commissions/?sort=-amount", staff),
            ("work log by exporter (staff)", "/activities/?sort=exporter", staff),
        ]
        if startup_user is not None:
            own = Exporter.objects.filter(startup=startup_user.startup).order_by("pk").first()
            pages += [
                ("startup home", "/", startup_user),
                ("exporter list (startup)", "/exporters/?mine=false", startup_user),
                ("exporter search (startup)", "/exporters/?mine=false&q=shree&late=1", startup_user),
                ("exporter lookup (startup)", "/exporters/lookup.json?q=shree", startup_user),
                ("exporter detail (startup)", f"/exporters/{own.pk}/", startup_user),
                ("pipeline board (startup)", "/board/", startup_user),
                ("work log (startup)", "/activities/", startup_user),
                ("earnings (startup)", "/commissions/", startup_user),
            ]
        return pages

    def measure(self, name: str, url: str, user: User, repeat: int) -> Result:
        client = demo.signed_in_client(user)
        # secure=True: production settings redirect plain HTTP to HTTPS.
        response = client.get(url, secure=True)  # warm-up: connection, templates, caches
        timings = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, secure=True)
                timings.append((time.perf_counter() - started) * 1000)
        return Result(name, url, round(statistics.median(timings), 1), len(queries), response.status_code)

    def print_table(self, results: list[Result]) -> None:
        self.stdout.write(f"{'page':<36} {'median ms':>10} {'queries':>8} {'× admin':>8}  status")
        for r in results:
            self.stdout.write(f"{r.name:<36} {r.median_ms:>10.1f} {r.queries:>8} {r.ratio:>8.2f}  {r.status}")

    def measure_import(self, staff: User, rows: int) -> dict:
        """Validate and commit a `rows`-row CSV of new exporters through the import service, then roll it back."""
        content = demo.exporter_csv(demo.exporter_file_rows(rows))
        phases = {}
        batch = None
        try:
            with transaction.atomic():
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    batch = import_batch_create(actor=staff, name="bench-import.csv", content=content)
                    batch = import_batch_validate(batch=batch, progress=False)
                phases["validate"] = (time.perf_counter() - started, len(queries))
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    batch = import_batch_commit(actor=staff, batch=batch, progress=False)
                phases["commit"] = (time.perf_counter() - started, len(queries))
                written = batch.new_count
                transaction.set_rollback(True)  # later measurements see the seeded data as it was
        finally:
            if batch is not None:
                import_batch_files_delete(batch)
        total = sum(seconds for seconds, _q in phases.values())
        result = {
            "rows": rows,
            "written": written,
            "validate_s": round(phases["validate"][0], 2),
            "validate_queries": phases["validate"][1],
            "commit_s": round(phases["commit"][0], 2),
            "commit_queries": phases["commit"][1],
            "total_s": round(total, 2),
        }
        self.stdout.write(
            f"import of {rows:,} rows: validate {result['validate_s']} s ({result['validate_queries']} queries), "
            f"commit {result['commit_s']} s ({result['commit_queries']} queries), total {result['total_s']} s, "
            f"{written:,} written and rolled back"
        )
        return result

    def measure_sweep(self) -> dict:
        """The reminder sweep with every kind due, in a transaction rolled back, so its rows
        vanish and no send is queued (on-commit callbacks never run); timed with the deferred
        foreign-key checks its commit would run. Every startup gets a manager and an agent
        (handling its exporters) first, so recipients scale with startups, and no exporter has
        activity, so every overdue one is stalled."""

        class Rollback(Exception):
            pass

        try:
            with transaction.atomic():
                self.staff_every_startup()  # untimed: seed_demo gives logins to one startup only
                connection.check_constraints()  # untimed: the set-up's own deferred checks
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = reminders_sweep(now=timezone.now(), kinds=tuple(MessageKind.values))
                    # What the sweep's commit would check (PostgreSQL: every deferred check; SQLite:
                    # the outbox's rows, where a check of every table would time the whole file).
                    connection.check_constraints(table_names=[OutboxMessage._meta.db_table])
                    seconds = time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
        figures = {
            "seconds": round(seconds, 2),
            "queries": len(queries),
            "reminders": len(result.created),
            "startups": Startup.objects.count(),
            "exporters": Exporter.objects.count(),
            "by_kind": dict(Counter(str(p.kind) for p in result.created)),
            "exporter_links": sum(len(p.exporter_ids) for p in result.created),
        }
        self.stdout.write(
            f"reminder sweep (all kinds, rolled back): {figures['seconds']} s, {figures['queries']} queries, "
            f"{figures['reminders']} reminders for {figures['startups']} startups / {figures['exporters']} exporters"
            f" ({figures['exporter_links']} exporter links) {figures['by_kind']}"
        )
        return figures

    def staff_every_startup(self) -> None:

        startups = list(Startup.objects.filter(members__isnull=True).values_list("pk", flat=True))
        users = User.objects.bulk_create(
            [User(email=f"bench-{role}-{pk}@bench.invalid") for pk in startups for role in MemberRole.values]
        )
        roles = [(pk, role) for pk in startups for role in MemberRole.values]
        StartupMember.objects.bulk_create(
            [StartupMember(user=user, startup_id=pk, role=role) for user, (pk, role) in zip(users, roles, strict=True)]
        )
        agent = StartupMember.objects.filter(startup=OuterRef("startup"), role=MemberRole.AGENT, removed_at=None)
        Exporter.objects.filter(agent__isnull=True, startup__isnull=False).update(
            agent=Subquery(agent.values("user")[:1])
        )
        # The worst case for the sweep: nobody logged any work, so every exporter past its
        # SLA is stalled and lands in a digest (seeded activity leaves only a few stalled).
        Exporter.objects.update(last_activity_at=None)
